#include "bot/query.h"

#include <algorithm>

namespace scrm::bot {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ValidEscapes(std::string_view text) {
  for (size_t i = text.find('%'); i != std::string_view::npos; i = text.find('%', i + 3)) {
    if (i + 2 >= text.size() || HexValue(text[i + 1]) < 0 || HexValue(text[i + 2]) < 0) {
      return false;
    }
  }
  return true;
}

// Calls visit(raw key, raw value) for each non-empty pair of "a=1&b=2", in
// order (a pair without '=' has an empty value); false as soon as visit
// returns false.
template <class Visit>
bool ForEachPair(std::string_view query, Visit visit) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!visit(pair.substr(0, eq), value)) return false;
  }
  return true;
}

}  // namespace

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view QueryOf(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = HexValue(text[i + 1]);
    int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  bool ok = ForEachPair(query, [&](std::string_view raw_key, std::string_view raw_value) {
    auto key = PercentDecode(raw_key);
    auto value = PercentDecode(raw_value);
    if (!key || !value) return false;
    out.emplace(std::move(*key), std::move(*value));
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> QueryValues(std::string_view query,
                                                    std::initializer_list<std::string_view> keys) {
  std::vector<std::string> values(keys.size());
  std::vector<bool> found(keys.size(), false);
  bool ok = ForEachPair(query, [&](std::string_view raw_key, std::string_view raw_value) {
    std::optional<std::string> decoded_key;
    if (raw_key.find('%') != std::string_view::npos) {
      decoded_key = PercentDecode(raw_key);
      if (!decoded_key) return false;
    }
    std::string_view key = decoded_key ? std::string_view(*decoded_key) : raw_key;
    auto wanted = std::find(keys.begin(), keys.end(), key);
    auto index = static_cast<size_t>(wanted - keys.begin());
    if (wanted == keys.end() || found[index]) return ValidEscapes(raw_value);
    auto value = PercentDecode(raw_value);
    if (!value) return false;
    values[index] = std::move(*value);
    found[index] = true;
    return true;
  });
  if (!ok) return std::nullopt;
  return values;
}

}  // namespace scrm::bot
