#include "domain/money.h"

namespace scrm::domain {
namespace {

bool ConsumePrefix(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// Removes thousands separators; they must sit between groups of three digits.
std::optional<std::string> StripSeparators(std::string_view s) {
  std::string out;
  int digits_since_sep = -1;  // -1: no separator seen yet
  size_t i = 0;
  while (i < s.size() && s[i] != '.') {
    if (s[i] == ',' || s.substr(i, 3) == "\xEF\xBC\x8C") {  // ',' or '，'
      if (out.empty() || (digits_since_sep != -1 && digits_since_sep != 3)) return std::nullopt;
      digits_since_sep = 0;
      i += s[i] == ',' ? 1 : 3;
      continue;
    }
    out.push_back(s[i]);
    if (digits_since_sep != -1) ++digits_since_sep;
    ++i;
  }
  if (digits_since_sep != -1 && digits_since_sep != 3) return std::nullopt;
  out.append(s.substr(i));
  return out;
}

}  // namespace

std::optional<Fen> ParseAmount(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ')) s.remove_suffix(1);
  // The end of a sentence typed after the amount ("2万。").
  ConsumeSuffix(s, "\xE3\x80\x82") || ConsumeSuffix(s, "!") || ConsumeSuffix(s, ".");  // 。
  ConsumePrefix(s, "\xC2\xA5") || ConsumePrefix(s, "\xEF\xBF\xA5") || ConsumePrefix(s, "RMB");
  ConsumeSuffix(s, "\xE5\x85\x83") || ConsumeSuffix(s, "\xE5\x9D\x97");  // 元, 块
  int scale_digits = 0;  // extra powers of ten from a unit
  if (ConsumeSuffix(s, "\xE4\xB8\x87") || ConsumeSuffix(s, "w") || ConsumeSuffix(s, "W")) {
    scale_digits = 4;  // 万
  } else if (ConsumeSuffix(s, "\xE5\x8D\x83") || ConsumeSuffix(s, "k") || ConsumeSuffix(s, "K")) {
    scale_digits = 3;  // 千
  }
  auto plain = StripSeparators(s);
  if (!plain || plain->empty()) return std::nullopt;
  Fen whole = 0;
  Fen frac = 0;
  int frac_digits = 0;
  bool seen_dot = false;
  bool seen_digit = false;
  for (char c : *plain) {
    if (c == '.') {
      if (seen_dot) return std::nullopt;
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    seen_digit = true;
    if (seen_dot) {
      if (++frac_digits > 2 + scale_digits) return std::nullopt;
      frac = frac * 10 + (c - '0');
    } else {
      if (whole > kMaxAmount) return std::nullopt;  // keeps whole * 10 + 9 in range
      whole = whole * 10 + (c - '0');
    }
  }
  if (!seen_digit) return std::nullopt;
  Fen unit = 100;
  for (int i = 0; i < scale_digits; ++i) unit *= 10;
  Fen frac_unit = unit;
  for (int i = 0; i < frac_digits; ++i) frac_unit /= 10;
  Fen fraction = frac * frac_unit;  // below one unit
  if (whole > (kMaxAmount - fraction) / unit) return std::nullopt;
  return whole * unit + fraction;
}

std::string FormatYuan(Fen amount) {
  std::string sign = amount < 0 ? "-" : "";
  unsigned long long v = amount < 0 ? 0ULL - static_cast<unsigned long long>(amount)
                                    : static_cast<unsigned long long>(amount);
  std::string whole = std::to_string(v / 100);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  unsigned cents = static_cast<unsigned>(v % 100);
  return sign + grouped + "." + static_cast<char>('0' + cents / 10) +
         static_cast<char>('0' + cents % 10);
}

std::string FormatPlain(Fen amount) {
  std::string sign = amount < 0 ? "-" : "";
  Fen a = amount < 0 ? -amount : amount;
  return sign + std::to_string(a / 100) + "." + std::to_string(a % 100 / 10) +
         std::to_string(a % 10);
}

std::string FormatPercent(int basis_points) {
  std::string out = std::to_string(basis_points / 100);
  int fraction = basis_points % 100;
  if (fraction == 0) return out;
  if (fraction < 0) {
    fraction = -fraction;
    if (basis_points > -100) out.insert(out.begin(), '-');
  }
  out.push_back('.');
  out.push_back(static_cast<char>('0' + fraction / 10));
  if (fraction % 10) out.push_back(static_cast<char>('0' + fraction % 10));
  return out;
}

}  // namespace scrm::domain
