// Money as integer fen (1 yuan = 100 fen). Never a double.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace scrm::domain {

using Fen = std::int64_t;

// The largest amount ParseAmount accepts: about 922 billion yuan, far past
// any deal, and small enough that sums of many stay exact in 64 bits.
inline constexpr Fen kMaxAmount = std::numeric_limits<Fen>::max() / 100000;

// Parses an amount as a rep types it: "12000", "12,000", "12，000", "1.2万",
// "3.5w", "99.9", "¥1,200.50", "1200元". Returns nullopt for anything else
// (empty, negative, more than two decimals after unit scaling, over
// kMaxAmount).
std::optional<Fen> ParseAmount(std::string_view text);

// "12,000.00" style rendering with thousands separators and two decimals.
std::string FormatYuan(Fen amount);
// "12000.00": two decimals, no separators (WeCom's Money controls, and text
// that ParseAmount reads back).
std::string FormatPlain(Fen amount);
// A discount in basis points as a percent without trailing zeros: 500 →
// "5", 550 → "5.5", 225 → "2.25".
std::string FormatPercent(int basis_points);

}  // namespace scrm::domain
