#include "wecom/base64.h"

#include <array>
#include <cstdint>

namespace scrm::wecom {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeReverse() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}

constexpr auto kReverse = MakeReverse();

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
    out.push_back(kAlphabet[n >> 6 & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
    out.push_back(rest == 2 ? kAlphabet[n >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out(text.size() / 4 * 3, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  auto at = [&](size_t i) { return kReverse[static_cast<unsigned char>(text[i])]; };
  size_t full = text.empty() ? 0 : text.size() - 4;  // the last quad may hold padding
  for (size_t i = 0; i < full; i += 4, dst += 3) {
    int a = at(i), b = at(i + 1), c = at(i + 2), d = at(i + 3);
    if ((a | b | c | d) < 0) return std::nullopt;
    uint32_t n = static_cast<uint32_t>(a << 18 | b << 12 | c << 6 | d);
    dst[0] = static_cast<unsigned char>(n >> 16);
    dst[1] = static_cast<unsigned char>(n >> 8);
    dst[2] = static_cast<unsigned char>(n);
  }
  if (text.empty()) return out;
  // Last quad: '=' only in its padding positions.
  size_t i = full;
  int v[4];
  for (size_t k = 0; k < 4; ++k) {
    v[k] = (k >= 4 - pad) ? 0 : at(i + k);
    if (v[k] < 0) return std::nullopt;
  }
  uint32_t n = static_cast<uint32_t>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
  dst[0] = static_cast<unsigned char>(n >> 16);
  dst[1] = static_cast<unsigned char>(n >> 8);
  dst[2] = static_cast<unsigned char>(n);
  out.resize(out.size() - pad);
  return out;
}

}  // namespace scrm::wecom
