#include "storage/reports.h"

#include <set>

#include "storage/connection.h"
#include "storage/json_list.h"

namespace scrm::storage {
namespace {

constexpr const char* kInReps = " IN (SELECT value FROM json_each(:reps)) ";

// Binds :reps (a JSON list), :from and :to.
void BindPeriod(SQLite::Statement& q, const std::string& reps, std::int64_t from, std::int64_t to) {
  q.bind(":reps", reps);
  q.bind(":from", static_cast<int64_t>(from));
  q.bind(":to", static_cast<int64_t>(to));
}

// Runs `sql` (binding :reps, :from, :to) and hands each row to `field`
// with the activity of the rep in column 0.
// `stages`, when given, is bound as :stages (a JSON list).
template <class Field>
void Count(Connection& c, const char* sql, const Owners& reps, std::int64_t from, std::int64_t to,
           std::map<std::string, RepActivity>& out, Field field,
           const std::vector<std::string>& stages = {}) {
  Use q(c, sql);
  BindPeriod(*q, JsonList(reps), from, to);
  if (!stages.empty()) q->bind(":stages", JsonList(stages));
  while (q->executeStep()) field(out[q->getColumn(0).getString()], *q);
}

}  // namespace

std::map<std::string, RepActivity> Activity(Connection& c, const Owners& reps, std::int64_t from,
                                            std::int64_t to,
                                            const std::vector<std::string>& stages) {
  std::map<std::string, RepActivity> out;
  for (const auto& r : reps) out[r];
  static const std::string customers =
      std::string("SELECT added_by, count(*) FROM customers WHERE added_by") + kInReps +
      "AND created_at >= :from AND created_at < :to GROUP BY added_by";
  static const std::string follow_ups =
      std::string("SELECT rep, count(*) FROM follow_ups WHERE rep") + kInReps +
      "AND at >= :from AND at < :to GROUP BY rep";
  // Forward along the funnel: both stages in it, the second one later.
  static const std::string moves = std::string(
                                       "SELECT h.by_user, count(*) FROM stage_history h "
                                       "JOIN json_each(:stages) f ON f.value = h.from_stage "
                                       "JOIN json_each(:stages) t ON t.value = h.to_stage "
                                       "WHERE t.key > f.key AND h.by_user") +
                                   kInReps + "AND h.at >= :from AND h.at < :to GROUP BY h.by_user";
  // Quotes that reached the customer: recorded, or approved (when decided);
  // not those waiting or rejected.
  static const std::string quotes =
      std::string("SELECT rep, count(*) FROM quotes WHERE rep") + kInReps +
      "AND ((status = 'recorded' AND at >= :from AND at < :to) OR (status = 'approved' AND "
      "decided_at >= :from AND decided_at < :to)) GROUP BY rep";
  static const std::string payments =
      std::string("SELECT rep, count(*), sum(amount) FROM payments WHERE rep") + kInReps +
      "AND at >= :from AND at < :to GROUP BY rep";
  auto count = [](int RepActivity::*field) {
    return
        [field](RepActivity& a, SQLite::Statement& row) { a.*field = row.getColumn(1).getInt(); };
  };
  Count(c, customers.c_str(), reps, from, to, out, count(&RepActivity::new_customers));
  Count(c, follow_ups.c_str(), reps, from, to, out, count(&RepActivity::follow_ups));
  Count(c, moves.c_str(), reps, from, to, out, count(&RepActivity::stage_moves), stages);
  Count(c, quotes.c_str(), reps, from, to, out, count(&RepActivity::quotes));
  Count(c, payments.c_str(), reps, from, to, out, [](RepActivity& a, SQLite::Statement& row) {
    a.payments = row.getColumn(1).getInt();
    a.paid = row.getColumn(2).getInt64();
  });
  return out;
}

std::map<std::string, int> OverdueByRep(Connection& c, const Owners& reps, std::int64_t before) {
  static const std::string sql =
      std::string(
          "SELECT owner, count(*) FROM customers WHERE next_follow_up_at > 0 AND "
          "next_follow_up_at < :before AND removed_at = 0 AND owner") +
      kInReps + "GROUP BY owner";
  Use q(c, sql.c_str());
  q->bind(":reps", JsonList(reps));
  q->bind(":before", static_cast<int64_t>(before));
  std::map<std::string, int> out;
  while (q->executeStep()) out[q->getColumn(0).getString()] = q->getColumn(1).getInt();
  return out;
}

Risks AtRisk(Connection& c, const Owners& reps, const RiskRules& rules, int limit) {
  // The lifecycle's rule (domain::ClassifyLifecycle) at `rules.at`, over the
  // stored facts: not churned, and the rep deleted, a deal lost lately or a
  // long silence.
  static const std::string quiet =
      "max(last_contact_at, last_follow_up_at, created_at, owned_since, won_at)";
  static const std::string sql =
      "SELECT id, name, owner, deleted_rep, lost_at, count(*) OVER () FROM customers WHERE "
      "removed_at = 0 AND " +
      quiet + " >= :churned AND (deleted_rep = 1 OR lost_at >= :lately OR " + quiet +
      " < :lately) AND owner" + kInReps +
      // (deleted_rep_at stays from a deletion undone by an add since.)
      "ORDER BY deleted_rep DESC, CASE WHEN deleted_rep = 1 THEN deleted_rep_at ELSE 0 END DESC, "
      "CASE WHEN lost_at >= :lately THEN lost_at ELSE 0 END DESC, " +
      quiet + " DESC, id DESC LIMIT :limit";
  Use q(c, sql.c_str());
  q->bind(":reps", JsonList(reps));
  q->bind(":churned", static_cast<int64_t>(rules.at - std::int64_t{rules.churned_days} * 86400));
  // Silent since before it, or a deal lost after it.
  q->bind(":lately", static_cast<int64_t>(rules.at - std::int64_t{rules.at_risk_days} * 86400));
  q->bind(":limit", limit);
  Risks out;
  while (q->executeStep()) {
    out.listed.push_back({q->getColumn(0).getInt64(), q->getColumn(1).getString(),
                          q->getColumn(2).getString(), q->getColumn(3).getInt() != 0,
                          q->getColumn(4).getInt64()});
    out.total = q->getColumn(5).getInt();
  }
  return out;
}

std::int64_t InsertQuote(Connection& c, const domain::Deal& deal, const std::string& rep,
                         std::int64_t at, const std::string& status, const std::string& manager) {
  Use q(c,
        "INSERT INTO quotes (deal_id, customer_id, rep, list_amount, discount_bp, amount, at, "
        "status, manager) VALUES (:d, :c, :r, :l, :bp, :a, :at, :s, :m)");
  q->bind(":d", static_cast<int64_t>(deal.id));
  q->bind(":c", static_cast<int64_t>(deal.customer_id));
  q->bind(":r", rep);
  q->bind(":l", static_cast<int64_t>(deal.list_amount));
  q->bind(":bp", deal.discount_bp);
  q->bind(":a", static_cast<int64_t>(deal.amount));
  q->bind(":at", static_cast<int64_t>(at));
  q->bind(":s", status);
  q->bind(":m", manager);
  q->exec();
  return c.db.getLastInsertRowid();
}

namespace {

constexpr const char* kQuoteSelect =
    "SELECT id, deal_id, customer_id, rep, list_amount, discount_bp, amount, at, status, manager, "
    "sp_no FROM quotes ";

std::vector<Quote> Quotes(SQLite::Statement& q) {
  std::vector<Quote> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                   q.getColumn(3).getString(), q.getColumn(4).getInt64(), q.getColumn(5).getInt(),
                   q.getColumn(6).getInt64(), q.getColumn(7).getInt64(), q.getColumn(8).getString(),
                   q.getColumn(9).getString(), q.getColumn(10).getString()});
  }
  return out;
}

}  // namespace

