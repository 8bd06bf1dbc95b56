// Discounts beyond a rep's authority: the quote waits for the manager, who
// decides in an OA approval (when [approval] names a template) or on an
// interactive card. Each decision is applied once, however often WeCom
// sends it.
#pragma once

#include <string>

#include "bot/crm_context.h"
#include "domain/customer.h"
#include "wecom/callback.h"

namespace scrm::bot {

// on_reply of an oa/applyevent row: "approval_submitted:<quote id>".
inline constexpr const char* kApprovalSubmitted = "approval_submitted:";

// on_reply of the manager's card (message/send): "approval_card:<quote id>".
inline constexpr const char* kApprovalCard = "approval_card:";
// on_reply of an oa/getapprovaldetail row asked for a decision whose sp_no
// is not on record.
inline constexpr const char* kApprovalDetail = "approval_detail";

// Records `deal` (carrying the new quote, not stored yet) as a pending quote
// and asks the rep's manager; returns the messages (the request and the
// rep's answer). The same quote of the same deal already waiting is not
// filed again: only the rep is answered. Without a manager, returns
// nothing: the caller applies the quote as usual.
Messages RequestApproval(storage::Connection& c, const std::string& rep,
                         const domain::Customer& customer, const domain::Deal& deal,
                         const CrmContext& ctx);

Messages HandleApprovalChange(storage::Connection& c, const wecom::ApprovalChangeEvent& event,
                              const CrmContext& ctx);
Messages HandleCardClick(storage::Connection& c, const wecom::TemplateCardEvent& event,
                         const CrmContext& ctx);
// Stores the sp_no of a submitted approval (the reply of oa/applyevent).
// A quote whose request had failed waits again (the row was sent again
// from the dead letter), and the rep is told.
Messages ApprovalSubmitted(storage::Connection& c, const std::string& on_reply,
                           const std::string& body, const CrmContext& ctx);
// The manager's card was delivered: likewise for a quote that had failed.
Messages ApprovalCardDelivered(storage::Connection& c, const std::string& on_reply,
                               const CrmContext& ctx);
// Applies a decision that arrived for an approval whose sp_no was never
// recorded (the answer of oa/applyevent was lost, so the application may
// have been submitted twice): the approval's form (the reply of
// oa/getapprovaldetail) names the pending quote it was made for.
Messages ApprovalDetailRead(storage::Connection& c, const std::string& body, const CrmContext& ctx);
// WeCom refused the approval request for good (the row of `on_reply`,
// kApprovalSubmitted or kApprovalCard, went to the dead letter with
// `errcode` and `why`): the quote is no longer pending, and the rep is told
// why in words (WeCom's own text, with userids and the server's address,
// goes to the log).
Messages ApprovalNotDelivered(storage::Connection& c, const std::string& on_reply, int errcode,
                              const std::string& why, const CrmContext& ctx);
// One reminder to the manager of each quote left pending for
// [approval] remind_hours.
Messages ApprovalReminders(storage::Connection& c, const CrmContext& ctx);

}  // namespace scrm::bot
