#include "domain/customer.h"

#include <algorithm>
#include <vector>

namespace scrm::domain {

namespace {
constexpr std::int64_t kDay = 86400;
}

std::string_view LifecycleName(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::kNew:
      return "新客户";
    case Lifecycle::kActive:
      return "老客户";
    case Lifecycle::kAtRisk:
      return "流失风险";
    case Lifecycle::kChurned:
      return "已流失";
  }
  return "";
}

std::string_view LifecycleKey(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::kNew:
      return "new";
    case Lifecycle::kActive:
      return "active";
    case Lifecycle::kAtRisk:
      return "at_risk";
    case Lifecycle::kChurned:
      return "churned";
  }
  return "";
}

std::optional<Lifecycle> ParseLifecycle(std::string_view text) {
  for (auto l : {Lifecycle::kNew, Lifecycle::kActive, Lifecycle::kAtRisk, Lifecycle::kChurned}) {
    if (text == LifecycleKey(l)) return l;
  }
  return std::nullopt;
}

char Tier(const Customer& customer, Fen open_quote, const TieringRules& rules) {
  if (customer.tier_manual) return customer.tier;
  Fen value = std::max(customer.paid_total, open_quote);
  if (customer.is_large || value >= rules.a_value) return 'A';
  if (value >= rules.b_value) return 'B';
  return 'C';
}

std::int64_t QuietSince(const Customer& c) {
  return std::max({c.last_contact_at, c.last_follow_up_at, c.won_at, OwnedSince(c)});
}

Lifecycle ClassifyLifecycle(const Customer& c, std::int64_t now, const TieringRules& rules) {
  std::int64_t silent = now - QuietSince(c);
  std::int64_t at_risk = std::int64_t{rules.at_risk_days} * kDay;
  if (silent > std::int64_t{rules.churned_days} * kDay) return Lifecycle::kChurned;
  bool lost_lately = c.lost_at > 0 && now - c.lost_at <= at_risk;
  if (c.deleted_rep || lost_lately || silent > at_risk) return Lifecycle::kAtRisk;
  bool recent = now - OwnedSince(c) <= std::int64_t{rules.new_days} * kDay;
  if (recent && c.won_at == 0) return Lifecycle::kNew;
  return Lifecycle::kActive;
}

std::int64_t LifecycleChangesAt(const Customer& c, std::int64_t now, const TieringRules& rules) {
  // The answer is a step function of time, stepping only one second past
  // each of these thresholds.
  std::int64_t quiet = QuietSince(c);
  std::vector<std::int64_t> steps = {
      quiet + std::int64_t{rules.at_risk_days} * kDay + 1,
      quiet + std::int64_t{rules.churned_days} * kDay + 1,
      OwnedSince(c) + std::int64_t{rules.new_days} * kDay + 1,
  };
  if (c.lost_at > 0) steps.push_back(c.lost_at + std::int64_t{rules.at_risk_days} * kDay + 1);
  std::sort(steps.begin(), steps.end());
  Lifecycle current = ClassifyLifecycle(c, now, rules);
  for (std::int64_t at : steps) {
    if (at > now && ClassifyLifecycle(c, at, rules) != current) return at;
  }
  return 0;
}

FollowUpKind NextFollowUpKind(const Customer& c) {
  // A win is news after any follow-up, none recorded included; only a
  // follow-up is the revisit (the balance paid after the win is not), and a
  // win under an earlier owner is not this owner's to revisit.
  if (c.won_at > c.last_follow_up_at && c.won_at >= OwnedSince(c)) return FollowUpKind::kRevisit;
  if (c.last_follow_up_at == 0 && c.last_contact_at == 0) return FollowUpKind::kFirst;
  return c.lifecycle == Lifecycle::kAtRisk ? FollowUpKind::kAtRisk : FollowUpKind::kRoutine;
}

std::optional<std::int64_t> NextFollowUp(const Customer& c, const CadenceRules& rules) {
  if (c.lifecycle == Lifecycle::kChurned) return std::nullopt;
  FollowUpKind kind = NextFollowUpKind(c);
  if (kind == FollowUpKind::kRevisit) return c.won_at + std::int64_t{rules.post_win_days} * kDay;
  if (kind == FollowUpKind::kFirst) {
    return OwnedSince(c) + std::int64_t{rules.first_contact_hours} * 3600;
  }
  int days = c.tier == 'A' ? rules.a_days : c.tier == 'B' ? rules.b_days : rules.c_days;
  if (kind == FollowUpKind::kAtRisk) days = std::min(days, rules.at_risk_days);
  return std::max(c.last_follow_up_at, c.last_contact_at) + std::int64_t{days} * kDay;
}

Fen ApplyDiscount(Fen amount, int discount_bp) {
  // amount * (10000 - bp) / 10000, rounded half up, in two parts so that no
  // intermediate product overflows.
  const Fen keep = 10000 - discount_bp;
  return amount / 10000 * keep + (amount % 10000 * keep + 5000) / 10000;
}

}  // namespace scrm::domain
