// A clock that moves only when a test says so.
#pragma once

#include <atomic>

#include "domain/clock.h"

namespace scrm::test {

class ManualClock final : public domain::Clock {
 public:
  explicit ManualClock(long long start = 1700000000) : now_(start) {}
  domain::Seconds Now() const override { return domain::Seconds(std::chrono::seconds(now_)); }
  void Advance(long long seconds) { now_ += seconds; }

 private:
  std::atomic<long long> now_;
};

}  // namespace scrm::test
