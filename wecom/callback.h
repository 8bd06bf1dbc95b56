// Decrypted callback XML -> typed values.
//
// Parsing accepts CDATA or plain text, any element order and unknown
// elements. A MsgType/Event this code does not know becomes `Unknown`, which
// keeps the raw XML: nothing WeCom sends is dropped. Ids (MsgId, SpNo, ...)
// are strings; they can exceed 2^53.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wecom/errors.h"

namespace scrm::wecom {

// Fields every callback carries. `msg_type` and `event` are lower-cased.
struct Header {
  std::string to_user;
  std::string from_user;  // member UserID, or "sys" for system events
  std::int64_t create_time = 0;
  std::string agent_id;  // empty for customer-contact events
  std::string msg_type;
  std::string event;
};

struct TextMessage {
  Header header;
  std::string msg_id;
  std::string content;
};
struct ImageMessage {
  Header header;
  std::string msg_id;
  std::string pic_url;
  std::string media_id;
};
struct VoiceMessage {
  Header header;
  std::string msg_id;
  std::string media_id;
  std::string format;
};
struct VideoMessage {
  Header header;
  std::string msg_id;
  std::string media_id;
  std::string thumb_media_id;
};
struct LocationMessage {
  Header header;
  std::string msg_id;
  std::string latitude;   // Location_X, kept as sent
  std::string longitude;  // Location_Y
  std::int64_t scale = 0;
  std::string label;
  std::string app_type;
};
struct LinkMessage {
  Header header;
  std::string msg_id;
  std::string title, description, url, pic_url;
};

struct SubscribeEvent {
  Header header;
};
struct UnsubscribeEvent {
  Header header;
};
struct EnterAgentEvent {
  Header header;
  std::string event_key;
};
struct LocationEvent {
  Header header;
  std::string latitude, longitude, precision;
};
struct ClickEvent {
  Header header;
  std::string event_key;
};
struct ViewEvent {
  Header header;
  std::string event_key;
};  // event_key = URL

struct SelectedItem {
  std::string question_key;
  std::vector<std::string> option_ids;
};
struct TemplateCardEvent {
  Header header;
  std::string event_key;  // the clicked button's key
  std::string task_id;
  std::string card_type;
  std::string response_code;
  std::vector<SelectedItem> selected_items;
};

struct ApprovalDetail {
  std::string approver;
  std::string speech;
  int sp_status = 0;  // 1 pending, 2 agreed, 3 rejected, 4 transferred
  std::int64_t sp_time = 0;
};
struct ApprovalRecord {
  int sp_status = 0;
  int approver_attr = 0;  // 1 或签, 2 会签
  std::vector<ApprovalDetail> details;
};
struct ApprovalComment {
  std::string user_id;
  std::int64_t time = 0;
  std::string content;
  std::string id;
};
struct ApprovalInfo {
  std::string sp_no;
  std::string sp_name;
  int sp_status = 0;  // 1 审批中, 2 已通过, 3 已驳回, 4 已撤销, 6 通过后撤销, 7 已删除, 10 已支付
  std::string template_id;
  std::int64_t apply_time = 0;
  std::string applyer_user_id;
  std::string applyer_party;
  std::vector<ApprovalRecord> records;
  std::vector<std::string> notifyers;
  std::vector<ApprovalComment> comments;
  int statu_change_event = 0;  // 1 submitted, 2 approved, 3 rejected, ... (kept as sent)
};
struct ApprovalChangeEvent {
  Header header;
  ApprovalInfo info;
};

enum class ExternalContactChange {
  kAdd,            // add_external_contact
  kEdit,           // edit_external_contact
  kAddHalf,        // add_half_external_contact
  kDelete,         // del_external_contact (the rep deleted the customer)
  kDelFollowUser,  // del_follow_user (the customer deleted the rep)
  kTransferFail,   // transfer_fail
  kOther,          // anything newer; see change_type_raw
};
struct ExternalContactEvent {
  Header header;
  ExternalContactChange change = ExternalContactChange::kOther;
  std::string change_type_raw;
  std::string user_id;
  std::string external_user_id;
  std::string state;
  std::string welcome_code;
  std::string source;       // del_external_contact: DELETE_BY_TRANSFER
  std::string fail_reason;  // transfer_fail: customer_refused / customer_limit_exceed
};

struct ExternalChatEvent {
  Header header;
  std::string change_type;  // create / update / dismiss
  std::string chat_id;
  std::string update_detail;  // add_member, del_member, change_owner, ...
  std::int64_t join_scene = -1;
  std::int64_t quit_scene = -1;
  std::int64_t mem_change_cnt = 0;
  std::vector<std::string> mem_change_list;
  std::string last_mem_ver;
  std::string cur_mem_ver;
};

struct ExternalTagEvent {
  Header header;
  std::string change_type;  // create / update / delete / shuffle
  std::string id;
  std::string tag_type;  // tag / tag_group
  std::string strategy_id;
};

struct ContactChangeEvent {
  Header header;
  std::string change_type;  // create_user, update_user, delete_user, create_party, ...
  std::string user_id;
  std::string new_user_id;
  std::string name;
  std::string department;
  std::string party_id;  // <Id> of party events
  std::string tag_id;
};

// Anything not modelled above, with the whole decrypted XML kept.
struct Unknown {
  Header header;
  std::string raw_xml;
};

using Event = std::variant<TextMessage, ImageMessage, VoiceMessage, VideoMessage, LocationMessage,
                           LinkMessage, SubscribeEvent, UnsubscribeEvent, EnterAgentEvent,
                           LocationEvent, ClickEvent, ViewEvent, TemplateCardEvent,
                           ApprovalChangeEvent, ExternalContactEvent, ExternalChatEvent,
                           ExternalTagEvent, ContactChangeEvent, Unknown>;

struct ParsedCallback {
  Event event;
  // "text", "image", ... for messages; "event:<name>" for events.
  std::string kind;
  // MsgId for messages; for events "<CreateTime>-<SHA-256 over every field of
  // the payload>", independent of element order and CDATA. Stable across
  // WeCom re-sends.
  std::string dedup_key;
  // A numeric field (CreateTime, SpStatus, ...) was not an integer: `event`
  // is then Unknown, with the whole XML, whatever its type.
  bool malformed_field = false;
};

// kBadPayload for malformed XML, a DOCTYPE, or a root other than <xml>. A
// well-formed payload is never refused for its field values (see
// ParsedCallback::malformed_field).
Result<ParsedCallback> ParseCallback(std::string_view xml);

// What storing a callback needs, without the typed event: ParseCallback's
// kind and dedup_key, and the sender (FromUserName, empty if none), from the
// same checks (kBadPayload exactly when ParseCallback refuses the payload).
// A number that is not one is not looked for: that is ParseCallback's.
struct IntakeFields {
  std::string kind;
  std::string dedup_key;
  std::string from_user;
};
Result<IntakeFields> ReadIntake(std::string_view xml);

const Header& HeaderOf(const Event& event);

}  // namespace scrm::wecom
