// OA approval (审批): template details, submitting an approval on a rep's
// behalf, and reading an approval's state. The app must be listed under
// 审批 - 可调用接口的应用.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wecom/errors.h"

namespace scrm::wecom {

inline constexpr const char* kGetTemplateDetailPath = "/cgi-bin/oa/gettemplatedetail";
inline constexpr const char* kApplyEventPath = "/cgi-bin/oa/applyevent";
inline constexpr const char* kGetApprovalDetailPath = "/cgi-bin/oa/getapprovaldetail";

// Approval states (sp_status).
enum class ApprovalStatus {
  kPending = 1,
  kApproved = 2,
  kRejected = 3,
  kRevoked = 4,
  kRevokedAfterApproval = 6,
  kDeleted = 7,
  kPaid = 10,
};

std::string TemplateDetailBody(std::string_view template_id);
struct TemplateControl {
  std::string control;  // Text, Textarea, Number, Money, Date, Selector, ...
  std::string id;       // e.g. "Text-1569573760849"
  std::string title;    // the zh_CN title when there is one
  bool required = false;
};
struct ApprovalTemplate {
  std::string name;
  std::vector<TemplateControl> controls;
};
Result<ApprovalTemplate> ParseApprovalTemplate(std::string_view json);

// One filled control of an application. Only the kinds the bot fills.
struct ApplyValue {
  enum class Kind { kText, kTextarea, kNumber, kMoney };
  Kind kind = Kind::kText;
  std::string id;     // the control id from the template
  std::string value;  // text, or the number as digits ("1999.00" for money)
};

struct ApprovalApplication {
  std::string creator_userid;
  std::string template_id;
  std::vector<std::string> approvers;  // one node, 或签; empty = the template's flow
  std::vector<ApplyValue> values;
  std::vector<std::string> summary;  // at most 3 lines of at most 20 characters
};
// kBadPayload when the creator, template or values are missing.
Result<std::string> ApplyEventBody(const ApprovalApplication& application);
// The sp_no of the new approval.
Result<std::string> ParseApplyEventReply(std::string_view json);

std::string ApprovalDetailBody(std::string_view sp_no);
struct ApprovalDecision {
  std::string approver;
  int status = 0;  // the approver's own sp_status
  std::string speech;
  std::int64_t time = 0;
};
struct ApprovalState {
  std::string sp_no;
  std::string sp_name;
  int status = 0;  // ApprovalStatus
  std::string template_id;
  std::int64_t apply_time = 0;
  std::string applicant;
  std::vector<ApprovalDecision> decisions;
  // The form as filled: its Text, Textarea, Number and Money controls (the
  // kinds the bot fills; others are left out).
  std::vector<ApplyValue> values;
};
Result<ApprovalState> ParseApprovalDetail(std::string_view json);

}  // namespace scrm::wecom
