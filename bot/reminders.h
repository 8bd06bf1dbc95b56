// Reminders to reps: due follow-ups (first contact, revisit after a win,
// routine by tier) and deals stuck past their stage's SLA, batched into one
// message per rep per scan, only inside working hours, each reminder once.
#pragma once

#include <cstdint>

#include "bot/crm_context.h"

namespace scrm::bot {

// Whether `now` is inside [reminders] working hours of schedule.timezone.
bool InWorkingHours(std::int64_t now, const Config& config);

// The reminder messages due at ctx.now; records each reminder so that no
// later scan sends it again. Runs inside a Writer job.
Messages ReminderMessages(storage::Connection& c, const CrmContext& ctx);

}  // namespace scrm::bot
