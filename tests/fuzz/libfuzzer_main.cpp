// libFuzzer's entry points over the parsers (scripts/fuzz.sh builds this with
// clang and -fsanitize=fuzzer,address,undefined).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/fuzz/parsers.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // SCRM_FUZZ_SEEDS=DIR writes the seeds there, one file each, as the
  // starting corpus.
  if (const char* dir = std::getenv("SCRM_FUZZ_SEEDS")) {
    int n = 0;
    for (const auto& seed : scrm::fuzz::Seeds()) {
      std::ofstream(std::string(dir) + "/seed-" + std::to_string(n++), std::ios::binary) << seed;
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto failure = scrm::fuzz::RunOne({reinterpret_cast<const char*>(data), size});
  if (failure) {
    std::fprintf(stderr, "property broken: %s\n", failure->c_str());
    std::abort();
  }
  return 0;
}
