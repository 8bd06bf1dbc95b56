// The rep's chat commands: Chinese with English aliases, full-width and
// half-width punctuation and spaces alike in command words, amounts and
// keywords. Names and free text (a follow-up, a reason) are kept as typed,
// line breaks and full-width punctuation included. Parse() is pure; it only
// reads the text. A customer is referred to by name, remark or short id
// ("#12", or "＃１２").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "domain/money.h"

namespace scrm::bot {

namespace cmd {
struct Help {};
struct ShowCustomer {
  std::string customer;
};
// A customer whose name is several words ("Tom Lee") and the text after it,
// longest first: used when it names a customer exactly.
using LongerNames = std::vector<std::pair<std::string, std::string>>;
struct Follow {
  std::string customer;
  std::string content;
  LongerNames longer;
};
struct MoveStage {
  std::string customer;
  std::string stage;
};
struct Quote {
  std::string customer;
  domain::Fen amount = 0;
  int discount_bp = 0;  // 折扣 5 → 500
  std::string named;    // the customer and the amount, as typed ("Lucy 520")
};
struct Paid {
  std::string customer;
  domain::Fen amount = 0;
  std::string named;  // as in Quote
};
struct Lost {
  std::string customer;
  std::string reason;
  LongerNames longer;
};
struct SetTier {
  std::string customer;
  char tier = 'C';
};
struct Todo {};
struct ShowFunnel {};
struct Digest {};  // yesterday's digest of the sender's team (or of the sender)
struct Team {};    // the sender's team: open deals and overdue follow-ups per member
// A bare number: the answer to a numbered choice the bot offered.
struct Choose {
  int number = 0;
};
// A known command with missing or malformed arguments.
struct Malformed {
  std::string command;  // the Chinese name, e.g. "报价"
  std::string problem;  // what is wrong, in Chinese
};
// Not a command; `closest` is the command it most resembles ("" if none).
struct Unknown {
  std::string text;
  std::string closest;
};
}  // namespace cmd

using Command = std::variant<cmd::Help, cmd::ShowCustomer, cmd::Follow, cmd::MoveStage, cmd::Quote,
                             cmd::Paid, cmd::Lost, cmd::SetTier, cmd::Todo, cmd::ShowFunnel,
                             cmd::Digest, cmd::Team, cmd::Choose, cmd::Malformed, cmd::Unknown>;

Command ParseCommand(std::string_view text);

// Full-width ASCII (！ to ～) and the ideographic space become their
// half-width forms; runs of white space become one space; the ends are
// trimmed.
std::string NormalizeText(std::string_view text);
// ASCII letters in lower case; every other byte as it is.
std::string Lower(std::string_view s);
// What the rep typed, quoted back in a hint or an error: at most 20
// characters.
std::string Echo(const std::string& typed);
// Text without the punctuation and spaces it ends with ("预算不够。" is
// "预算不够"), so that a reason reads well in a sentence and counts as one
// in the weekly review however it was ended.
std::string WithoutEndPunctuation(std::string text);

// The usage line of a command, by its Chinese name ("报价 <客户> <金额> [折扣 <百分比>]").
std::string Usage(std::string_view command);

}  // namespace scrm::bot