std::optional<Quote> QuoteById(Connection& c, std::int64_t id) {
  static const std::string sql = std::string(kQuoteSelect) + "WHERE id = :id";
  Use q(c, sql.c_str());
  q->bind(":id", static_cast<int64_t>(id));
  auto rows = Quotes(*q);
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

std::optional<Quote> QuoteBySpNo(Connection& c, const std::string& sp_no) {
  static const std::string sql = std::string(kQuoteSelect) + "WHERE sp_no = :sp AND sp_no != ''";
  Use q(c, sql.c_str());
  q->bind(":sp", sp_no);
  auto rows = Quotes(*q);
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

bool NewerQuote(Connection& c, std::int64_t deal_id, std::int64_t quote_id) {
  Use q(c,
        "SELECT 1 FROM quotes WHERE deal_id = :d AND id > :id "
        "AND (status = 'recorded' OR status = 'approved') LIMIT 1");
  q->bind(":d", static_cast<int64_t>(deal_id));
  q->bind(":id", static_cast<int64_t>(quote_id));
  return q->executeStep();
}

void SetQuoteSpNo(Connection& c, std::int64_t id, const std::string& sp_no) {
  Use q(c, "UPDATE quotes SET sp_no = :sp WHERE id = :id");
  q->bind(":sp", sp_no);
  q->bind(":id", static_cast<int64_t>(id));
  q->exec();
}

namespace {

// Moves quote `id` from status `from` to `to`, decided at `at`; false when
// it was not at `from`.
bool MoveQuote(Connection& c, std::int64_t id, const std::string& from, const std::string& to,
               std::int64_t at) {
  Use q(c, "UPDATE quotes SET status = :to, decided_at = :at WHERE id = :id AND status = :from");
  q->bind(":to", to);
  q->bind(":at", static_cast<int64_t>(at));
  q->bind(":id", static_cast<int64_t>(id));
  q->bind(":from", from);
  return q->exec() == 1;
}

}  // namespace

bool DecideQuote(Connection& c, std::int64_t id, const std::string& status, std::int64_t at) {
  return MoveQuote(c, id, "pending", status, at);
}

bool WithdrawApprovedQuote(Connection& c, std::int64_t id, std::int64_t at) {
  return MoveQuote(c, id, "approved", "withdrawn", at);
}

bool ReopenQuote(Connection& c, std::int64_t id, std::int64_t at) {
  Use q(c,
        "UPDATE quotes SET status = 'pending', decided_at = 0, reminded = 0, asked_at = :at "
        "WHERE id = :id AND status = 'failed'");
  q->bind(":at", static_cast<int64_t>(at));
  q->bind(":id", static_cast<int64_t>(id));
  return q->exec() == 1;
}

void MarkQuoteAsked(Connection& c, std::int64_t id, std::int64_t at) {
  Use q(c, "UPDATE quotes SET asked_at = :at WHERE id = :id AND status = 'pending'");
  q->bind(":at", static_cast<int64_t>(at));
  q->bind(":id", static_cast<int64_t>(id));
  q->exec();
}

// A pending quote whose decision could still apply: its deal has not ended
// and has not been quoted again since (an approval would then be overtaken).
constexpr const char* kStillCurrent =
    " AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.id = quotes.deal_id AND d.closed_at > 0)"
    " AND NOT EXISTS (SELECT 1 FROM quotes n WHERE n.deal_id = quotes.deal_id"
    " AND n.id > quotes.id AND (n.status = 'recorded' OR n.status = 'approved')) ";

std::vector<Quote> TakeQuotesToRemind(Connection& c, std::int64_t before) {
  static const std::string sql =
      std::string(kQuoteSelect) +
      "WHERE status = 'pending' AND max(at, asked_at) < :before AND reminded = 0" + kStillCurrent;
  Use q(c, sql.c_str());
  q->bind(":before", static_cast<int64_t>(before));
  auto rows = Quotes(*q);
  for (const auto& quote : rows) {
    Use mark(c, "UPDATE quotes SET reminded = 1 WHERE id = :id");
    mark->bind(":id", static_cast<int64_t>(quote.id));
    mark->exec();
  }
  return rows;
}

std::vector<Quote> PendingQuotes(Connection& c, const Owners& reps) {
  static const std::string sql =
      std::string(kQuoteSelect) + "WHERE status = 'pending' AND rep" + kInReps + "ORDER BY at";
  Use q(c, sql.c_str());
  q->bind(":reps", JsonList(reps));
  return Quotes(*q);
}

std::vector<Quote> QuotesAwaitingDecision(Connection& c, const Owners& reps) {
  static const std::string sql = std::string(kQuoteSelect) + "WHERE status = 'pending' AND rep" +
                                 kInReps + kStillCurrent + "ORDER BY at";
  Use q(c, sql.c_str());
  q->bind(":reps", JsonList(reps));
  return Quotes(*q);
}

namespace {

// Adds each stage's deals in the week, and those that moved on, to `out`.
void StageFlows(Connection& c, const std::string& reps, std::int64_t from, std::int64_t to,
                const std::vector<std::string>& order, const std::string& lost, FunnelWeek& out) {
  if (order.empty()) return;
  std::map<std::string, std::size_t> rank;
  for (std::size_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
  std::map<std::int64_t, std::set<std::string>> in;        // deal → stages it was in
  std::map<std::int64_t, std::set<std::string>> advanced;  // deal → stages it left forward
  {
    // Deals open at some moment of the week, with their stage when it began
    // (NULL: no move before it, so the first stage).
    // Open ones (by the partial index of open deals per owner), and those
    // closed since the week began (by closing time). A deal whose customer
    // the rep deleted in WeCom before the week left the funnel then.
    static const std::string stage =
        "SELECT d.id, (SELECT h.to_stage FROM stage_history h WHERE h.deal_id = d.id AND h.at < "
        ":from ORDER BY h.at DESC, h.rowid DESC LIMIT 1) FROM deals d WHERE d.created_at < :to "
        "AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = d.customer_id "
        "AND c.removed_at > 0 AND c.removed_at < :from) AND ";
    // ("closed_at > 0" lets SQLite use the partial index of closed deals.)
    static const std::string sql = stage + "d.closed_at = 0 AND d.owner" + kInReps + "UNION ALL " +
                                   stage + "d.closed_at > 0 AND d.closed_at >= :from AND d.owner" +
                                   kInReps;
    Use q(c, sql.c_str());
    BindPeriod(*q, reps, from, to);
    while (q->executeStep()) {
      bool moved = !q->getColumn(1).isNull();
      in[q->getColumn(0).getInt64()].insert(moved ? q->getColumn(1).getString() : order.front());
    }
  }
  static const std::string sql =
      std::string(
          "SELECT h.deal_id, h.from_stage, h.to_stage FROM stage_history h JOIN deals d ON d.id = "
          "h.deal_id WHERE h.at >= :from AND h.at < :to AND d.owner") +
      kInReps;
  Use q(c, sql.c_str());
  BindPeriod(*q, reps, from, to);
  while (q->executeStep()) {
    std::int64_t deal = q->getColumn(0).getInt64();
    std::string left = q->getColumn(1).getString();
    std::string entered = q->getColumn(2).getString();
    in[deal].insert(entered);
    auto a = rank.find(left);
    auto b = rank.find(entered);
    if (a != rank.end() && b != rank.end() && b->second > a->second && entered != lost) {
      advanced[deal].insert(left);
    }
  }
  for (const auto& [deal, stages] : in) {
    for (const auto& stage : stages) ++out.stages[stage].in;
  }
  for (const auto& [deal, stages] : advanced) {
    for (const auto& stage : stages) ++out.stages[stage].advanced;
  }
}

}  // namespace

FunnelWeek FunnelStats(Connection& c, const Owners& reps, std::int64_t from, std::int64_t to,
                       const std::vector<std::string>& order, const std::string& lost_stage) {
  FunnelWeek out;
  std::string list = JsonList(reps);
  StageFlows(c, list, from, to, order, lost_stage, out);
  const std::string won_stage = order.empty() ? "" : order.back();
  {
    static const std::string sql =
        std::string(
            "SELECT count(*), coalesce(sum(amount), 0), coalesce(avg(closed_at - created_at), 0) "
            "FROM deals WHERE closed_at > 0 AND closed_at >= :from AND closed_at < :to AND stage = "
            ":won AND owner") +
        kInReps;
    Use q(c, sql.c_str());
    BindPeriod(*q, list, from, to);
    q->bind(":won", won_stage);
    if (q->executeStep()) {
      out.won = q->getColumn(0).getInt();
      out.won_amount = q->getColumn(1).getInt64();
      out.average_cycle_days = q->getColumn(2).getDouble() / 86400.0;
    }
  }
  {
    static const std::string sql = std::string(
                                       "SELECT lost_reason, count(*) FROM deals WHERE closed_at > "
                                       "0 AND closed_at >= :from AND "
                                       "closed_at < :to AND stage = :lost AND owner") +
                                   kInReps +
                                   "GROUP BY lost_reason ORDER BY count(*) DESC, lost_reason";
    Use q(c, sql.c_str());
    BindPeriod(*q, list, from, to);
    q->bind(":lost", lost_stage);
    while (q->executeStep()) {
      out.lost_reasons.emplace_back(q->getColumn(0).getString(), q->getColumn(1).getInt());
    }
  }
  return out;
}

bool RecordJobRun(Connection& c, const std::string& job, const std::string& period,
                  std::int64_t at) {
  Use q(c,
        "INSERT INTO job_runs (job, period, ran_at) VALUES (:j, :p, :at) "
        "ON CONFLICT (job, period) DO NOTHING");
  q->bind(":j", job);
  q->bind(":p", period);
  q->bind(":at", static_cast<int64_t>(at));
  int changed = q->exec();
  return changed == 1;
}

std::int64_t LastJobRunAt(Connection& c, const std::string& job) {
  Use q(c, "SELECT coalesce(max(ran_at), 0) FROM job_runs WHERE job = :j");
  q->bind(":j", job);
  return q->executeStep() ? q->getColumn(0).getInt64() : 0;
}

}  // namespace scrm::storage
