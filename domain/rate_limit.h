// Token buckets for WeCom's rate limits (per member, per robot, per API).
// Pure: the caller passes the time.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace scrm::domain {

class TokenBucket {
 public:
  // `per_minute` tokens are added evenly over a minute, up to `burst`.
  TokenBucket(double per_minute, double burst) : rate_(per_minute / 60.0), burst_(burst) {}

  // Takes a token if one is available at `now` (seconds).
  bool TryTake(double now);
  // Seconds from `now` until a token is available (0 when one is).
  double WaitSeconds(double now) const;

 private:
  void Refill(double now);

  double rate_;
  double burst_;
  double tokens_ = -1;  // -1: not started (full)
  double last_ = 0;
};

// One bucket per key, created on first use.
class RateLimiter {
 public:
  RateLimiter(double per_minute, double burst) : per_minute_(per_minute), burst_(burst) {}
  bool TryTake(const std::string& key, double now);
  double WaitSeconds(const std::string& key, double now) const;

 private:
  double per_minute_;
  double burst_;
  std::map<std::string, TokenBucket> buckets_;
};

}  // namespace scrm::domain
