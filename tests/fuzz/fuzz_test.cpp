// Replays the fuzzing entry point deterministically in the normal test build:
// every seed, then a fixed sequence of mutations of them (bytes flipped,
// inserted, deleted, chunks repeated or spliced from other seeds). Under
// AddressSanitizer this is where an out-of-bounds read in a parser shows up
// without a fuzzer.
#include <catch2/catch.hpp>
#include <set>

#include "tests/fuzz/mutator.h"
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
  scrm::test::Mutator mutator(seeds);
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
