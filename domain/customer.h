// Customers, deals and follow-ups, and the rules over them: tiering
// (A/B/C by size and value, with a rep's manual override), lifecycle
// (new / active / at-risk / churned) and follow-up cadence. Pure: every
// time is an argument (UTC epoch seconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/money.h"

namespace scrm::domain {

enum class Lifecycle { kNew, kActive, kAtRisk, kChurned };
std::string_view LifecycleName(Lifecycle lifecycle);  // 新客户, 老客户, 流失风险, 已流失
std::optional<Lifecycle> ParseLifecycle(std::string_view text);  // "new", "active", ...
std::string_view LifecycleKey(Lifecycle lifecycle);              // "new", "active", ...

struct Customer {
  std::int64_t id = 0;          // short id shown to reps (#12)
  std::string external_userid;  // WeCom's id; empty for customers a rep typed in
  std::string name;
  std::string company;
  std::string remark;  // the rep's remark in WeCom
  std::string owner;   // the rep's userid
  char tier = 'C';     // 'A', 'B' or 'C'
  bool tier_manual = false;
  bool tier_from_tag = false;  // the manual tier came from a WeCom tag, not the rep
  Lifecycle lifecycle = Lifecycle::kNew;
  std::string channel;  // the contact-way state that brought the customer
  std::vector<std::string> tags;
  bool is_large = false;     // 大客户 (from a tag or the rep)
  bool deleted_rep = false;  // the customer deleted the rep (del_follow_user)
  std::int64_t created_at = 0;
  // When the current owner's relationship began (a handover, or the
  // customer added again); 0: at created_at.
  std::int64_t owned_since = 0;
  std::int64_t last_follow_up_at = 0;  // 0: never
  // The rep's last dealing with the customer on record: a follow-up, a
  // quote, a payment, a stage move or a loss; 0: none.
  std::int64_t last_contact_at = 0;
  // A deal lost, and no deal opened since; 0: none.
  std::int64_t lost_at = 0;
  // When the lifecycle changes next with time alone (silence passing a
  // threshold, a customer no longer new); 0: never.
  std::int64_t lifecycle_changes_at = 0;
  std::int64_t next_follow_up_at = 0;  // 0: none planned
  // What the cadence gave for it (next_follow_up_at is later when that was
  // already past); 0: none.
  std::int64_t planned_follow_up_at = 0;
  std::int64_t won_at = 0;  // last deal won; 0: none
  Fen paid_total = 0;       // payments recorded so far
};

// When the current owner's relationship with `c` began.
inline std::int64_t OwnedSince(const Customer& c) {
  return c.owned_since > 0 ? c.owned_since : c.created_at;
}

struct Deal {
  std::int64_t id = 0;
  std::int64_t customer_id = 0;
  std::string owner;
  std::string stage;
  Fen amount = 0;       // the latest quote (after discount)
  Fen list_amount = 0;  // before discount
  int discount_bp = 0;  // basis points: 500 = 5%
  Fen paid = 0;
  std::string product;
  std::string lost_reason;
  std::int64_t created_at = 0;
  std::int64_t stage_entered_at = 0;
  std::int64_t closed_at = 0;  // 0 while open
};

struct FollowUp {
  std::int64_t customer_id = 0;
  std::string rep;
  std::string content;
  std::int64_t at = 0;
};

struct TieringRules {
  Fen a_value = 10'000'000;  // 100,000 元 paid or quoted: A
  Fen b_value = 2'000'000;   // 20,000 元: B
  int new_days = 30;         // added within this many days and nothing won: new
  int at_risk_days = 30;     // silent this long, or a deal lost within it: at risk
  int churned_days = 90;     // silent this long: churned
};

// The tier by value (the larger of paid and the open quote) and size. A
// manual tier wins.
char Tier(const Customer& customer, Fen open_quote, const TieringRules& rules);
// Silence counts from the rep's last dealing with the customer, a win, or
// the start of the current owner's relationship, whichever is latest.
std::int64_t QuietSince(const Customer& customer);
// New, active, at risk (the customer deleted the rep, a long silence, or a
// deal lost lately with none opened since) or churned (a longer silence).
Lifecycle ClassifyLifecycle(const Customer& customer, std::int64_t now, const TieringRules& rules);
// The first moment after `now` at which ClassifyLifecycle gives another
// answer with nothing else changing; 0: never.
std::int64_t LifecycleChangesAt(const Customer& customer, std::int64_t now,
                                const TieringRules& rules);

struct CadenceRules {
  int a_days = 7;
  int b_days = 14;
  int c_days = 30;
  int at_risk_days = 3;  // win-back: contact again soon
  int first_contact_hours = 24;
  int post_win_days = 7;  // revisit after a deal is won
};

// When the customer should next be contacted: first contact within 24 h of
// being added, a revisit within 7 days after a win, then every N days by
// tier (sooner when at risk). Nullopt once churned.
std::optional<std::int64_t> NextFollowUp(const Customer& customer, const CadenceRules& rules);

// What the next follow-up is for: the revisit after a win (this owner's,
// with no follow-up since), the first contact, winning back an at-risk
// customer, or the routine one.
enum class FollowUpKind { kRevisit, kFirst, kAtRisk, kRoutine };
FollowUpKind NextFollowUpKind(const Customer& customer);

// A discount of `discount_bp` basis points off `amount`, rounded to the fen.
Fen ApplyDiscount(Fen amount, int discount_bp);

}  // namespace scrm::domain
