// Reading the CRM for digests: activity per rep over a time range, overdue
// follow-ups, stuck deals and churn risks of a team; the ledger of scheduled
// runs. Every function runs on a Connection (inside a Writer job, or on a
// read connection) and throws SQLite::Exception on database errors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
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
// Per rep of `reps`, what happened in [from, to).
std::map<std::string, RepActivity> Activity(Connection& c, const Owners& reps, std::int64_t from,
                                            std::int64_t to);
// Per rep, customers whose follow-up was due before `before` (and not done).
std::map<std::string, int> OverdueByRep(Connection& c, const Owners& reps, std::int64_t before);

struct RiskyCustomer {
  std::int64_t id = 0;
  std::string name;
  std::string owner;
  bool deleted_rep = false;
};
// Customers of `reps` at risk: they deleted the rep, or nothing happened
// with them since `silent_before`. At most `limit`, those who left first.
std::vector<RiskyCustomer> AtRisk(Connection& c, const Owners& reps, std::int64_t silent_before,
                                  int limit);

void InsertQuote(Connection& c, const domain::Deal& deal, const std::string& rep, std::int64_t at);

// The run ledger: records (job, period) and returns true, or false when it
// was recorded before (the run happened).
bool RecordJobRun(Connection& c, const std::string& job, const std::string& period,
                  std::int64_t at);

}  // namespace scrm::storage
