// The CRM tables: customers, deals and their stage history, follow-ups,
// payments, the reminder ledger, pending numbered choices and the synced
// org. Every function runs on a Connection inside a Writer job, so a change
// and the outbox rows it causes commit together. They throw
// SQLite::Exception on database errors (the Writer turns that into a failed
// job and rolls back).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/customer.h"

namespace scrm::storage {

class Connection;

using Owners = std::vector<std::string>;  // the reps whose customers may be seen

std::optional<domain::Customer> CustomerById(Connection& c, std::int64_t id);
std::optional<domain::Customer> CustomerByExternalId(Connection& c, const std::string& id);
// Customers of `owners` whose name or remark equals `query`; when none does,
// those whose name, remark or company contains it. At most `limit`.
std::vector<domain::Customer> FindCustomers(Connection& c, const Owners& owners,
                                            const std::string& query, int limit);
// How FindExactly compares Latin letters: as typed, or A and a alike.
enum class Case { kExact, kAny };
// Only those whose name or remark equals `query`.
std::vector<domain::Customer> FindExactly(Connection& c, const Owners& owners,
                                          const std::string& query, int limit,
                                          Case letters = Case::kExact);
// As FindCustomers, comparing the texts after `fold` (full-width letters and
// brackets to half-width, say) on both sides; `query` is folded already.
// Reads every customer of the owners: for when nothing matched as typed.
std::vector<domain::Customer> FindFolded(Connection& c, const Owners& owners,
                                         const std::string& query,
                                         const std::function<std::string(std::string_view)>& fold,
                                         int limit);
std::int64_t InsertCustomer(Connection& c, const domain::Customer& customer);
void UpdateCustomer(Connection& c, const domain::Customer& customer);
// The rep deleted the customer (at > 0), or added them again (at = 0).
// The customers `owner` has that are not removed.
int CountActiveCustomers(Connection& c, const std::string& owner);
// A member's userid changed in WeCom: their customers, deals, quotes, the
// history of their follow-ups, payments and stage moves, and their place in
// the synced team follow; the rename is recorded (RenamedReps).
void RenameRep(Connection& c, const std::string& from, const std::string& to, std::int64_t at);
// `userid` is a member's own again (created anew): no longer read as the
// id it was renamed to.
void ForgetRename(Connection& c, const std::string& userid);
// Every userid WeCom changed, to the one it has now.
std::map<std::string, std::string> RenamedReps(Connection& c);
// Whether any of `owners` has a customer (a sales team; not, say, the
// finance department a directory sync also found a leader for).
bool AnyCustomers(Connection& c, const Owners& owners);
// A member who left the company at `at` (0: who is back, the userid given
// to someone again).
void SetRepDeparted(Connection& c, const std::string& userid, std::int64_t at);
bool RepDeparted(Connection& c, const std::string& userid);
// The customer deleted the rep at `at` (del_follow_user).
void MarkDeletedRep(Connection& c, std::int64_t id, std::int64_t at);
void MarkCustomerRemoved(Connection& c, std::int64_t id, std::int64_t at);
// Whether the rep deleted the customer (MarkCustomerRemoved with a time).
bool CustomerRemoved(Connection& c, std::int64_t id);
// When the owner deleted the customer (0: not removed).
std::int64_t CustomerRemovedAt(Connection& c, std::int64_t id);
// When the customer deleted their owner (0: never, or added again since).
std::int64_t DeletedRepAt(Connection& c, std::int64_t id);
std::set<std::string> CustomerTagNames(Connection& c, std::int64_t customer_id);
using Tags = std::vector<std::pair<std::string, std::string>>;  // (tag id, tag name)
Tags CustomerTags(Connection& c, std::int64_t customer_id);
// Every tag some customer carries, as recorded (distinct).
Tags RecordedTags(Connection& c);
// The customers whose tag `tag_id` is recorded with the name `tag_name`.
std::vector<std::int64_t> CustomersWithTag(Connection& c, const std::string& tag_id,
                                           const std::string& tag_name);
void SetCustomerTags(Connection& c, std::int64_t customer_id,
                     const std::vector<std::pair<std::string, std::string>>& tags);

// The customer's open deal goes with the customer to `owner`.
void ReassignOpenDeals(Connection& c, std::int64_t customer_id, const std::string& owner);
std::optional<domain::Deal> OpenDeal(Connection& c, std::int64_t customer_id);
std::optional<domain::Deal> LatestDeal(Connection& c, std::int64_t customer_id);
std::optional<domain::Deal> DealById(Connection& c, std::int64_t id);
// The customer's oldest deal at stage `won` that is still owed money.
std::optional<domain::Deal> OldestOwingDeal(Connection& c, std::int64_t customer_id,
                                            const std::string& won);
std::int64_t InsertDeal(Connection& c, const domain::Deal& deal);
void UpdateDeal(Connection& c, const domain::Deal& deal);
void RecordStageChange(Connection& c, std::int64_t deal_id, const std::string& from,
                       const std::string& to, std::int64_t at, const std::string& by);
// Open deals of `owners` (everyone's when empty), oldest stage entry first.
std::vector<domain::Deal> OpenDeals(Connection& c, const Owners& owners);

void InsertFollowUp(Connection& c, const domain::FollowUp& follow_up);
std::optional<domain::FollowUp> LastFollowUp(Connection& c, std::int64_t customer_id);
void InsertPayment(Connection& c, std::int64_t deal_id, std::int64_t customer_id,
                   const std::string& rep, domain::Fen amount, std::int64_t at);

// Customers (of `owners`, or of everyone when empty) due for a follow-up by
// `until`, earliest first, at most `limit`.
std::vector<domain::Customer> DueCustomers(Connection& c, const Owners& owners, std::int64_t until,
                                           int limit);

// The reminder watermark: reminders were sent for everything that became
// due up to this time (0 before the first scan).
std::int64_t LastReminderScan(Connection& c);
void SetLastReminderScan(Connection& c, std::int64_t at);

// Customers whose follow-up became due in (after, until], earliest first.
std::vector<domain::Customer> DueBetween(Connection& c, std::int64_t after, std::int64_t until);

// Customers (not removed) whose lifecycle time alone has changed by `now`
// (lifecycle_changes_at), the earliest first, at most `limit`.
std::vector<domain::Customer> LifecycleDue(Connection& c, std::int64_t now, int limit);

struct StuckDeal {
  std::int64_t customer_id = 0;
  std::string customer_name;
  std::string owner;
  std::int64_t entered_at = 0;
};
// Open deals in `stage` that entered it in (after, until], oldest first.
std::vector<StuckDeal> EnteredBetween(Connection& c, const std::string& stage, std::int64_t after,
                                      std::int64_t until);

struct PendingChoice {
  std::string command;  // with {} where the chosen customer goes
  std::vector<std::int64_t> candidates;
  std::int64_t created_at = 0;
};
void SavePendingChoice(Connection& c, const std::string& rep, const PendingChoice& choice);
// The rep's pending choice, removed; nullopt if none newer than `not_before`.
std::optional<PendingChoice> TakePendingChoice(Connection& c, const std::string& rep,
                                               std::int64_t not_before);

struct OrgMember {
  std::string userid;
  std::string name;
  std::string manager;
};
void ReplaceOrgMembers(Connection& c, const std::vector<OrgMember>& members, std::int64_t at);
std::vector<OrgMember> OrgMembers(Connection& c);
// A member who left: those who reported to them report to their manager
// now. The member stays under that manager (until the next sync), who so
// still sees the customers waiting to be handed over.
void PassReportsOf(Connection& c, const std::string& userid);

}  // namespace scrm::storage
