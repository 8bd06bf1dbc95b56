// UTF-8 decoding, shared by the command parser and the template loader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace scrm::domain {

// The code point of the multi-byte UTF-8 sequence at the start of `s` and its
// length, or nullopt unless the sequence is complete, shortest-form, and not
// a surrogate or past U+10FFFF.
std::optional<std::pair<std::uint32_t, std::size_t>> DecodeUtf8(std::string_view s);

// Whether all of `text` is well-formed UTF-8.
bool IsUtf8(std::string_view text);

}  // namespace scrm::domain
