// URL query strings as WeCom sends them.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scrm::bot {

// Percent-decodes exactly once (RFC 3986). '+' stays '+': WeCom's Base64
// echostr relies on it. nullopt for a truncated or non-hex escape.
std::optional<std::string> PercentDecode(std::string_view text);

// Splits "a=1&b=2" into decoded pairs; the first occurrence of a key wins.
// nullopt if any key or value is badly escaped.
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query);

// A request target or an outbox row's api split at its '?': the path, and
// the raw query (empty without one).
std::string_view PathOf(std::string_view target);
std::string_view QueryOf(std::string_view target);

// The decoded values of `keys`, in the order asked: empty for an absent key,
// the first occurrence winning. Same rules as ParseQuery, without building
// the whole map: nullopt if any key or value is badly escaped.
std::optional<std::vector<std::string>> QueryValues(std::string_view query,
                                                    std::initializer_list<std::string_view> keys);

}  // namespace scrm::bot
