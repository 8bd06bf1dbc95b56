#include "bot/commands.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

namespace scrm::bot {
namespace {

enum class Kind {
  kHelp,
  kCustomer,
  kFollow,
  kStage,
  kQuote,
  kPaid,
  kLost,
  kTier,
  kTodo,
  kFunnel,
  kDigest,
  kTeam
};

struct Spec {
  Kind kind;
  const char* name;  // Chinese
  std::vector<std::string_view> aliases;
  const char* usage;
};

const std::vector<Spec>& Specs() {
  static const std::vector<Spec> specs = {
      {Kind::kHelp, "帮助", {"help", "?", "菜单", "menu"}, "帮助"},
      {Kind::kCustomer, "客户", {"customer", "card"}, "客户 <客户>"},
      {Kind::kFollow, "跟进", {"follow", "followup"}, "跟进 <客户> <内容>"},
      {Kind::kStage, "阶段", {"stage"}, "阶段 <客户> <阶段>"},
      {Kind::kQuote, "报价", {"quote"}, "报价 <客户> <金额> [折扣 <百分比>]"},
      {Kind::kPaid, "回款", {"paid", "payment"}, "回款 <客户> <金额>"},
      {Kind::kLost, "输单", {"lost"}, "输单 <客户> <原因>"},
      {Kind::kTier, "分级", {"tier"}, "分级 <客户> <A|B|C>"},
      {Kind::kTodo, "待办", {"todo"}, "待办"},
      {Kind::kFunnel, "漏斗", {"funnel"}, "漏斗"},
      {Kind::kDigest, "日报", {"digest"}, "日报"},
      {Kind::kTeam, "团队", {"team"}, "团队"},
  };
  return specs;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Invalid UTF-8 bytes become kRawByte + the byte, so they survive a round
// trip unchanged.
constexpr std::uint32_t kRawByte = 0x110000;

// The code point of the UTF-8 sequence at the start of `s` and its length, or
// nullopt unless the sequence is complete, shortest-form, and not a surrogate
// or past U+10FFFF.
std::optional<std::pair<std::uint32_t, std::size_t>> DecodeOne(std::string_view s) {
  auto c = static_cast<unsigned char>(s[0]);
  std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || len > s.size()) return std::nullopt;
  std::uint32_t cp = c & (0xFF >> (len + 1));
  for (std::size_t k = 1; k < len; ++k) {
    auto next = static_cast<unsigned char>(s[k]);
    if ((next & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (next & 0x3F);
  }
  static constexpr std::uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kShortest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return std::pair{cp, len};
}

// Unicode code points of UTF-8 text (invalid bytes count as one each).
std::vector<std::uint32_t> CodePoints(std::string_view s) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c);
      ++i;
    } else if (auto decoded = DecodeOne(s.substr(i))) {
      out.push_back(decoded->first);
      i += decoded->second;
    } else {
      out.push_back(kRawByte + c);
      ++i;
    }
  }
  return out;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  auto x = CodePoints(a);
  auto y = CodePoints(b);
  std::vector<std::size_t> row(y.size() + 1);
  for (std::size_t j = 0; j <= y.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= x.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= y.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (x[i - 1] != y[j - 1])});
      diagonal = above;
    }
  }
  return row[y.size()];
}

const Spec* FindSpec(std::string_view word) {
  std::string lower = Lower(word);
  for (const auto& spec : Specs()) {
    if (lower == spec.name) return &spec;
    for (auto alias : spec.aliases) {
      if (lower == alias) return &spec;
    }
  }
  return nullptr;
}

