#include "domain/utf8.h"

namespace scrm::domain {

std::optional<std::pair<std::uint32_t, std::size_t>> DecodeUtf8(std::string_view s) {
  if (s.empty()) return std::nullopt;
  auto c = static_cast<unsigned char>(s[0]);
  std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || len > s.size()) return std::nullopt;
  std::uint32_t cp = c & (0xFF >> (len + 1));
  for (std::size_t k = 1; k < len; ++k) {
    auto next = static_cast<unsigned char>(s[k]);
    if ((next & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (next & 0x3F);
  }
  static constexpr std::uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kShortest[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return std::pair{cp, len};
}

bool IsUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    auto decoded = DecodeUtf8(text.substr(i));
    if (!decoded) return false;
    i += decoded->second;
  }
  return true;
}

}  // namespace scrm::domain
