// What the bot does with one stored callback: the state changes it makes and
// the outbound messages it causes. Runs inside a Writer job, on the write
// connection, so both commit with the dispatch cursor: after a crash a row is
// dispatched again only if none of its effects were committed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bot/crm_context.h"
#include "storage/inbox.h"
#include "storage/outbox.h"

namespace scrm::bot {

// Whether callbacks of this inbox kind can have any effect (others are not
// parsed at all).
bool NeedsDispatch(const std::string& kind);
// The inbox kind of a change in the company directory (change_contact),
// which changes who reports to whom.
inline constexpr const char* kDirectoryChangeKind = "event:change_contact";

Messages Dispatch(storage::Connection& c, const storage::InboxRow& row, const CrmContext& ctx);

// The recipient key that orders a member's messages.
std::string UserRecipient(const std::string& user_id);

// Messages to the group robot configured as [robots] NAME: the row names the
// robot, and the delivery thread adds its key when sending.
inline constexpr const char* kRobotPrefix = "robot:";
std::vector<storage::OutboxMessage> RobotMarkdownMessages(const std::string& robot,
                                                          const std::string& markdown);

}  // namespace scrm::bot