// The command name most like `word`, or "" when none is close.
std::string Closest(std::string_view word) {
  std::string lower = Lower(word);
  std::size_t best = SIZE_MAX;
  std::string name;
  for (const auto& spec : Specs()) {
    std::vector<std::string_view> words = spec.aliases;
    words.push_back(spec.name);
    for (auto w : words) {
      if (CodePoints(w).size() < 2) continue;  // everything is one edit from "?"
      std::size_t d = EditDistance(lower, w);
      std::size_t allowed = std::max<std::size_t>(1, CodePoints(w).size() / 2);
      if (d <= allowed && d < best) {
        best = d;
        name = spec.name;
      }
    }
  }
  return name;
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    if (end > i) out.emplace_back(text.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

// Splits "跟进张三 ..." and "跟进:张三 ..." into the command word and the rest.
std::pair<std::string, std::string> SplitCommand(const std::string& text) {
  std::size_t space = text.find(' ');
  std::string first = text.substr(0, space);
  std::string rest = space == std::string::npos ? "" : text.substr(space + 1);
  if (FindSpec(first)) return {first, rest};
  for (const auto& spec : Specs()) {
    std::string_view name = spec.name;
    if (first.size() > name.size() && first.compare(0, name.size(), name) == 0) {
      std::string tail = first.substr(name.size());
      if (tail.front() == ':') tail.erase(0, 1);
      return {std::string(name), tail + (rest.empty() ? "" : " " + rest)};
    }
  }
  if (auto colon = first.find(':');
      colon != std::string::npos && FindSpec(first.substr(0, colon))) {
    return {first.substr(0, colon), first.substr(colon + 1) + (rest.empty() ? "" : " " + rest)};
  }
  return {first, rest};
}

// "5", "5%", "5.5" → basis points in (0, 10000).
std::optional<int> ParsePercent(std::string text) {
  if (!text.empty() && text.back() == '%') text.pop_back();
  if (text.empty() || text.size() > 8) return std::nullopt;
  int whole = 0;
  int fraction = 0;
  int digits_after = -1;
  for (char c : text) {
    if (c == '.' && digits_after < 0) {
      digits_after = 0;
    } else if (c >= '0' && c <= '9' && digits_after < 2) {
      if (digits_after < 0) {
        whole = whole * 10 + (c - '0');
        if (whole >= 100) return std::nullopt;  // 100 % or more: never a discount
      } else {
        fraction = fraction * 10 + (c - '0');
        ++digits_after;
      }
    } else {
      return std::nullopt;
    }
  }
  if (digits_after == 1) fraction *= 10;
  int bp = whole * 100 + fraction;
  if (bp <= 0 || bp >= 10000) return std::nullopt;
  return bp;
}

cmd::Malformed Bad(const Spec& spec, std::string problem) {
  return {spec.name, std::move(problem)};
}

std::string Join(const std::vector<std::string>& words, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) out += (out.empty() ? "" : " ") + words[i];
  return out;
}

Command ParseQuote(const Spec& spec, const std::vector<std::string>& w) {
  if (w.size() < 2) return Bad(spec, "请写明客户和金额");
  auto amount = domain::ParseAmount(w[1]);
  if (!amount || *amount == 0)
    return Bad(spec, "金额“" + w[1] + "”看不懂，可以写 12000、1.2万 或 12,000");
  cmd::Quote q{w[0], *amount, 0};
  if (w.size() == 2) return q;
  std::string key = Lower(w[2]);
  if ((key != "折扣" && key != "discount") || w.size() != 4) {
    return Bad(spec, "金额后面只能跟“折扣 <百分比>”");
  }
  auto bp = ParsePercent(w[3]);
  if (!bp) return Bad(spec, "折扣“" + w[3] + "”应为 0 到 100 之间的百分比，例如 5 或 5%");
  q.discount_bp = *bp;
  return q;
}

Command ParseArgs(const Spec& spec, const std::vector<std::string>& w) {
  auto need = [&](std::size_t n, const char* problem) -> std::optional<Command> {
    if (w.size() < n) return Bad(spec, problem);
    return std::nullopt;
  };
  switch (spec.kind) {
    case Kind::kHelp:
      return cmd::Help{};
    case Kind::kTodo:
      return cmd::Todo{};
    case Kind::kFunnel:
      return cmd::ShowFunnel{};
    case Kind::kDigest:
      return cmd::Digest{};
    case Kind::kTeam:
      return cmd::Team{};
    case Kind::kCustomer:
      if (auto bad = need(1, "请写明客户的名称、备注或编号")) return *bad;
      return cmd::ShowCustomer{Join(w, 0)};
    case Kind::kFollow:
      if (auto bad = need(2, "请写明客户和跟进内容")) return *bad;
      return cmd::Follow{w[0], Join(w, 1)};
    case Kind::kStage:
      if (auto bad = need(2, "请写明客户和阶段")) return *bad;
      return cmd::MoveStage{w[0], Join(w, 1)};
    case Kind::kQuote:
      return ParseQuote(spec, w);
    case Kind::kPaid: {
      if (auto bad = need(2, "请写明客户和金额")) return *bad;
      auto amount = domain::ParseAmount(w[1]);
      if (!amount || *amount == 0 || w.size() > 2) {
        return Bad(spec, "金额“" + Join(w, 1) + "”看不懂，可以写 12000、1.2万 或 12,000");
      }
      return cmd::Paid{w[0], *amount};
    }
    case Kind::kLost:
      if (auto bad = need(2, "请写明客户和输单原因")) return *bad;
      return cmd::Lost{w[0], Join(w, 1)};
    case Kind::kTier: {
      if (auto bad = need(2, "请写明客户和等级 A、B 或 C")) return *bad;
      std::string tier = Lower(w[1]);
      if (w.size() != 2 || tier.size() != 1 || tier[0] < 'a' || tier[0] > 'c') {
        return Bad(spec, "等级只能是 A、B 或 C");
      }
      return cmd::SetTier{w[0], static_cast<char>(std::toupper(tier[0]))};
    }
  }
  return cmd::Unknown{};
}

}  // namespace

std::string NormalizeText(std::string_view text) {
  std::string wide;
  for (std::uint32_t cp : CodePoints(text)) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII
    if (cp == 0x3000 || cp == '\t' || cp == '\n' || cp == '\r') cp = ' ';
    if (cp < 0x80 || cp >= kRawByte) {
      wide += static_cast<char>(cp & 0xFF);
    } else if (cp < 0x800) {
      wide += static_cast<char>(0xC0 | (cp >> 6));
      wide += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      wide += static_cast<char>(0xE0 | (cp >> 12));
      wide += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      wide += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      wide += static_cast<char>(0xF0 | (cp >> 18));
      wide += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      wide += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      wide += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  std::string out;
  for (char c : wide) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Usage(std::string_view command) {
  for (const auto& spec : Specs()) {
    if (command == spec.name) return spec.usage;
  }
  return "";
}

Command ParseCommand(std::string_view raw) {
  std::string text = NormalizeText(raw);
  if (text.empty()) return cmd::Unknown{"", "帮助"};
  if (text.size() <= 2 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int n = std::stoi(text);
    if (n > 0) return cmd::Choose{n};
  }
  auto [word, rest] = SplitCommand(text);
  const Spec* spec = FindSpec(word);
  if (!spec) return cmd::Unknown{text, Closest(word)};
  return ParseArgs(*spec, Words(rest));
}

}  // namespace scrm::bot
