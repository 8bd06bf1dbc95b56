#include "bot/dispatch.h"

#include <algorithm>

#include "wecom/callback.h"
#include "wecom/messages.h"

namespace scrm::bot {
namespace {

// Trims ASCII and full-width spaces.
std::string Trim(std::string_view s) {
  auto starts = [&](std::string_view p) { return s.substr(0, p.size()) == p; };
  auto ends = [&](std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
  };
  for (bool changed = true; changed && !s.empty();) {
    changed = false;
    for (std::string_view space : {" ", "\t", "\n", "\r", "\xE3\x80\x80"}) {
      while (starts(space)) s.remove_prefix(space.size()), changed = true;
      while (ends(space)) s.remove_suffix(space.size()), changed = true;
    }
  }
  return std::string(s);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsHelp(const std::string& text) {
  std::string t = Lower(text);
  return t == "帮助" || t == "help" || t == "?" || t == "？" || t == "菜单";
}

std::vector<storage::OutboxMessage> Reply(const std::string& user, std::int64_t agent_id,
                                          const std::string& text) {
  std::vector<storage::OutboxMessage> out;
  for (auto& body : wecom::TextMessageBodies(user, agent_id, text)) {
    out.push_back({UserRecipient(user), "/cgi-bin/message/send", std::move(body)});
  }
  return out;
}

}  // namespace

std::string UserRecipient(const std::string& user_id) { return "user:" + user_id; }

std::vector<storage::OutboxMessage> RobotMarkdownMessages(const std::string& robot,
                                                          const std::string& markdown) {
  std::vector<storage::OutboxMessage> out;
  for (auto& body : wecom::WebhookMarkdownBodies(markdown)) {
    out.push_back({kRobotPrefix + robot, "/cgi-bin/webhook/send", std::move(body)});
  }
  return out;
}

std::vector<storage::OutboxMessage> Dispatch(const storage::InboxRow& row,
                                             const DispatchContext& context) {
  // Only rep messages cause replies so far; skip parsing everything else.
  if (!row.record.kind.empty() && row.record.kind != "text") return {};
  auto parsed = wecom::ParseCallback(row.record.payload);
  if (!parsed) return {};
  const auto* text = std::get_if<wecom::TextMessage>(&parsed->event);
  if (!text || text->header.from_user.empty()) return {};
  std::string content = Trim(text->content);
  if (IsHelp(content)) {
    return Reply(text->header.from_user, context.agent_id, context.templates.Render("help"));
  }
  std::string shown = content;
  if (shown.size() > 60) {
    size_t cut = 60;
    while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
    shown = shown.substr(0, cut) + "…";
  }
  return Reply(text->header.from_user, context.agent_id,
               context.templates.Render("unknown_command", {{"text", shown}}));
}

}  // namespace scrm::bot
