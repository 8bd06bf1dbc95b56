// The manager's daily digest (日报): yesterday per rep, overdue follow-ups,
// deals stuck past their stage's limit, customers at risk. Sent at
// [schedule] daily_digest to each manager, or to the team's group chat or
// robot when [[teams]] names one.
#pragma once

#include <cstdint>
#include <string>

#include "bot/crm_context.h"
#include "domain/clock.h"

namespace scrm::bot {

// The digest text (markdown) of `manager`'s team for the local day that
// contains `day` (UTC epoch seconds).
std::string DailyDigest(storage::Connection& c, const std::string& manager, std::int64_t day,
                        const CrmContext& ctx);

// Every manager's digest for the local day before ctx.now, addressed as
// configured.
Messages DailyDigestMessages(storage::Connection& c, const CrmContext& ctx);

// The weekly review (周报) of `manager`'s team for the ISO week before the one
// containing `t`: the week against the previous one, funnel conversion by
// stage, average deal cycle, lost reasons, a leaderboard.
std::string WeeklyReview(storage::Connection& c, const std::string& manager, std::int64_t t,
                         const CrmContext& ctx);

// The team view (团队): per member, open deals and overdue follow-ups.
std::string TeamView(storage::Connection& c, const std::string& manager, const CrmContext& ctx);

// The scheduled jobs due at ctx.now that have not run for their period: each
// is recorded in the run ledger in the same transaction as its messages, so
// a restart neither repeats nor skips it. A run missed for longer than
// [schedule] catch_up_hours is recorded and skipped.
Messages RunScheduledJobs(storage::Connection& c, const CrmContext& ctx);

// `scrm-bot digest --manager ID [--date D] [--dry-run]`: the digest of the
// day D (default: yesterday) for the manager's team. --dry-run prints it;
// otherwise it is queued for the running bot to send. Returns the exit code.
int DigestCommand(const Config& config, const std::string& manager, const std::string& date,
                  bool dry_run, const domain::Clock& clock);

}  // namespace scrm::bot
