#include "wecom/cards.h"

#include "wecom/json.h"
#include "wecom/messages.h"

namespace scrm::wecom {
namespace {

constexpr std::size_t kTitleLimit = 128;
constexpr std::size_t kDescriptionLimit = 512;
constexpr std::size_t kUrlLimit = 2048;
constexpr std::size_t kButtonKeyLimit = 1024;
constexpr std::size_t kMaxArticles = 8;
constexpr std::size_t kMaxCardRows = 6;

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "|") + item;
  return out;
}

// touser/toparty/totag, msgtype and agentid: the head of every app message.
json::Out& Head(json::Out& out, const Audience& to, std::int64_t agent_id, const char* type) {
  if (!to.users.empty()) out.Str("touser", Join(to.users));
  if (!to.parties.empty()) out.Str("toparty", Join(to.parties));
  if (!to.tags.empty()) out.Str("totag", Join(to.tags));
  return out.Str("msgtype", type).Int("agentid", agent_id);
}

std::string Finish(json::Out& out) {
  return out.Int("enable_duplicate_check", 1).Int("duplicate_check_interval", 1800).Done();
}

bool AlnumOnly(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!ok) return false;
  }
  return true;
}

std::size_t CountChars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += IsContinuation(c) ? 0 : 1;
  return n;
}

void CardBody(json::Out& out, const TemplateCard& card) {
  out.Str("card_type", card.card_type);
  if (!card.task_id.empty()) out.Str("task_id", card.task_id);
  out.Object("main_title", [&](json::Out& o) {
    o.Str("title", TruncateBytes(card.title, kTitleLimit));
    if (!card.description.empty()) o.Str("desc", TruncateBytes(card.description, kTitleLimit));
  });
  if (!card.sub_title.empty()) {
    out.Str("sub_title_text", TruncateBytes(card.sub_title, kDescriptionLimit));
  }
  std::vector<CardField> fields(
      card.fields.begin(), card.fields.begin() + static_cast<std::ptrdiff_t>(
                                                     std::min(card.fields.size(), kMaxCardRows)));
  if (!fields.empty()) {
    out.Objects("horizontal_content_list", fields, [](json::Out& o, const CardField& f) {
      o.Str("keyname", TruncateChars(f.key, 5)).Str("value", TruncateChars(f.value, 26));
    });
  }
  if (!card.url.empty()) {
    out.Object("card_action", [&](json::Out& o) { o.Int("type", 1).Str("url", card.url); });
  }
  std::vector<CardButton> buttons(card.buttons.begin(),
                                  card.buttons.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                             card.buttons.size(), kMaxCardRows)));
  if (!buttons.empty()) {
    out.Objects("button_list", buttons, [](json::Out& o, const CardButton& b) {
      o.Str("text", TruncateChars(b.text, 10)).Int("style", b.style).Str("key", b.key);
    });
  }
}

// appchat/send bodies of `type` ("text" or "markdown"), one per piece.
std::vector<std::string> AppChatBodies(std::string_view chat_id, const char* type,
                                       std::string_view content, std::size_t limit) {
  std::vector<std::string> bodies;
  for (const auto& piece : SplitForLimit(content, limit)) {
    json::Out out;
    bodies.push_back(out.Str("chatid", chat_id)
                         .Str("msgtype", type)
                         .Object(type, [&](json::Out& o) { o.Str("content", piece); })
                         .Int("safe", 0)
                         .Done());
  }
  return bodies;
}

}  // namespace

std::string TruncateBytes(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  static constexpr std::string_view kEllipsis = "…";
  if (limit < kEllipsis.size()) return {};
  std::size_t cut = limit - kEllipsis.size();
  while (cut > 0 && IsContinuation(text[cut])) --cut;
  return std::string(text.substr(0, cut)) + std::string(kEllipsis);
}

std::string TruncateChars(std::string_view text, std::size_t limit) {
  if (CountChars(text) <= limit) return std::string(text);
  if (limit == 0) return {};
  std::size_t chars = 0;
  std::size_t end = 0;
  while (end < text.size()) {
    if (!IsContinuation(text[end]) && chars++ == limit - 1) break;
    ++end;
  }
  return std::string(text.substr(0, end)) + "…";
}

