// Discount authority (定价权限): how much discount a rep may give alone, by
// order size. Beyond it, a quote needs the manager's approval.
#pragma once

#include <vector>

#include "domain/money.h"

namespace scrm::domain {

struct AuthorityRung {
  Fen max_amount = 0;       // orders (list price) up to this
  int max_discount_bp = 0;  // may get up to this discount without approval
};

// The default ladder: up to 5% on orders up to 50,000 元.
inline std::vector<AuthorityRung> DefaultAuthority() { return {{5'000'000, 500}}; }

// Whether a quote of `list_amount` with `discount_bp` needs approval: any
// discount beyond the rung that covers the amount, or any discount at all on
// an order larger than every rung.
inline bool NeedsApproval(Fen list_amount, int discount_bp,
                          const std::vector<AuthorityRung>& ladder) {
  if (discount_bp <= 0) return false;
  for (const auto& rung : ladder) {
    if (list_amount <= rung.max_amount) return discount_bp > rung.max_discount_bp;
  }
  return true;
}

}  // namespace scrm::domain
