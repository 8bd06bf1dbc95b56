// What the CRM handlers (rep commands, customer events, reminders) work
// with. They run inside Writer jobs: every change and the outbox rows it
// causes commit together.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bot/config.h"
#include "bot/org.h"
#include "bot/render.h"
#include "domain/funnel.h"
#include "storage/outbox.h"

namespace scrm::storage {
class Connection;
}

namespace scrm::bot {

struct CrmContext {
  const Config& config;
  const domain::Funnel& funnel;
  const Templates& templates;
  const Org& org;
  std::int64_t now = 0;  // UTC epoch seconds
};

using Messages = std::vector<storage::OutboxMessage>;

// A customer's name as reps read it. Until externalcontact/get has given
// the name, it is （资料获取中）, never the external userid.
std::string DisplayName(const std::string& name);

// Text app messages to one member (split at WeCom's limit) that WeCom shows
// once in 30 minutes: for what is sent on a schedule (reminders), where the
// same words twice are the same message.
Messages TextTo(const std::string& user, std::int64_t agent_id, const std::string& text);
// The same, delivered however often it repeats: answers to a rep's commands
// and notices of events, which may rightly say the same thing twice (the same
// command again, a second rejection of the same terms).
Messages AnswerTo(const std::string& user, std::int64_t agent_id, const std::string& text);

// The funnel of the configuration (the default one when none is set).
domain::Funnel FunnelOf(const Config& config);

// Moves `deal` to `stage` when it is at an earlier stage of the funnel,
// recording the change by `by`; a new deal (id 0) is stored first.
void AdvanceDeal(storage::Connection& c, domain::Deal& deal, const std::string& stage,
                 const std::string& by, const CrmContext& ctx);

// Moves `deal` to `to` (any stage, won or lost) by `by`, now: recorded in
// the stage history; a closing stage closes the deal, and a win dates the
// customer's. A new deal (id 0) is stored first.
void MoveDeal(storage::Connection& c, domain::Deal& deal, domain::Customer& customer,
              const std::string& to, const std::string& by, const CrmContext& ctx);

// Wins an open deal whose payments reach its quote (a new, lower quote or an
// approved discount can do that), recording the move by `by`. False when it
// is not paid off, has no quote, or is closed already.
bool WinIfPaidOff(storage::Connection& c, domain::Deal& deal, domain::Customer& customer,
                  const std::string& by, const CrmContext& ctx);

// Recomputes the customer's tier, lifecycle and next follow-up from its
// facts and stores it.
void RefreshCustomer(storage::Connection& c, domain::Customer& customer, const CrmContext& ctx);
// Refreshes up to `limit` customers whose lifecycle time alone has changed
// (a silence past a threshold: at risk, then churned, with the plan that
// goes with it); how many it refreshed.
int RefreshLifecycles(storage::Connection& c, const CrmContext& ctx, int limit);
// How many a reminder scan or the daily digests refresh at most: 40-60 ms
// of the writer's time when all are due (bench/crm.sh), as right after the
// migration that dates them; the rest wait for the next time.
inline constexpr int kLifecyclesPerRefresh = 2000;

}  // namespace scrm::bot
