// What the bot does with one stored callback: the outbound messages it
// causes. Pure: no I/O, so a row can be dispatched again after a crash and
// produce the same messages.
#pragma once

#include <cstdint>
#include <vector>

#include "bot/render.h"
#include "storage/inbox.h"
#include "storage/outbox.h"

namespace scrm::bot {

struct DispatchContext {
  const Templates& templates;
  std::int64_t agent_id;
};

std::vector<storage::OutboxMessage> Dispatch(const storage::InboxRow& row,
                                             const DispatchContext& context);

// The recipient key that orders a member's messages.
std::string UserRecipient(const std::string& user_id);

// Messages to the group robot configured as [robots] NAME: the row names the
// robot, and the delivery thread adds its key when sending.
inline constexpr const char* kRobotPrefix = "robot:";
std::vector<storage::OutboxMessage> RobotMarkdownMessages(const std::string& robot,
                                                          const std::string& markdown);

}  // namespace scrm::bot
