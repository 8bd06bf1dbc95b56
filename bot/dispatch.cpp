#include "bot/dispatch.h"

#include <spdlog/spdlog.h>

#include "bot/approvals.h"
#include "bot/customer_events.h"
#include "bot/rep_commands.h"
#include "wecom/callback.h"
#include "wecom/messages.h"

namespace scrm::bot {

namespace {

// What a rep's non-text message is called in the reply; empty for text and
// events.
std::string NonTextName(const wecom::Event& event) {
  if (std::holds_alternative<wecom::ImageMessage>(event)) return "图片";
  if (std::holds_alternative<wecom::VoiceMessage>(event)) return "语音";
  if (std::holds_alternative<wecom::VideoMessage>(event)) return "视频";
  if (std::holds_alternative<wecom::LocationMessage>(event)) return "位置";
  if (std::holds_alternative<wecom::LinkMessage>(event)) return "链接";
  return "";
}

}  // namespace

bool NeedsDispatch(const std::string& kind) {
  // An empty kind is a row stored before kinds were recorded: look inside.
  return kind.empty() || kind == "text" || kind == "image" || kind == "voice" || kind == "video" ||
         kind == "location" || kind == "link" || kind == "event:change_external_contact" ||
         kind == "event:sys_approval_change" || kind == "event:template_card_event" ||
         kind == kDirectoryChangeKind || kind == "event:change_external_tag";
}

Messages Dispatch(storage::Connection& c, const storage::InboxRow& row, const CrmContext& ctx) {
  if (!NeedsDispatch(row.record.kind)) return {};
  auto parsed = wecom::ParseCallback(row.record.payload);
  if (!parsed) return {};
  if (parsed->malformed_field) {
    // Signed by WeCom and kept whole in the inbox, but not acted on.
    spdlog::warn("callback {} ({}) has a number that is not one; left as it is",
                 row.record.dedup_key, row.record.kind);
  }
  if (const auto* text = std::get_if<wecom::TextMessage>(&parsed->event)) {
    if (text->header.from_user.empty()) return {};
    return RunRepMessage(c, text->header.from_user, text->content, ctx);
  }
  if (const auto* contact = std::get_if<wecom::ExternalContactEvent>(&parsed->event)) {
    return HandleContactEvent(c, *contact, ctx);
  }
  if (const auto* directory = std::get_if<wecom::ContactChangeEvent>(&parsed->event)) {
    return HandleDirectoryChange(c, *directory, ctx);
  }
  if (const auto* tag = std::get_if<wecom::ExternalTagEvent>(&parsed->event)) {
    return HandleTagChange(*tag);
  }
  if (const auto* approval = std::get_if<wecom::ApprovalChangeEvent>(&parsed->event)) {
    return HandleApprovalChange(c, *approval, ctx);
  }
  if (const auto* click = std::get_if<wecom::TemplateCardEvent>(&parsed->event)) {
    return HandleCardClick(c, *click, ctx);
  }
  if (std::string what = NonTextName(parsed->event); !what.empty()) {
    const std::string& from = wecom::HeaderOf(parsed->event).from_user;
    if (!from.empty()) return ReplyNotText(from, what, ctx);
  }
  return {};
}

std::string UserRecipient(const std::string& user_id) { return "user:" + user_id; }

std::vector<storage::OutboxMessage> RobotMarkdownMessages(const std::string& robot,
                                                          const std::string& markdown) {
  std::vector<storage::OutboxMessage> out;
  for (auto& body : wecom::WebhookMarkdownBodies(markdown)) {
    out.push_back({kRobotPrefix + robot, "/cgi-bin/webhook/send", std::move(body), ""});
  }
  return out;
}

}  // namespace scrm::bot
