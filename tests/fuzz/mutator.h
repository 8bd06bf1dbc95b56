// Deterministic mutations for the replay tests: bytes flipped, inserted or
// deleted, tokens that parsers care about inserted, chunks repeated or
// spliced in from other samples, the tail cut off. The same seed gives the
// same sequence on every run.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace scrm::test {

class Mutator {
 public:
  explicit Mutator(std::vector<std::string> pool) : pool_(std::move(pool)) {}

  // A copy of `input` with one to four edits, leaving the first `keep`
  // bytes alone.
  std::string Mutate(const std::string& input, std::size_t keep = 1) {
    keep = std::min(keep, input.size());
    std::string body = input.substr(keep);
    std::size_t edits = Pick(4) + 1;
    for (std::size_t i = 0; i < edits; ++i) Edit(body);
    return input.substr(0, keep) + body;
  }

 private:
  std::size_t Pick(std::size_t n) { return n == 0 ? 0 : rng_() % n; }

  void Edit(std::string& s) {
    using namespace std::string_view_literals;
    // clang-format off
    static constexpr std::string_view kTokens[] = {
        "<"sv, ">"sv, "</"sv, "]]>"sv, "<![CDATA["sv, "&amp;"sv, "&#0;"sv, "<!DOCTYPE x>"sv,
        "="sv, "&"sv, "%"sv, "%zz"sv, "\\u0"sv, "\""sv, "{"sv, "["sv, "\xe4\xbd"sv, "\xff"sv,
        "\n"sv, " "sv, "99999999999999999999"sv, "-1"sv, "0x10"sv, "万"sv, "，"sv, "："sv,
        "#"sv, "\0"sv};
    // clang-format on
    std::size_t at = Pick(s.size() + 1);
    switch (Pick(7)) {
      case 0:
        if (!s.empty()) s[Pick(s.size())] ^= static_cast<char>(1 << Pick(8));
        break;
      case 1:
        s.insert(at, 1, static_cast<char>(Pick(256)));
        break;
      case 2:
        s.erase(at, Pick(16) + 1);
        break;
      case 3: {
        s.insert(at, kTokens[Pick(std::size(kTokens))]);
        break;
      }
      case 4: {
        std::size_t from = Pick(s.size() + 1);
        s.insert(at, s.substr(from, Pick(32)));
        break;
      }
      case 5: {
        const std::string& other = pool_[Pick(pool_.size())];
        std::size_t from = Pick(other.size());
        s.insert(at, other.substr(from, Pick(64)));
        break;
      }
      default:
        s.resize(at);
    }
  }

  std::vector<std::string> pool_;
  std::mt19937 rng_{20261127};
};

}  // namespace scrm::test
