// Reading the CRM for digests: activity per rep over a time range, overdue
// follow-ups, stuck deals and churn risks of a team; the ledger of scheduled
// runs. Every function runs on a Connection (inside a Writer job, or on a
// read connection) and throws SQLite::Exception on database errors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/money.h"
#include "storage/crm.h"

namespace scrm::storage {

struct RepActivity {
  int new_customers = 0;
  int follow_ups = 0;
  int stage_moves = 0;
  int quotes = 0;
  int payments = 0;
  domain::Fen paid = 0;
};
// Per rep of `reps`, what happened in [from, to). `stages` is the funnel in
// order: a stage move counts when it goes forward along it (not back, not
// to lost).
std::map<std::string, RepActivity> Activity(Connection& c, const Owners& reps, std::int64_t from,
                                            std::int64_t to,
                                            const std::vector<std::string>& stages);
// Per rep, customers whose follow-up was due before `before` (and not done).
std::map<std::string, int> OverdueByRep(Connection& c, const Owners& reps, std::int64_t before);

struct RiskyCustomer {
  std::int64_t id = 0;
  std::string name;
  std::string owner;
  bool deleted_rep = false;
  std::int64_t lost_at = 0;  // a deal lost, none opened since; 0: none
};
struct Risks {
  std::vector<RiskyCustomer> listed;
  int total = 0;  // all of them, listed or not
};
struct RiskRules {
  std::int64_t at = 0;  // as of this moment
  int at_risk_days = 30;
  int churned_days = 90;
};
// Customers of `reps` at risk at `rules.at` by what is stored of them (the
// lifecycle's rule: not silent past churned_days, and they deleted the rep,
// lost a deal within at_risk_days, or fell silent past it). At most
// `limit`: those who deleted the rep, the latest first, then those who lost
// a deal, then those who fell silent, the latest first (the ones a manager
// can still act on).
Risks AtRisk(Connection& c, const Owners& reps, const RiskRules& rules, int limit);

struct Quote {
  std::int64_t id = 0;
  std::int64_t deal_id = 0;
  std::int64_t customer_id = 0;
  std::string rep;
  domain::Fen list_amount = 0;
  int discount_bp = 0;
  domain::Fen amount = 0;
  std::int64_t at = 0;
  std::string status;  // recorded, pending, approved, rejected, failed (never reached the manager)
  std::string manager;
  std::string sp_no;
};
// Records a quote (status "recorded", or "pending" with the manager who
// decides); returns its id.
std::int64_t InsertQuote(Connection& c, const domain::Deal& deal, const std::string& rep,
                         std::int64_t at, const std::string& status = "recorded",
                         const std::string& manager = "");
std::optional<Quote> QuoteById(Connection& c, std::int64_t id);
std::optional<Quote> QuoteBySpNo(Connection& c, const std::string& sp_no);
void SetQuoteSpNo(Connection& c, std::int64_t id, const std::string& sp_no);
// Whether the deal took a price after `quote_id` (a quote recorded or
// approved since; one still pending has not changed it): an approval of
// `quote_id` would then bring an older price back.
bool NewerQuote(Connection& c, std::int64_t deal_id, std::int64_t quote_id);
// Moves a pending quote to `status` (approved, rejected or failed); false
// when it was not pending (the decision was applied before).
bool DecideQuote(Connection& c, std::int64_t id, const std::string& status, std::int64_t at);
// An approved quote whose approval was revoked afterwards: 'withdrawn'.
// False when it was not approved.
bool WithdrawApprovedQuote(Connection& c, std::int64_t id, std::int64_t at);
// A failed quote waits again (its request reached the manager after all, at
// `at`: its reminder counts from then); false when it had not failed.
bool ReopenQuote(Connection& c, std::int64_t id, std::int64_t at);
// The manager of a pending quote got its request at `at` (a request that
// waited in the outbox): its reminder counts from then.
void MarkQuoteAsked(Connection& c, std::int64_t id, std::int64_t at);
// Pending quotes from before `before` whose manager was not reminded yet,
// and whose decision could still apply (their deal open and not quoted again
// since); marks them reminded.
std::vector<Quote> TakeQuotesToRemind(Connection& c, std::int64_t before);
// Pending quotes of `reps`, for matching the answers that come for them.
std::vector<Quote> PendingQuotes(Connection& c, const Owners& reps);
// Those of them whose decision could still apply, for the digest: a quote
// whose deal has ended or been quoted again waits for nothing a manager
// would decide (its answer, if any comes, changes nothing).
std::vector<Quote> QuotesAwaitingDecision(Connection& c, const Owners& reps);

// A week of the funnel for the weekly review.
// A stage's week: the deals that were in it at some moment of the week,
// and how many of those moved on to a later stage within the week.
struct StageFlow {
  int in = 0;
  int advanced = 0;
};
struct FunnelWeek {
  std::map<std::string, StageFlow> stages;  // by stage name
  int won = 0;
  domain::Fen won_amount = 0;
  double average_cycle_days = 0;  // created → won, of the deals won
  // Reasons deals were lost for, the most frequent first: (reason, deals).
  std::vector<std::pair<std::string, int>> lost_reasons;
};
// `order`: the funnel's stages, the first (where a deal starts) to the won
// one; "later" is by this order, and the lost stage is never later.
FunnelWeek FunnelStats(Connection& c, const Owners& reps, std::int64_t from, std::int64_t to,
                       const std::vector<std::string>& order, const std::string& lost_stage);

// The run ledger: records (job, period) and returns true, or false when it
// was recorded before (the run happened).
bool RecordJobRun(Connection& c, const std::string& job, const std::string& period,
                  std::int64_t at);
// When `job` last ran (or was recorded as skipped); 0 if it never did.
std::int64_t LastJobRunAt(Connection& c, const std::string& job);

}  // namespace scrm::storage
