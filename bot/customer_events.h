// WeCom's customer-contact events (change_external_contact) and the replies
// of the calls they cause.
#pragma once

#include <string>

#include "bot/crm_context.h"
#include "wecom/callback.h"

namespace scrm::bot {

// on_reply of an externalcontact/get row (its first page; a later page's
// is followed by ":" and the page's number).
inline constexpr const char* kCustomerDetail = "customer_detail";
// Pages of a customer's followers read at most to find their owner (500
// members a page).
inline constexpr int kMaxFollowerPages = 20;
// on_reply of a get_corp_tag_list row.
inline constexpr const char* kCorpTags = "corp_tags";

// add / add_half: the customer is created for the rep (channel from State),
// welcomed (send_welcome_msg, when there is a WelcomeCode) and fetched
// (externalcontact/get); the first follow-up is planned. edit: fetched
// again. del_follow_user: at risk, the rep's manager is alerted.
// del_external_contact: recorded. transfer_fail: the rep is told.
Messages HandleContactEvent(storage::Connection& c, const wecom::ExternalContactEvent& event,
                            const CrmContext& ctx);

// What a successful outbox call leads to (`on_reply` of its row).
Messages ApplyReply(storage::Connection& c, const std::string& on_reply, const std::string& body,
                    const CrmContext& ctx);
// A tag or tag group of the corp's library renamed or deleted
// (change_external_tag): the library is read, and the customers who carry a
// changed tag follow (their tier and 大客户 with it).
Messages HandleTagChange(const wecom::ExternalTagEvent& event);

// A change in the company directory (change_contact): a rep's new userid
// takes their customers along; a rep who left with customers is reported
// to their manager, who reassigns them in WeCom (离职继承).
Messages HandleDirectoryChange(storage::Connection& c, const wecom::ContactChangeEvent& event,
                               const CrmContext& ctx);

// What a row's call refused for good (moved to the dead letter with WeCom's
// `errcode`, 0 for none, and `why`, for the log) leads to (`on_reply` of the
// row).
Messages ApplyRefusal(storage::Connection& c, const std::string& on_reply, int errcode,
                      const std::string& why, const CrmContext& ctx);

}  // namespace scrm::bot
