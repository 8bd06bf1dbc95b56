// Funnel stages, tiering, lifecycle and follow-up cadence, with time as an
// argument.
#include "domain/customer.h"

#include <catch2/catch.hpp>

#include "domain/funnel.h"

using namespace scrm::domain;

namespace {
constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kT0 = 1700000000;
}  // namespace

TEST_CASE("the default funnel and its moves", "[funnel]") {
  Funnel f = Funnel::Default();
  REQUIRE(f.stages().size() == 6);
  CHECK(f.first() == "线索");
  CHECK(f.won() == "成交");
  CHECK(f.lost() == "输单");
  CHECK(f.IndexOf("方案报价") == 2);
  CHECK_FALSE(f.IndexOf("输单"));
  CHECK_FALSE(f.CheckMove("线索", "方案报价"));      // skipping ahead is allowed
  CHECK_FALSE(f.CheckMove("合同谈判", "需求调研"));  // and going back
  CHECK_FALSE(f.CheckMove("需求调研", "输单"));      // lost from any open stage
  CHECK(f.CheckMove("线索", "签约") == MoveError::kUnknownStage);
  CHECK(f.CheckMove("成交", "线索") == MoveError::kClosed);
  CHECK(f.CheckMove("输单", "线索") == MoveError::kClosed);
  CHECK(f.CheckMove("线索", "线索") == MoveError::kSameStage);
}

TEST_CASE("stage SLAs make a deal stuck", "[funnel]") {
  Funnel f = Funnel::Default();
  CHECK(f.SlaDays("方案报价") == 14);
  CHECK_FALSE(f.IsStuck("方案报价", kT0, kT0 + 14 * kDay));
  CHECK(f.IsStuck("方案报价", kT0, kT0 + 14 * kDay + 1));
  CHECK_FALSE(f.IsStuck("成交", kT0, kT0 + 999 * kDay));
  CHECK_FALSE(f.IsStuck("输单", kT0, kT0 + 999 * kDay));
}

TEST_CASE("funnels from configuration are checked", "[funnel]") {
  CHECK(Funnel::Create({{"a", 1}, {"b", 0}}, "lost"));
  CHECK_FALSE(Funnel::Create({{"a", 1}}, "lost"));             // one stage
  CHECK_FALSE(Funnel::Create({{"a", 1}, {"a", 2}}, "lost"));   // repeated
  CHECK_FALSE(Funnel::Create({{"a", 1}, {"b", 2}}, "a"));      // lost clashes
  CHECK_FALSE(Funnel::Create({{"a", -1}, {"b", 2}}, "lost"));  // negative SLA
  CHECK_FALSE(Funnel::Create({{"", 1}, {"b", 2}}, "lost"));
}

TEST_CASE("tiers by value and size, with a manual override", "[tiering]") {
  TieringRules rules;
  Customer c;
  CHECK(Tier(c, 0, rules) == 'C');
  CHECK(Tier(c, 2'000'000, rules) == 'B');  // a 20,000 元 quote
  c.paid_total = 10'000'000;
  CHECK(Tier(c, 0, rules) == 'A');
  Customer large;
  large.is_large = true;
  CHECK(Tier(large, 0, rules) == 'A');
  c.tier_manual = true;
  c.tier = 'C';
  CHECK(Tier(c, 0, rules) == 'C');
}

TEST_CASE("lifecycle: new, active, at risk, churned", "[tiering]") {
  TieringRules rules;
  Customer c;
  c.created_at = kT0;
  CHECK(ClassifyLifecycle(c, kT0 + kDay, rules) == Lifecycle::kNew);
  c.last_follow_up_at = kT0 + 25 * kDay;
  CHECK(ClassifyLifecycle(c, kT0 + 40 * kDay, rules) == Lifecycle::kActive);
  CHECK(ClassifyLifecycle(c, kT0 + 56 * kDay, rules) == Lifecycle::kAtRisk);
  CHECK(ClassifyLifecycle(c, kT0 + 116 * kDay, rules) == Lifecycle::kChurned);
  c.deleted_rep = true;
  CHECK(ClassifyLifecycle(c, kT0 + 26 * kDay, rules) == Lifecycle::kAtRisk);
  c.deleted_rep = false;
  c.won_at = kT0 + 2 * kDay;
  CHECK(ClassifyLifecycle(c, kT0 + 26 * kDay, rules) == Lifecycle::kActive);  // won: not new
}

