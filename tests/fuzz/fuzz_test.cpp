// Replays the fuzzing entry point deterministically in the normal test build:
// every seed, then a fixed sequence of mutations of them (bytes flipped,
// inserted, deleted, chunks repeated or spliced from other seeds). Under
// AddressSanitizer this is where an out-of-bounds read in a parser shows up
// without a fuzzer.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "tests/fuzz/parsers.h"

using scrm::fuzz::RunOne;

namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

class Mutator {
 public:
  explicit Mutator(std::vector<std::string> pool) : pool_(std::move(pool)) {}

  // A copy of `input` with one to four edits; the first byte (the parser)
  // is kept.
  std::string Mutate(const std::string& input) {
    std::string body = input.substr(1);
    int edits = Pick(4) + 1;
    for (int i = 0; i < edits; ++i) Edit(body);
    return input.substr(0, 1) + body;
  }

 private:
  std::size_t Pick(std::size_t n) { return n == 0 ? 0 : rng_() % n; }

  void Edit(std::string& s) {
    static constexpr std::string_view kTokens[] = {"<",
                                                   ">",
                                                   "</",
                                                   "]]>",
                                                   "<![CDATA[",
                                                   "&amp;",
                                                   "&#0;",
                                                   "<!DOCTYPE x>",
                                                   "=",
                                                   "&",
                                                   "%",
                                                   "%zz",
                                                   "\\u0",
                                                   "\"",
                                                   "{",
                                                   "[",
                                                   "\xe4\xbd",
                                                   "\xff",
                                                   "\n",
                                                   " ",
                                                   "99999999999999999999",
                                                   "-1",
                                                   "0x10",
                                                   "万",
                                                   "，",
                                                   "：",
                                                   "#",
                                                   "\0"};
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
        std::string_view token = kTokens[Pick(std::size(kTokens))];
        if (token.empty()) token = std::string_view("\0", 1);
        s.insert(at, token);
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

}  // namespace

TEST_CASE("every seed parses and keeps its properties", "[fuzz]") {
  std::set<int> covered;
  for (const auto& seed : scrm::fuzz::Seeds()) {
    INFO("seed " << Hex(seed));
    CHECK_FALSE(RunOne(seed));
    covered.insert(static_cast<unsigned char>(seed.front()) % scrm::fuzz::TargetCount());
  }
  CHECK(covered.size() == static_cast<std::size_t>(scrm::fuzz::TargetCount()));
}

TEST_CASE("mutated input never crashes a parser or breaks a property", "[fuzz]") {
  auto seeds = scrm::fuzz::Seeds();
  Mutator mutator(seeds);
  int failures = 0;
  std::vector<int> runs(static_cast<std::size_t>(scrm::fuzz::TargetCount()));
  for (const auto& seed : seeds) {
    std::string current = seed;
    for (int i = 0; i < 4000 && failures < 5; ++i) {
      // Mostly mutate the seed afresh; every fourth step builds on the last
      // mutant, so edits accumulate.
      current = mutator.Mutate(i % 4 == 3 ? current : seed);
      ++runs[static_cast<unsigned char>(current.front()) % runs.size()];
      if (auto failure = RunOne(current)) {
        ++failures;
        FAIL_CHECK(*failure << "\ninput (hex): " << Hex(current));
      }
    }
  }
  CHECK(failures == 0);
  for (std::size_t t = 0; t < runs.size(); ++t) {
    INFO(scrm::fuzz::TargetName(static_cast<int>(t)));
    CHECK(runs[t] >= 4000);
  }
}
