// Standard-alphabet Base64 (RFC 4648 §4) with '=' padding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scrm::wecom {

std::string Base64Encode(std::string_view bytes);

// Decodes padded Base64. Unused trailing bits in the last character are
// ignored, because real EncodingAESKeys are non-canonical. Returns nullopt for
// a length that is not a multiple of 4, a character outside the alphabet, or
// misplaced padding.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace scrm::wecom