TEST_CASE("any dealing with the customer ends a silence; a lost deal is a churn signal for a while",
          "[tiering]") {
  TieringRules rules;
  Customer c;
  c.created_at = kT0;
  c.won_at = kT0 + kDay;
  c.last_follow_up_at = kT0 + 2 * kDay;  // the revisit
  CHECK(ClassifyLifecycle(c, kT0 + 40 * kDay, rules) == Lifecycle::kAtRisk);
  c.last_contact_at = kT0 + 30 * kDay;  // a quote, a payment or a stage move
  CHECK(QuietSince(c) == kT0 + 30 * kDay);
  CHECK(ClassifyLifecycle(c, kT0 + 40 * kDay, rules) == Lifecycle::kActive);
  c.lost_at = kT0 + 35 * kDay;  // a deal lost after it
  CHECK(ClassifyLifecycle(c, kT0 + 40 * kDay, rules) == Lifecycle::kAtRisk);
  CHECK(ClassifyLifecycle(c, kT0 + 59 * kDay, rules) == Lifecycle::kAtRisk);
  c.lost_at = kT0 + 20 * kDay;  // lost before the rep's last dealing
  CHECK(ClassifyLifecycle(c, kT0 + 50 * kDay, rules) == Lifecycle::kAtRisk);  // 30 days since
  CHECK(ClassifyLifecycle(c, kT0 + 51 * kDay, rules) == Lifecycle::kActive);
  CadenceRules cadence;
  c.lifecycle = Lifecycle::kAtRisk;
  CHECK(NextFollowUp(c, cadence) == kT0 + 33 * kDay);  // 3 days after the last dealing
  // Anything on record but a follow-up is contact too: no first-contact plan.
  Customer quoted;
  quoted.created_at = kT0;
  quoted.last_contact_at = kT0 + kDay;
  CHECK(NextFollowUpKind(quoted) == FollowUpKind::kRoutine);
  CHECK(NextFollowUp(quoted, cadence) == kT0 + 31 * kDay);
  // The balance paid the day after a win: the revisit is still planned.
  Customer won;
  won.created_at = kT0;
  won.won_at = kT0 + kDay;
  won.last_contact_at = kT0 + 2 * kDay;
  CHECK(NextFollowUpKind(won) == FollowUpKind::kRevisit);
  CHECK(NextFollowUp(won, cadence) == kT0 + 8 * kDay);
}

