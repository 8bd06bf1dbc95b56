// Time source for the whole application. Domain rules never read the clock
// themselves: callers pass `Now()` in. Tests substitute a manual clock.
#pragma once

#include <chrono>

namespace scrm::domain {

using Seconds = std::chrono::sys_seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Current UTC time, whole seconds. Thread-safe in every implementation.
  virtual Seconds Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Seconds Now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

}  // namespace scrm::domain
