#include "domain/rate_limit.h"

#include <algorithm>

namespace scrm::domain {

void TokenBucket::Refill(double now) {
  if (tokens_ < 0) {
    tokens_ = burst_;
    last_ = now;
    return;
  }
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + (now - last_) * rate_);
    last_ = now;
  }
}

bool TokenBucket::TryTake(double now) {
  Refill(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

double TokenBucket::WaitSeconds(double now) const {
  if (tokens_ < 0) return 0;
  double tokens = std::min(burst_, tokens_ + std::max(0.0, now - last_) * rate_);
  if (tokens >= 1 || rate_ <= 0) return 0;
  return (1 - tokens) / rate_;
}

bool RateLimiter::TryTake(const std::string& key, double now) {
  auto it = buckets_.try_emplace(key, per_minute_, burst_).first;
  return it->second.TryTake(now);
}

double RateLimiter::WaitSeconds(const std::string& key, double now) const {
  auto it = buckets_.find(key);
  return it == buckets_.end() ? 0 : it->second.WaitSeconds(now);
}

}  // namespace scrm::domain