TEST_CASE("when time alone changes a customer's lifecycle", "[tiering]") {
  TieringRules rules;  // new 30 days, at risk after 30 silent, churned after 90
  Customer c;
  c.created_at = kT0;
  c.last_follow_up_at = kT0 + 10 * kDay;
  // New until 30 days after being added, then active, at risk 30 days after
  // the follow-up, churned 90 days after it; then never again.
  CHECK(LifecycleChangesAt(c, kT0, rules) == kT0 + 30 * kDay + 1);
  CHECK(LifecycleChangesAt(c, kT0 + 30 * kDay + 1, rules) == kT0 + 40 * kDay + 1);
  CHECK(ClassifyLifecycle(c, kT0 + 40 * kDay + 1, rules) == Lifecycle::kAtRisk);
  CHECK(LifecycleChangesAt(c, kT0 + 40 * kDay + 1, rules) == kT0 + 100 * kDay + 1);
  CHECK(ClassifyLifecycle(c, kT0 + 100 * kDay + 1, rules) == Lifecycle::kChurned);
  CHECK(LifecycleChangesAt(c, kT0 + 100 * kDay + 1, rules) == 0);
  // At risk because the customer deleted the rep: the next change is churn,
  // the silence threshold on the way changes nothing.
  c.deleted_rep = true;
  CHECK(LifecycleChangesAt(c, kT0 + 11 * kDay, rules) == kT0 + 100 * kDay + 1);
  // A lost deal and a follow-up after it: at risk for 30 days from the
  // loss, then active until 30 days after the follow-up.
  Customer lost;
  lost.created_at = kT0;
  lost.won_at = kT0 + kDay;
  lost.lost_at = kT0 + 50 * kDay;
  lost.last_contact_at = kT0 + 60 * kDay;
  CHECK(ClassifyLifecycle(lost, kT0 + 61 * kDay, rules) == Lifecycle::kAtRisk);
  CHECK(LifecycleChangesAt(lost, kT0 + 61 * kDay, rules) == kT0 + 80 * kDay + 1);
  CHECK(ClassifyLifecycle(lost, kT0 + 80 * kDay + 1, rules) == Lifecycle::kActive);
  CHECK(LifecycleChangesAt(lost, kT0 + 80 * kDay + 1, rules) == kT0 + 90 * kDay + 1);
  // Lost with nothing after it: the loss's 30 days end as the silence's
  // begin, so the next change is churn.
  lost.last_contact_at = kT0 + 50 * kDay;
  CHECK(LifecycleChangesAt(lost, kT0 + 51 * kDay, rules) == kT0 + 140 * kDay + 1);
}

TEST_CASE("follow-up cadence: first contact, after a win, by tier", "[cadence]") {
  CadenceRules rules;
  Customer c;
  c.created_at = kT0;
  CHECK(NextFollowUp(c, rules) == kT0 + 24 * 3600);  // first contact within 24 h
  c.last_follow_up_at = kT0 + kDay;
  c.tier = 'A';
  CHECK(NextFollowUp(c, rules) == kT0 + 8 * kDay);
  c.tier = 'B';
  CHECK(NextFollowUp(c, rules) == kT0 + 15 * kDay);
  c.tier = 'C';
  CHECK(NextFollowUp(c, rules) == kT0 + 31 * kDay);
  c.lifecycle = Lifecycle::kAtRisk;
  CHECK(NextFollowUp(c, rules) == kT0 + 4 * kDay);  // win-back: sooner
  c.lifecycle = Lifecycle::kActive;
  c.won_at = kT0 + 3 * kDay;
  CHECK(NextFollowUp(c, rules) == kT0 + 10 * kDay);  // revisit within 7 days of the win
  c.lifecycle = Lifecycle::kChurned;
  CHECK_FALSE(NextFollowUp(c, rules));
  // Won without a follow-up ever recorded: the revisit, not the first contact.
  Customer quiet;
  quiet.created_at = kT0;
  quiet.won_at = kT0 + 2 * kDay;
  CHECK(NextFollowUp(quiet, rules) == kT0 + 9 * kDay);
  // Handed to a new owner after the win: their first contact, not a revisit.
  quiet.owned_since = kT0 + 5 * kDay;
  CHECK(NextFollowUp(quiet, rules) == kT0 + 6 * kDay);
}

TEST_CASE("discounts are applied in fen, rounded", "[money]") {
  CHECK(ApplyDiscount(6'000'000, 1200) == 5'280'000);
  CHECK(ApplyDiscount(333, 500) == 316);  // 316.35 → 316
  CHECK(ApplyDiscount(1, 5000) == 1);     // 0.5 rounds up
  CHECK(ApplyDiscount(900'000'000'000'000'000, 100) == 891'000'000'000'000'000);
  CHECK(LifecycleName(Lifecycle::kAtRisk) == "流失风险");
  CHECK(ParseLifecycle("churned") == Lifecycle::kChurned);
  CHECK_FALSE(ParseLifecycle("gone"));
}
