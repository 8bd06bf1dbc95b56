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

// Records `deal` (carrying the new quote, not stored yet) as a pending quote
// and asks the rep's manager; returns the messages (the request and the
// rep's answer). Without a manager, returns nothing: the caller applies the
// quote as usual.
Messages RequestApproval(storage::Connection& c, const std::string& rep,
                         const domain::Customer& customer, const domain::Deal& deal,
                         const CrmContext& ctx);

Messages HandleApprovalChange(storage::Connection& c, const wecom::ApprovalChangeEvent& event,
                              const CrmContext& ctx);
Messages HandleCardClick(storage::Connection& c, const wecom::TemplateCardEvent& event,
                         const CrmContext& ctx);
// Stores the sp_no of a submitted approval (the reply of oa/applyevent).
void ApprovalSubmitted(storage::Connection& c, const std::string& on_reply,
                       const std::string& body);
// One reminder to the manager of each quote left pending for
// [approval] remind_hours.
Messages ApprovalReminders(storage::Connection& c, const CrmContext& ctx);

}  // namespace scrm::bot
