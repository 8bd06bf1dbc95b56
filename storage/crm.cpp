#include "storage/crm.h"

#include <algorithm>
#include <set>

#include "storage/connection.h"
#include "storage/json_list.h"

namespace scrm::storage {
namespace {

using domain::Customer;
using domain::Deal;

constexpr const char* kCustomerColumns =
    "id, external_userid, name, company, remark, owner, tier, tier_manual, lifecycle, channel, "
    "is_large, deleted_rep, created_at, last_follow_up_at, next_follow_up_at, won_at, paid_total, "
    "planned_follow_up_at, owned_since, last_contact_at, lost_at, lifecycle_changes_at";

Customer ReadCustomer(SQLite::Statement& q) {
  Customer c;
  c.id = q.getColumn(0).getInt64();
  c.external_userid = q.getColumn(1).getString();
  c.name = q.getColumn(2).getString();
  c.company = q.getColumn(3).getString();
  c.remark = q.getColumn(4).getString();
  c.owner = q.getColumn(5).getString();
  std::string tier = q.getColumn(6).getString();
  c.tier = tier.empty() ? 'C' : tier[0];
  // tier_manual: 0 by value, 1 set by the rep, 2 set by a WeCom tag.
  c.tier_manual = q.getColumn(7).getInt() != 0;
  c.tier_from_tag = q.getColumn(7).getInt() == 2;
  c.lifecycle =
      domain::ParseLifecycle(q.getColumn(8).getString()).value_or(domain::Lifecycle::kNew);
  c.channel = q.getColumn(9).getString();
  c.is_large = q.getColumn(10).getInt() != 0;
  c.deleted_rep = q.getColumn(11).getInt() != 0;
  c.created_at = q.getColumn(12).getInt64();
  c.last_follow_up_at = q.getColumn(13).getInt64();
  c.next_follow_up_at = q.getColumn(14).getInt64();
  c.won_at = q.getColumn(15).getInt64();
  c.paid_total = q.getColumn(16).getInt64();
  c.planned_follow_up_at = q.getColumn(17).getInt64();
  c.owned_since = q.getColumn(18).getInt64();
  c.last_contact_at = q.getColumn(19).getInt64();
  c.lost_at = q.getColumn(20).getInt64();
  c.lifecycle_changes_at = q.getColumn(21).getInt64();
  return c;
}

void BindCustomer(SQLite::Statement& q, const Customer& c) {
  if (c.external_userid.empty()) {
    q.bind(":ext");
  } else {
    q.bind(":ext", c.external_userid);
  }
  q.bind(":name", c.name);
  q.bind(":company", c.company);
  q.bind(":remark", c.remark);
  q.bind(":owner", c.owner);
  q.bind(":tier", std::string(1, c.tier));
  q.bind(":tier_manual", !c.tier_manual ? 0 : c.tier_from_tag ? 2 : 1);
  q.bind(":lifecycle", std::string(domain::LifecycleKey(c.lifecycle)));
  q.bind(":channel", c.channel);
  q.bind(":is_large", c.is_large ? 1 : 0);
  q.bind(":deleted_rep", c.deleted_rep ? 1 : 0);
  q.bind(":created_at", static_cast<int64_t>(c.created_at));
  q.bind(":last", static_cast<int64_t>(c.last_follow_up_at));
  q.bind(":next", static_cast<int64_t>(c.next_follow_up_at));
  q.bind(":won", static_cast<int64_t>(c.won_at));
  q.bind(":paid", static_cast<int64_t>(c.paid_total));
  q.bind(":planned", static_cast<int64_t>(c.planned_follow_up_at));
  q.bind(":owned", static_cast<int64_t>(c.owned_since));
  q.bind(":contact", static_cast<int64_t>(c.last_contact_at));
  q.bind(":lost", static_cast<int64_t>(c.lost_at));
  q.bind(":changes", static_cast<int64_t>(c.lifecycle_changes_at));
}

constexpr const char* kDealColumns =
    "id, customer_id, owner, stage, amount, list_amount, discount_bp, paid, product, lost_reason, "
    "created_at, stage_entered_at, closed_at";

Deal ReadDeal(SQLite::Statement& q) {
  Deal d;
  d.id = q.getColumn(0).getInt64();
  d.customer_id = q.getColumn(1).getInt64();
  d.owner = q.getColumn(2).getString();
  d.stage = q.getColumn(3).getString();
  d.amount = q.getColumn(4).getInt64();
  d.list_amount = q.getColumn(5).getInt64();
  d.discount_bp = q.getColumn(6).getInt();
  d.paid = q.getColumn(7).getInt64();
  d.product = q.getColumn(8).getString();
  d.lost_reason = q.getColumn(9).getString();
  d.created_at = q.getColumn(10).getInt64();
  d.stage_entered_at = q.getColumn(11).getInt64();
  d.closed_at = q.getColumn(12).getInt64();
  return d;
}

void BindDeal(SQLite::Statement& q, const Deal& d) {
  q.bind(":customer", static_cast<int64_t>(d.customer_id));
  q.bind(":owner", d.owner);
  q.bind(":stage", d.stage);
  q.bind(":amount", static_cast<int64_t>(d.amount));
  q.bind(":list", static_cast<int64_t>(d.list_amount));
  q.bind(":bp", d.discount_bp);
  q.bind(":paid", static_cast<int64_t>(d.paid));
  q.bind(":product", d.product);
  q.bind(":reason", d.lost_reason);
  q.bind(":created", static_cast<int64_t>(d.created_at));
  q.bind(":entered", static_cast<int64_t>(d.stage_entered_at));
  q.bind(":closed", static_cast<int64_t>(d.closed_at));
}

template <class Row, class Read>
std::vector<Row> All(SQLite::Statement& q, Read read) {
  std::vector<Row> out;
  while (q.executeStep()) out.push_back(read(q));
  return out;
}

std::string Select(const char* columns, const char* from_where) {
  return std::string("SELECT ") + columns + " FROM " + from_where;
}

}  // namespace

std::optional<Customer> CustomerById(Connection& c, std::int64_t id) {
  static const std::string sql = Select(kCustomerColumns, "customers WHERE id = :id");
  Use q(c, sql.c_str());
  q->bind(":id", static_cast<int64_t>(id));
  if (!q->executeStep()) return std::nullopt;
  return ReadCustomer(*q);
}

std::optional<Customer> CustomerByExternalId(Connection& c, const std::string& id) {
  static const std::string sql = Select(kCustomerColumns, "customers WHERE external_userid = :e");
  Use q(c, sql.c_str());
  q->bind(":e", id);
  if (!q->executeStep()) return std::nullopt;
  return ReadCustomer(*q);
}

namespace {

// A part of the name, remark or company: every customer of the owners is
// read either way.
std::vector<Customer> FindContaining(Connection& c, const Owners& owners, const std::string& query,
                                     int limit) {
  constexpr const char* kContains =
      "AND removed_at = 0 AND (instr(name, :q) > 0 OR instr(remark, :q) > 0 OR "
      "instr(company, :q) > 0) ORDER BY id LIMIT :limit";
  static const std::string one = Select(
      kCustomerColumns, (std::string("customers WHERE owner = :owner ") + kContains).c_str());
  static const std::string many = Select(
      kCustomerColumns,
      (std::string("customers WHERE owner IN (SELECT value FROM json_each(:owners)) ") + kContains)
          .c_str());
  Use q(c, owners.size() == 1 ? one.c_str() : many.c_str());
  if (owners.size() == 1) {
    q->bind(":owner", owners.front());
  } else {
    q->bind(":owners", JsonList(owners));
  }
  q->bind(":q", query);
  q->bind(":limit", limit);
  return All<Customer>(*q, ReadCustomer);
}

}  // namespace

// Each exact lookup is one index search on (owner, name) or (owner, remark)
// that yields rows in id order; merging them here costs less than one query
// with an OR and an owner list, which SQLite answers by reading every
// customer of those owners and sorting through temporary tables.
std::vector<Customer> FindExactly(Connection& c, const Owners& owners, const std::string& query,
                                  int limit, Case letters) {
  static const std::string by_name =
      Select(kCustomerColumns,
             "customers WHERE owner = ? AND name = ? AND removed_at = 0 ORDER BY id LIMIT ?");
  static const std::string by_remark =
      Select(kCustomerColumns,
             "customers WHERE owner = ? AND remark = ? AND removed_at = 0 ORDER BY id LIMIT ?");
  // The owner's part of the same indexes, each name compared in it.
  static const std::string by_name_any_case =
      Select(kCustomerColumns,
             "customers WHERE owner = ? AND name = ? COLLATE NOCASE AND removed_at = 0 "
             "ORDER BY id LIMIT ?");
  static const std::string by_remark_any_case =
      Select(kCustomerColumns,
             "customers WHERE owner = ? AND remark = ? COLLATE NOCASE AND removed_at = 0 "
             "ORDER BY id LIMIT ?");
  bool exact = letters == Case::kExact;
  std::vector<Customer> found;
  for (const std::string& owner : owners) {
    for (const std::string* sql :
         {exact ? &by_name : &by_name_any_case, exact ? &by_remark : &by_remark_any_case}) {
      Use q(c, sql->c_str());
      q->bind(1, owner);
      q->bind(2, query);
      q->bind(3, limit);
      while (q->executeStep()) found.push_back(ReadCustomer(*q));
    }
  }
  auto by_id = [](const Customer& a, const Customer& b) { return a.id < b.id; };
  std::sort(found.begin(), found.end(), by_id);
  auto same = [](const Customer& a, const Customer& b) { return a.id == b.id; };
  found.erase(std::unique(found.begin(), found.end(), same), found.end());
  // As SQL's LIMIT: a negative one is none.
  if (limit >= 0 && found.size() > static_cast<std::size_t>(limit)) found.resize(limit);
  return found;
}

std::vector<Customer> FindCustomers(Connection& c, const Owners& owners, const std::string& query,
                                    int limit) {
  auto exact = FindExactly(c, owners, query, limit);
  if (!exact.empty()) return exact;
  return FindContaining(c, owners, query, limit);
}

std::vector<Customer> FindFolded(Connection& c, const Owners& owners, const std::string& query,
                                 const std::function<std::string(std::string_view)>& fold,
                                 int limit) {
  // Only the three texts of each customer are read and folded; the whole
  // row only for those that match.
  Use q(c,
        "SELECT id, name, remark, company FROM customers WHERE owner IN "
        "(SELECT value FROM json_each(:owners)) AND removed_at = 0 ORDER BY id");
  q->bind(":owners", JsonList(owners));
  std::vector<std::int64_t> exact, containing;
  while (q->executeStep()) {
    std::string name = fold(q->getColumn(1).getText()), remark = fold(q->getColumn(2).getText());
    if (name == query || remark == query) {
      exact.push_back(q->getColumn(0).getInt64());
    } else if (name.find(query) != std::string::npos || remark.find(query) != std::string::npos ||
               fold(q->getColumn(3).getText()).find(query) != std::string::npos) {
      containing.push_back(q->getColumn(0).getInt64());
    }
  }
  std::vector<std::int64_t>& ids = exact.empty() ? containing : exact;
  if (limit >= 0 && ids.size() > static_cast<std::size_t>(limit)) ids.resize(limit);
  std::vector<Customer> found;
  for (std::int64_t id : ids) {
    if (auto customer = CustomerById(c, id)) found.push_back(std::move(*customer));
  }
  return found;
}

std::int64_t InsertCustomer(Connection& c, const Customer& customer) {
  Use q(
      c,
      "INSERT INTO customers (external_userid, name, company, remark, owner, tier, tier_manual, "
      "lifecycle, channel, is_large, deleted_rep, created_at, last_follow_up_at, "
      "next_follow_up_at, won_at, paid_total, planned_follow_up_at, owned_since, last_contact_at, "
      "lost_at, lifecycle_changes_at, added_by) VALUES "
      "(:ext, :name, :company, :remark, :owner, :tier, :tier_manual, :lifecycle, :channel, "
      ":is_large, :deleted_rep, :created_at, :last, :next, :won, :paid, :planned, :owned, "
      ":contact, :lost, :changes, :owner)");  // added by the first owner
  BindCustomer(*q, customer);
  q->exec();
  return c.db.getLastInsertRowid();
}

void UpdateCustomer(Connection& c, const Customer& customer) {
  Use q(c,
        "UPDATE customers SET external_userid = :ext, name = :name, company = :company, "
        "remark = :remark, owner = :owner, tier = :tier, tier_manual = :tier_manual, "
        "lifecycle = :lifecycle, channel = :channel, is_large = :is_large, "
        "deleted_rep = :deleted_rep, created_at = :created_at, last_follow_up_at = :last, "
        "next_follow_up_at = :next, won_at = :won, paid_total = :paid, "
        "planned_follow_up_at = :planned, owned_since = :owned, last_contact_at = :contact, "
        "lost_at = :lost, lifecycle_changes_at = CASE WHEN removed_at > 0 THEN 0 ELSE :changes "
        "END WHERE id = :id");  // a removed customer's lifecycle is not kept up to date
  BindCustomer(*q, customer);
  q->bind(":id", static_cast<int64_t>(customer.id));
  q->exec();
}

int CountActiveCustomers(Connection& c, const std::string& owner) {
  Use q(c, "SELECT count(*) FROM customers WHERE owner = :o AND removed_at = 0");
  q->bind(":o", owner);
  return q->executeStep() ? q->getColumn(0).getInt() : 0;
}

void RenameRep(Connection& c, const std::string& from, const std::string& to, std::int64_t at) {
  // The history moves too, so that reports count the rep's past work under
  // the id they have now.
  for (const char* sql : {"UPDATE customers SET owner = :to WHERE owner = :from",
                          "UPDATE customers SET added_by = :to WHERE added_by = :from",
                          "UPDATE deals SET owner = :to WHERE owner = :from",
                          "UPDATE quotes SET rep = :to WHERE rep = :from",
                          "UPDATE quotes SET manager = :to WHERE manager = :from",
                          "UPDATE follow_ups SET rep = :to WHERE rep = :from",
                          "UPDATE payments SET rep = :to WHERE rep = :from",
                          "UPDATE stage_history SET by_user = :to WHERE by_user = :from",
                          // A row under the new id already is the newer one: it stays.
                          "DELETE FROM pending_choices WHERE rep = :from AND EXISTS (SELECT 1 "
                          "FROM pending_choices WHERE rep = :to)",
                          "UPDATE pending_choices SET rep = :to WHERE rep = :from",
                          // The team, until the next sync-org.
                          "DELETE FROM org_members WHERE userid = :from AND EXISTS (SELECT 1 "
                          "FROM org_members WHERE userid = :to)",
                          "UPDATE org_members SET userid = :to WHERE userid = :from",
                          "UPDATE org_members SET manager = :to WHERE manager = :from",
                          // Every earlier id leads to the one now.
                          "UPDATE renamed_reps SET new_userid = :to WHERE new_userid = :from"}) {
    Use q(c, sql);
    q->bind(":to", to);
    q->bind(":from", from);
    q->exec();
  }
  ForgetRename(c, to);  // none leads to itself
  Use record(c,
             "INSERT OR REPLACE INTO renamed_reps (old_userid, new_userid, at) VALUES (:from, :to, "
             ":at)");
  record->bind(":from", from);
  record->bind(":to", to);
  record->bind(":at", static_cast<int64_t>(at));
  record->exec();
}

void ForgetRename(Connection& c, const std::string& userid) {
  Use q(c, "DELETE FROM renamed_reps WHERE old_userid = :u");
  q->bind(":u", userid);
  q->exec();
}

std::map<std::string, std::string> RenamedReps(Connection& c) {
  Use q(c, "SELECT old_userid, new_userid FROM renamed_reps");
  std::map<std::string, std::string> out;
  while (q->executeStep()) out[q->getColumn(0).getString()] = q->getColumn(1).getString();
  return out;
}

void SetRepDeparted(Connection& c, const std::string& userid, std::int64_t at) {
  Use q(c, at > 0 ? "INSERT OR REPLACE INTO departed_reps (userid, left_at) VALUES (:u, :at)"
                  : "DELETE FROM departed_reps WHERE userid = :u");
  q->bind(":u", userid);
  if (at > 0) q->bind(":at", static_cast<int64_t>(at));
  q->exec();
}

bool RepDeparted(Connection& c, const std::string& userid) {
  Use q(c, "SELECT 1 FROM departed_reps WHERE userid = :u");
  q->bind(":u", userid);
  return q->executeStep();
}

bool AnyCustomers(Connection& c, const Owners& owners) {
  static const std::string sql =
      "SELECT EXISTS (SELECT 1 FROM customers WHERE owner IN (SELECT value FROM "
      "json_each(:owners)))";
  Use q(c, sql.c_str());
  q->bind(":owners", JsonList(owners));
  return q->executeStep() && q->getColumn(0).getInt() != 0;
}

void MarkDeletedRep(Connection& c, std::int64_t id, std::int64_t at) {
  Use q(c, "UPDATE customers SET deleted_rep = 1, deleted_rep_at = :at WHERE id = :id");
  q->bind(":at", static_cast<int64_t>(at));
  q->bind(":id", static_cast<int64_t>(id));
  q->exec();
}

void MarkCustomerRemoved(Connection& c, std::int64_t id, std::int64_t at) {
  // A removed customer's lifecycle is no longer kept up to date (a refresh
  // after they come back sets the time again).
  Use q(c,
        "UPDATE customers SET removed_at = :at, lifecycle_changes_at = CASE WHEN :at > 0 THEN 0 "
        "ELSE lifecycle_changes_at END WHERE id = :id");
  q->bind(":at", static_cast<int64_t>(at));
  q->bind(":id", static_cast<int64_t>(id));
  q->exec();
}

std::int64_t CustomerRemovedAt(Connection& c, std::int64_t id) {
  Use q(c, "SELECT removed_at FROM customers WHERE id = :id");
  q->bind(":id", static_cast<int64_t>(id));
  return q->executeStep() ? q->getColumn(0).getInt64() : 0;
}

bool CustomerRemoved(Connection& c, std::int64_t id) { return CustomerRemovedAt(c, id) > 0; }

std::int64_t DeletedRepAt(Connection& c, std::int64_t id) {
  Use q(
      c,
      "SELECT CASE WHEN deleted_rep THEN deleted_rep_at ELSE 0 END FROM customers WHERE id = :id");
  q->bind(":id", static_cast<int64_t>(id));
  return q->executeStep() ? q->getColumn(0).getInt64() : 0;
}

std::set<std::string> CustomerTagNames(Connection& c, std::int64_t customer_id) {
  Use q(c, "SELECT tag_name FROM customer_tags WHERE customer_id = :id");
  q->bind(":id", static_cast<int64_t>(customer_id));
  std::set<std::string> out;
  while (q->executeStep()) out.insert(q->getColumn(0).getString());
  return out;
}

Tags CustomerTags(Connection& c, std::int64_t customer_id) {
  Use q(c, "SELECT tag_id, tag_name FROM customer_tags WHERE customer_id = :id");
  q->bind(":id", static_cast<int64_t>(customer_id));
  Tags out;
  while (q->executeStep())
    out.emplace_back(q->getColumn(0).getString(), q->getColumn(1).getString());
  return out;
}

Tags RecordedTags(Connection& c) {
  Use q(c, "SELECT DISTINCT tag_id, tag_name FROM customer_tags ORDER BY tag_id");
  Tags out;
  while (q->executeStep())
    out.emplace_back(q->getColumn(0).getString(), q->getColumn(1).getString());
  return out;
}

std::vector<std::int64_t> CustomersWithTag(Connection& c, const std::string& tag_id,
                                           const std::string& tag_name) {
  Use q(c,
        "SELECT customer_id FROM customer_tags WHERE tag_id = :t AND tag_name = :n "
        "ORDER BY customer_id");
  q->bind(":t", tag_id);
  q->bind(":n", tag_name);
  std::vector<std::int64_t> out;
  while (q->executeStep()) out.push_back(q->getColumn(0).getInt64());
  return out;
}

void SetCustomerTags(Connection& c, std::int64_t customer_id,
                     const std::vector<std::pair<std::string, std::string>>& tags) {
  {
    Use del(c, "DELETE FROM customer_tags WHERE customer_id = :id");
    del->bind(":id", static_cast<int64_t>(customer_id));
    del->exec();
  }
  for (const auto& [id, name] : tags) {
    Use q(c,
          "INSERT OR REPLACE INTO customer_tags (customer_id, tag_id, tag_name) "
          "VALUES (:c, :t, :n)");
    q->bind(":c", static_cast<int64_t>(customer_id));
    q->bind(":t", id);
    q->bind(":n", name);
    q->exec();
  }
}

void ReassignOpenDeals(Connection& c, std::int64_t customer_id, const std::string& owner) {
  Use q(c, "UPDATE deals SET owner = :o WHERE customer_id = :c AND closed_at = 0");
  q->bind(":o", owner);
  q->bind(":c", static_cast<int64_t>(customer_id));
  q->exec();
}

std::optional<Deal> OpenDeal(Connection& c, std::int64_t customer_id) {
  static const std::string sql = Select(
      kDealColumns, "deals WHERE customer_id = :c AND closed_at = 0 ORDER BY id DESC LIMIT 1");
  Use q(c, sql.c_str());
  q->bind(":c", static_cast<int64_t>(customer_id));
  if (!q->executeStep()) return std::nullopt;
  return ReadDeal(*q);
}

std::optional<Deal> LatestDeal(Connection& c, std::int64_t customer_id) {
  static const std::string sql =
      Select(kDealColumns, "deals WHERE customer_id = :c ORDER BY id DESC LIMIT 1");
  Use q(c, sql.c_str());
  q->bind(":c", static_cast<int64_t>(customer_id));
  if (!q->executeStep()) return std::nullopt;
  return ReadDeal(*q);
}

std::optional<Deal> DealById(Connection& c, std::int64_t id) {
  static const std::string sql = Select(kDealColumns, "deals WHERE id = :id");
  Use q(c, sql.c_str());
  q->bind(":id", static_cast<int64_t>(id));
  if (!q->executeStep()) return std::nullopt;
  return ReadDeal(*q);
}

std::optional<Deal> OldestOwingDeal(Connection& c, std::int64_t customer_id,
                                    const std::string& won) {
  static const std::string sql =
      Select(kDealColumns,
             "deals WHERE customer_id = :c AND stage = :won AND paid < amount ORDER BY id LIMIT 1");
  Use q(c, sql.c_str());
  q->bind(":c", static_cast<int64_t>(customer_id));
  q->bind(":won", won);
  if (!q->executeStep()) return std::nullopt;
  return ReadDeal(*q);
}

std::int64_t InsertDeal(Connection& c, const Deal& deal) {
  Use q(c,
        "INSERT INTO deals (customer_id, owner, stage, amount, list_amount, discount_bp, paid, "
        "product, lost_reason, created_at, stage_entered_at, closed_at) VALUES (:customer, "
        ":owner, :stage, :amount, :list, :bp, :paid, :product, :reason, :created, :entered, "
        ":closed)");
  BindDeal(*q, deal);
  q->exec();
  return c.db.getLastInsertRowid();
}

void UpdateDeal(Connection& c, const Deal& deal) {
  Use q(c,
        "UPDATE deals SET customer_id = :customer, owner = :owner, stage = :stage, "
        "amount = :amount, list_amount = :list, discount_bp = :bp, paid = :paid, "
        "product = :product, lost_reason = :reason, created_at = :created, "
        "stage_entered_at = :entered, closed_at = :closed WHERE id = :id");
  BindDeal(*q, deal);
  q->bind(":id", static_cast<int64_t>(deal.id));
  q->exec();
}

void RecordStageChange(Connection& c, std::int64_t deal_id, const std::string& from,
                       const std::string& to, std::int64_t at, const std::string& by) {
  Use q(c,
        "INSERT INTO stage_history (deal_id, from_stage, to_stage, at, by_user) "
        "VALUES (:d, :f, :t, :at, :by)");
  q->bind(":d", static_cast<int64_t>(deal_id));
  q->bind(":f", from);
  q->bind(":t", to);
  q->bind(":at", static_cast<int64_t>(at));
  q->bind(":by", by);
  q->exec();
}

std::vector<Deal> OpenDeals(Connection& c, const Owners& owners) {
  // A customer the rep deleted in WeCom has left the funnel with their deal
  // (back in it if they are added again).
  static const std::string kept =
      "deals WHERE closed_at = 0 AND customer_id NOT IN "
      "(SELECT id FROM customers WHERE removed_at > 0) ";
  static const std::string some = Select(
      kDealColumns,
      (kept + "AND owner IN (SELECT value FROM json_each(:owners)) ORDER BY stage_entered_at")
          .c_str());
  static const std::string everyone =
      Select(kDealColumns, (kept + "ORDER BY stage_entered_at").c_str());
  Use q(c, owners.empty() ? everyone.c_str() : some.c_str());
  if (!owners.empty()) q->bind(":owners", JsonList(owners));
  return All<Deal>(*q, ReadDeal);
}

void InsertFollowUp(Connection& c, const domain::FollowUp& f) {
  Use q(c, "INSERT INTO follow_ups (customer_id, rep, content, at) VALUES (:c, :r, :t, :at)");
  q->bind(":c", static_cast<int64_t>(f.customer_id));
  q->bind(":r", f.rep);
  q->bind(":t", f.content);
  q->bind(":at", static_cast<int64_t>(f.at));
  q->exec();
}

std::optional<domain::FollowUp> LastFollowUp(Connection& c, std::int64_t customer_id) {
  Use q(c,
        "SELECT customer_id, rep, content, at FROM follow_ups WHERE customer_id = :c "
        "ORDER BY at DESC, id DESC LIMIT 1");
  q->bind(":c", static_cast<int64_t>(customer_id));
  if (!q->executeStep()) return std::nullopt;
  return domain::FollowUp{q->getColumn(0).getInt64(), q->getColumn(1).getString(),
                          q->getColumn(2).getString(), q->getColumn(3).getInt64()};
}

void InsertPayment(Connection& c, std::int64_t deal_id, std::int64_t customer_id,
                   const std::string& rep, domain::Fen amount, std::int64_t at) {
  Use q(c,
        "INSERT INTO payments (deal_id, customer_id, rep, amount, at) "
        "VALUES (:d, :c, :r, :a, :at)");
  q->bind(":d", static_cast<int64_t>(deal_id));
  q->bind(":c", static_cast<int64_t>(customer_id));
  q->bind(":r", rep);
  q->bind(":a", static_cast<int64_t>(amount));
  q->bind(":at", static_cast<int64_t>(at));
  q->exec();
}

std::vector<Customer> DueCustomers(Connection& c, const Owners& owners, std::int64_t until,
                                   int limit) {
  static const std::string everyone = Select(
      kCustomerColumns,
      "customers WHERE next_follow_up_at > 0 AND next_follow_up_at <= :until AND removed_at = 0 "
      "ORDER BY next_follow_up_at LIMIT :limit");
  static const std::string some = Select(
      kCustomerColumns,
      "customers WHERE next_follow_up_at > 0 AND next_follow_up_at <= :until AND removed_at = 0 "
      "AND owner IN (SELECT value FROM json_each(:owners)) ORDER BY next_follow_up_at "
      "LIMIT :limit");
  Use q(c, owners.empty() ? everyone.c_str() : some.c_str());
  if (!owners.empty()) q->bind(":owners", JsonList(owners));
  q->bind(":until", static_cast<int64_t>(until));
  q->bind(":limit", limit);
  return All<Customer>(*q, ReadCustomer);
}

std::int64_t LastReminderScan(Connection& c) {
  Use q(c, "SELECT last_at FROM reminder_scans WHERE id = 1");
  return q->executeStep() ? q->getColumn(0).getInt64() : 0;
}

void SetLastReminderScan(Connection& c, std::int64_t at) {
  Use q(c, "UPDATE reminder_scans SET last_at = :at WHERE id = 1");
  q->bind(":at", static_cast<int64_t>(at));
  q->exec();
}

std::vector<Customer> DueBetween(Connection& c, std::int64_t after, std::int64_t until) {
  // "next_follow_up_at > 0" as written lets SQLite use the partial index.
  static const std::string sql =
      Select(kCustomerColumns,
             "customers WHERE next_follow_up_at > 0 AND next_follow_up_at > :after "
             "AND next_follow_up_at <= :until AND removed_at = 0 ORDER BY next_follow_up_at");
  Use q(c, sql.c_str());
  q->bind(":after", static_cast<int64_t>(after));
  q->bind(":until", static_cast<int64_t>(until));
  return All<Customer>(*q, ReadCustomer);
}

std::vector<Customer> LifecycleDue(Connection& c, std::int64_t now, int limit) {
  // "lifecycle_changes_at > 0" as written lets SQLite use the partial index.
  static const std::string sql =
      Select(kCustomerColumns,
             "customers WHERE lifecycle_changes_at > 0 AND lifecycle_changes_at <= :now "
             "AND removed_at = 0 ORDER BY lifecycle_changes_at LIMIT :limit");
  Use q(c, sql.c_str());
  q->bind(":now", static_cast<int64_t>(now));
  q->bind(":limit", limit);
  return All<Customer>(*q, ReadCustomer);
}

std::vector<StuckDeal> EnteredBetween(Connection& c, const std::string& stage, std::int64_t after,
                                      std::int64_t until) {
  Use q(c,
        "SELECT d.customer_id, c.name, d.owner, d.stage_entered_at FROM deals d "
        "JOIN customers c ON c.id = d.customer_id WHERE d.closed_at = 0 AND d.stage = :stage "
        "AND d.stage_entered_at > :after AND d.stage_entered_at <= :until AND c.removed_at = 0 "
        "ORDER BY d.stage_entered_at");
  q->bind(":stage", stage);
  q->bind(":after", static_cast<int64_t>(after));
  q->bind(":until", static_cast<int64_t>(until));
  return All<StuckDeal>(*q, [](SQLite::Statement& s) {
    return StuckDeal{s.getColumn(0).getInt64(), s.getColumn(1).getString(),
                     s.getColumn(2).getString(), s.getColumn(3).getInt64()};
  });
}

void SavePendingChoice(Connection& c, const std::string& rep, const PendingChoice& choice) {
  std::string ids;
  for (auto id : choice.candidates) {
    if (!ids.empty()) ids += ',';
    ids += std::to_string(id);
  }
  Use q(c,
        "INSERT OR REPLACE INTO pending_choices (rep, command, candidates, created_at) "
        "VALUES (:r, :c, :ids, :at)");
  q->bind(":r", rep);
  q->bind(":c", choice.command);
  q->bind(":ids", ids);
  q->bind(":at", static_cast<int64_t>(choice.created_at));
  q->exec();
}

std::optional<PendingChoice> TakePendingChoice(Connection& c, const std::string& rep,
                                               std::int64_t not_before) {
  PendingChoice choice;
  {
    Use q(c, "SELECT command, candidates, created_at FROM pending_choices WHERE rep = :r");
    q->bind(":r", rep);
    if (!q->executeStep()) return std::nullopt;
    choice.command = q->getColumn(0).getString();
    std::string ids = q->getColumn(1).getString();
    choice.created_at = q->getColumn(2).getInt64();
    for (std::size_t i = 0; i < ids.size();) {
      std::size_t end = ids.find(',', i);
      if (end == std::string::npos) end = ids.size();
      choice.candidates.push_back(std::stoll(ids.substr(i, end - i)));
      i = end + 1;
    }
  }
  Use del(c, "DELETE FROM pending_choices WHERE rep = :r");
  del->bind(":r", rep);
  del->exec();
  if (choice.created_at < not_before) return std::nullopt;
  return choice;
}

void ReplaceOrgMembers(Connection& c, const std::vector<OrgMember>& members, std::int64_t at) {
  c.db.exec("DELETE FROM org_members");
  for (const auto& m : members) {
    Use q(c,
          "INSERT OR REPLACE INTO org_members (userid, name, manager, synced_at) "
          "VALUES (:u, :n, :m, :at)");
    q->bind(":u", m.userid);
    q->bind(":n", m.name);
    q->bind(":m", m.manager);
    q->bind(":at", static_cast<int64_t>(at));
    q->exec();
  }
}

void PassReportsOf(Connection& c, const std::string& userid) {
  Use up(c,
         "UPDATE org_members SET manager = coalesce((SELECT manager FROM org_members "
         "WHERE userid = :u), '') WHERE manager = :u");
  up->bind(":u", userid);
  up->exec();
}

std::vector<OrgMember> OrgMembers(Connection& c) {
  Use q(c, "SELECT userid, name, manager FROM org_members ORDER BY userid");
  return All<OrgMember>(*q, [](SQLite::Statement& s) {
    return OrgMember{s.getColumn(0).getString(), s.getColumn(1).getString(),
                     s.getColumn(2).getString()};
  });
}

}  // namespace scrm::storage
