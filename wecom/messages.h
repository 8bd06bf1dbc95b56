// Builders for app messages (message/send). WeCom truncates or refuses
// content past its byte limits (45002); these builders split long content
// into several messages at UTF-8 character (and preferably line) boundaries,
// marking each part, so nothing is cut silently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scrm::wecom {

inline constexpr std::size_t kTextLimit = 2048;             // text.content, bytes
inline constexpr std::size_t kMarkdownLimit = 2048;         // markdown.content in app messages
inline constexpr std::size_t kWebhookTextLimit = 2048;      // group robot text.content
inline constexpr std::size_t kWebhookMarkdownLimit = 4096;  // group robot markdown.content

// Splits `text` into pieces of at most `limit` bytes, preferring to break
// after a newline, never inside a UTF-8 sequence. When there is more than one
// piece, each ends with a marker such as "（1/3）" that fits in the limit.
std::vector<std::string> SplitForLimit(std::string_view text, std::size_t limit);

// Whether WeCom should drop an identical body sent again within 30 minutes
// (enable_duplicate_check): on for what the bot sends by itself, where an
// identical body is a re-send after a crash; off for answers to a rep's
// command, where an identical body is the same question asked again.
enum class Repeats { kDropped, kDelivered };

// message/send bodies for a text message to `to_user` ("a|b" for several).
std::vector<std::string> TextMessageBodies(std::string_view to_user, std::int64_t agent_id,
                                           std::string_view content,
                                           Repeats repeats = Repeats::kDropped);
std::vector<std::string> MarkdownMessageBodies(std::string_view to_user, std::int64_t agent_id,
                                               std::string_view content,
                                               Repeats repeats = Repeats::kDropped);

// Group-robot webhook bodies (no touser/agentid: the key names the robot).
std::vector<std::string> WebhookTextBodies(std::string_view content);
std::vector<std::string> WebhookMarkdownBodies(std::string_view content);

}  // namespace scrm::wecom
