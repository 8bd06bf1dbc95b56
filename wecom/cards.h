// Rich app messages (message/send textcard, news, template_card), card
// updates (message/update_template_card), app group chats (appchat) and the
// reply of message/send. Fields past WeCom's byte limits are shortened with a
// visible "…" before sending, never refused later with 45002.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wecom/errors.h"

namespace scrm::wecom {

inline constexpr const char* kMessageSendPath = "/cgi-bin/message/send";
inline constexpr const char* kUpdateTemplateCardPath = "/cgi-bin/message/update_template_card";
inline constexpr const char* kAppChatCreatePath = "/cgi-bin/appchat/create";
inline constexpr const char* kAppChatSendPath = "/cgi-bin/appchat/send";

// `text` cut to at most `limit` bytes at a UTF-8 boundary, ending in "…"
// when it was cut.
std::string TruncateBytes(std::string_view text, std::size_t limit);
// `text` cut to at most `limit` characters, ending in "…" when it was cut.
std::string TruncateChars(std::string_view text, std::size_t limit);

// Who an app message goes to: user ids, department ids, tag ids (WeCom joins
// each list with '|'). At least one must be non-empty.
struct Audience {
  std::vector<std::string> users;
  std::vector<std::string> parties;
  std::vector<std::string> tags;
};
inline Audience Users(std::vector<std::string> ids) { return Audience{std::move(ids), {}, {}}; }

struct TextCard {
  std::string title;        // <= 128 bytes
  std::string description;  // <= 512 bytes; may use <div class="gray|highlight|normal">
  std::string url;          // <= 2048 bytes, required
  std::string button_text;  // <= 4 characters; "详情" when empty
};
std::string TextCardMessageBody(const Audience& to, std::int64_t agent_id, const TextCard& card);

struct NewsArticle {
  std::string title;        // <= 128 bytes
  std::string description;  // <= 512 bytes
  std::string url;
  std::string picurl;
};
// Articles past the eighth are dropped (WeCom takes 1 to 8).
std::string NewsMessageBody(const Audience& to, std::int64_t agent_id,
                            const std::vector<NewsArticle>& articles);

struct CardButton {
  std::string text;
  int style = 1;    // 1..4
  std::string key;  // <= 1024 bytes; comes back as EventKey
};
struct CardField {
  std::string key;    // keyname
  std::string value;  // value
};
// template_card of type text_notice (no buttons) or button_interaction.
struct TemplateCard {
  std::string card_type = "text_notice";
  std::string task_id;  // required with buttons: [0-9A-Za-z_@-], <= 128 bytes
  std::string title;
  std::string description;
  std::string sub_title;
  std::vector<CardField> fields;    // horizontal_content_list, at most 6
  std::vector<CardButton> buttons;  // button_list, at most 6
  std::string url;                  // card_action (text_notice needs one)
};
// Whether `task_id` is acceptable to WeCom.
bool ValidTaskId(std::string_view task_id);
// kBadPayload when the card cannot be sent as given (bad task_id, a
// button_interaction without buttons, a text_notice without url).
Result<std::string> TemplateCardMessageBody(const Audience& to, std::int64_t agent_id,
                                            const TemplateCard& card);

// message/update_template_card: replaces the buttons of the card that
// produced `response_code` with one greyed-out button reading `replace_name`.
std::string UpdateCardButtonBody(const std::vector<std::string>& user_ids, std::int64_t agent_id,
                                 std::string_view response_code, std::string_view replace_name);

// The reply of message/send.
struct SendReply {
  std::string msgid;
  std::string invalid_users;  // '|'-joined, as WeCom sends them
  std::string invalid_parties;
  std::string invalid_tags;
  std::string unlicensed_users;
  std::string response_code;  // interactive template cards
};
Result<SendReply> ParseSendReply(std::string_view json);

// appchat/create. `chat_id` may be empty (WeCom picks one); otherwise
// <= 32 characters of [0-9A-Za-z].
struct AppChat {
  std::string name;  // <= 50 characters
  std::string owner;
  std::vector<std::string> users;  // 2..2000
  std::string chat_id;
};
Result<std::string> AppChatCreateBody(const AppChat& chat);
// The chat id from the reply of appchat/create.
Result<std::string> ParseAppChatCreated(std::string_view json);
// appchat/send bodies, split at the byte limit like app messages.
std::vector<std::string> AppChatTextBodies(std::string_view chat_id, std::string_view content);
std::vector<std::string> AppChatMarkdownBodies(std::string_view chat_id, std::string_view content);

}  // namespace scrm::wecom
