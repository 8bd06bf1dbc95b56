#include "domain/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace scrm::domain {
namespace {

// How many past events the limits can still look at, and for how long.
std::size_t MostEvents(const std::vector<Limit>& limits) {
  int most = 0;
  for (const Limit& l : limits) most = std::max(most, l.count);
  return static_cast<std::size_t>(most);
}

double LongestSpan(const std::vector<Limit>& limits) {
  double longest = 0;
  for (const Limit& l : limits) longest = std::max(longest, l.seconds);
  return longest;
}

}  // namespace

double SlidingWindow::WaitSeconds(double now) {
  // Events "after" now mean the clock was set back: they count as now, so
  // the wait never exceeds a span.
  for (auto it = times_.rbegin(); it != times_.rend() && *it > now; ++it) *it = now;
  double wait = 0;
  for (const Limit& l : *limits_) {
    auto count = static_cast<std::size_t>(std::max(l.count, 0));
    if (times_.size() < count) continue;
    if (count == 0) return l.seconds;  // nothing is ever allowed
    // The event `count` places back must have left the span ending now.
    double oldest = times_[times_.size() - count];
    wait = std::max(wait, oldest + l.seconds - now);
  }
  return wait;
}

bool SlidingWindow::TryTake(double now) {
  if (WaitSeconds(now) > 0) return false;
  Record(now);
  return true;
}

bool SlidingWindow::Idle(double now) const {
  return times_.empty() || times_.back() + LongestSpan(*limits_) <= now;
}

void SlidingWindow::Record(double at) {
  times_.insert(std::upper_bound(times_.begin(), times_.end(), at), at);
  Forget(times_.back());
}

// Drops the events no limit looks at any more, seen from `now`: all but the
// newest of the largest count, and those older than the longest span.
void SlidingWindow::Forget(double now) {
  std::size_t keep = MostEvents(*limits_);
  double span = LongestSpan(*limits_);
  while (!times_.empty() && (times_.size() > keep || times_.front() + span <= now)) {
    times_.pop_front();
  }
}

RateLimiter::RateLimiter(std::vector<Limit> limits) : limits_(std::move(limits)) {}

SlidingWindow& RateLimiter::Window(const std::string& key) {
  return windows_.try_emplace(key, &limits_).first->second;
}

bool RateLimiter::TryTake(const std::string& key, double now) {
  bool taken = Window(key).TryTake(now);
  if (taken) Recorded(now);
  return taken;
}

double RateLimiter::WaitSeconds(const std::string& key, double now) {
  auto it = windows_.find(key);
  return it == windows_.end() ? 0 : it->second.WaitSeconds(now);
}

void RateLimiter::Record(const std::string& key, double at) {
  Window(key).Record(at);
  Recorded(at);
}

// Every so many events, the windows no limit looks at any more are dropped.
void RateLimiter::Recorded(double now) {
  constexpr std::size_t kSweepEvery = 1024;
  if (++recorded_ % kSweepEvery != 0) return;
  std::erase_if(windows_, [now](const auto& entry) { return entry.second.Idle(now); });
}

double Pauses::Pause(const std::string& key, double now, double seconds) {
  Entry& e = pauses_[key];
  bool again = e.length > 0 && now >= e.until && now - e.until < e.length;
  double length = again ? std::min(std::max(seconds, 2 * e.length), kMaxSeconds) : seconds;
  if (now + length > e.until) e = {now + length, length};
  return e.until - now;
}

void Pauses::Passed(const std::string& key, double now) {
  auto it = pauses_.find(key);
  if (it != pauses_.end() && now >= it->second.until) pauses_.erase(it);
}

double Pauses::WaitSeconds(const std::string& key, double now) const {
  auto it = pauses_.find(key);
  return it == pauses_.end() || it->second.until <= now ? 0 : it->second.until - now;
}

}  // namespace scrm::domain
