#include "wecom/messages.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace scrm::wecom {
namespace {

// Largest cut <= limit that does not split a UTF-8 sequence, moved back to
// just after a newline when one is in the second half of the piece.
std::size_t CutPoint(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  if (cut == 0) return limit;  // not UTF-8 here: no boundary to keep
  std::size_t newline = text.rfind('\n', cut - 1);
  if (newline != std::string_view::npos && newline + 1 > cut / 2) cut = newline + 1;
  return cut;
}

std::string Marker(std::size_t index, std::size_t total) {
  return "\n（" + std::to_string(index) + "/" + std::to_string(total) + "）";
}

std::string Body(std::string_view to_user, std::int64_t agent_id, const char* type,
                 std::string_view content, Repeats repeats) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("touser");
  w.String(to_user.data(), static_cast<rapidjson::SizeType>(to_user.size()));
  w.Key("msgtype");
  w.String(type);
  w.Key("agentid");
  w.Int64(agent_id);
  w.Key(type);
  w.StartObject();
  w.Key("content");
  w.String(content.data(), static_cast<rapidjson::SizeType>(content.size()));
  w.EndObject();
  if (repeats == Repeats::kDropped) {
    w.Key("enable_duplicate_check");
    w.Int(1);
    w.Key("duplicate_check_interval");
    w.Int(1800);
  }
  w.EndObject();
  return buffer.GetString();
}

std::string WebhookBody(const char* type, std::string_view content) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("msgtype");
  w.String(type);
  w.Key(type);
  w.StartObject();
  w.Key("content");
  w.String(content.data(), static_cast<rapidjson::SizeType>(content.size()));
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

// One request body per piece of `content` that fits `limit`.
template <class Wrap>
std::vector<std::string> Bodies(std::string_view content, std::size_t limit, Wrap wrap) {
  std::vector<std::string> bodies;
  for (const auto& piece : SplitForLimit(content, limit)) bodies.push_back(wrap(piece));
  return bodies;
}

}  // namespace

std::vector<std::string> SplitForLimit(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return {std::string(text)};
  // Reserve room for the longest marker, "\n（999/999）" (about 16 bytes).
  const std::size_t room = limit > 32 ? limit - 20 : limit;
  std::vector<std::string> pieces;
  while (!text.empty()) {
    std::size_t cut = CutPoint(text, room);
    pieces.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  for (std::size_t i = 0; i < pieces.size(); ++i) pieces[i] += Marker(i + 1, pieces.size());
  return pieces;
}

std::vector<std::string> TextMessageBodies(std::string_view to_user, std::int64_t agent_id,
                                           std::string_view content, Repeats repeats) {
  return Bodies(content, kTextLimit, [&](std::string_view piece) {
    return Body(to_user, agent_id, "text", piece, repeats);
  });
}

std::vector<std::string> MarkdownMessageBodies(std::string_view to_user, std::int64_t agent_id,
                                               std::string_view content, Repeats repeats) {
  return Bodies(content, kMarkdownLimit, [&](std::string_view piece) {
    return Body(to_user, agent_id, "markdown", piece, repeats);
  });
}

std::vector<std::string> WebhookTextBodies(std::string_view content) {
  return Bodies(content, kWebhookTextLimit,
                [](std::string_view piece) { return WebhookBody("text", piece); });
}

std::vector<std::string> WebhookMarkdownBodies(std::string_view content) {
  return Bodies(content, kWebhookMarkdownLimit,
                [](std::string_view piece) { return WebhookBody("markdown", piece); });
}

}  // namespace scrm::wecom