std::string TextCardMessageBody(const Audience& to, std::int64_t agent_id, const TextCard& card) {
  json::Out out;
  Head(out, to, agent_id, "textcard").Object("textcard", [&](json::Out& o) {
    o.Str("title", TruncateBytes(card.title, kTitleLimit))
        .Str("description", TruncateBytes(card.description, kDescriptionLimit))
        .Str("url", TruncateBytes(card.url, kUrlLimit))
        .Str("btntxt", TruncateChars(card.button_text.empty() ? "详情" : card.button_text, 4));
  });
  return Finish(out);
}

std::string NewsMessageBody(const Audience& to, std::int64_t agent_id,
                            const std::vector<NewsArticle>& articles) {
  std::vector<NewsArticle> kept(
      articles.begin(),
      articles.begin() + static_cast<std::ptrdiff_t>(std::min(articles.size(), kMaxArticles)));
  json::Out out;
  Head(out, to, agent_id, "news").Object("news", [&](json::Out& o) {
    o.Objects("articles", kept, [](json::Out& a, const NewsArticle& article) {
      a.Str("title", TruncateBytes(article.title, kTitleLimit))
          .Str("description", TruncateBytes(article.description, kDescriptionLimit))
          .Str("url", TruncateBytes(article.url, kUrlLimit))
          .Str("picurl", article.picurl);
    });
  });
  return Finish(out);
}

bool ValidTaskId(std::string_view task_id) {
  if (task_id.empty() || task_id.size() > 128) return false;
  for (char c : task_id) {
    bool ok = AlnumOnly(std::string_view(&c, 1)) || c == '_' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> TemplateCardMessageBody(const Audience& to, std::int64_t agent_id,
                                            const TemplateCard& card) {
  bool buttons = card.card_type == "button_interaction";
  if (buttons && (card.buttons.empty() || !ValidTaskId(card.task_id))) return Errc::kBadPayload;
  if (!buttons && (card.card_type != "text_notice" || card.url.empty())) return Errc::kBadPayload;
  if (!card.task_id.empty() && !ValidTaskId(card.task_id)) return Errc::kBadPayload;
  for (const auto& b : card.buttons) {
    if (b.key.empty() || b.key.size() > kButtonKeyLimit || b.style < 1 || b.style > 4) {
      return Errc::kBadPayload;
    }
  }
  json::Out out;
  Head(out, to, agent_id, "template_card").Object("template_card", [&](json::Out& o) {
    CardBody(o, card);
  });
  return Finish(out);
}

std::string UpdateCardButtonBody(const std::vector<std::string>& user_ids, std::int64_t agent_id,
                                 std::string_view response_code, std::string_view replace_name) {
  json::Out out;
  return out.Strs("userids", user_ids)
      .Int("agentid", agent_id)
      .Str("response_code", response_code)
      .Object("button",
              [&](json::Out& o) { o.Str("replace_name", TruncateChars(replace_name, 10)); })
      .Done();
}

Result<SendReply> ParseSendReply(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  SendReply r;
  r.msgid = json::Str(*doc, "msgid");
  r.invalid_users = json::Str(*doc, "invaliduser");
  r.invalid_parties = json::Str(*doc, "invalidparty");
  r.invalid_tags = json::Str(*doc, "invalidtag");
  r.unlicensed_users = json::Str(*doc, "unlicenseduser");
  r.response_code = json::Str(*doc, "response_code");
  return r;
}

Result<std::string> AppChatCreateBody(const AppChat& chat) {
  if (chat.owner.empty() || chat.users.size() < 2 || chat.users.size() > 2000) {
    return Errc::kBadPayload;
  }
  if (chat.chat_id.size() > 32 || !AlnumOnly(chat.chat_id)) return Errc::kBadPayload;
  json::Out out;
  out.Str("name", TruncateChars(chat.name, 50))
      .Str("owner", chat.owner)
      .Strs("userlist", chat.users);
  if (!chat.chat_id.empty()) out.Str("chatid", chat.chat_id);
  return out.Done();
}

Result<std::string> ParseAppChatCreated(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  std::string id = json::Str(*doc, "chatid");
  if (id.empty()) return Errc::kBadJson;
  return id;
}

std::vector<std::string> AppChatTextBodies(std::string_view chat_id, std::string_view content) {
  return AppChatBodies(chat_id, "text", content, kTextLimit);
}

std::vector<std::string> AppChatMarkdownBodies(std::string_view chat_id, std::string_view content) {
  return AppChatBodies(chat_id, "markdown", content, kMarkdownLimit);
}

}  // namespace scrm::wecom
