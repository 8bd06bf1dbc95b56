// WeCom's frequency limits as sliding windows: at most N calls in any span
// of S seconds, per key (a member, a group robot, an API path). WeCom counts
// calls, and drops an app message past a member's limit without telling the
// sender, so a limit here is never exceeded, not even by a burst after a
// quiet spell (a token bucket would let nearly twice the limit through in
// one minute). Pure: the caller passes the time, in seconds.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace scrm::domain {

// At most `count` events in any `seconds`-long span.
struct Limit {
  int count = 1;
  double seconds = 60;
};

// The recent events of one key, held to every limit.
class SlidingWindow {
 public:
  explicit SlidingWindow(const std::vector<Limit>* limits) : limits_(limits) {}

  // Seconds from `now` until one more event fits every limit (0: it fits now).
  // Never more than the longest span, even after the clock was set back.
  double WaitSeconds(double now);
  // Records an event at `now` if it fits; false (and nothing recorded) if not.
  bool TryTake(double now);
  // Records an event that already happened at `at`, fitting or not: calls
  // made before a restart still count.
  void Record(double at);
  // True when no limit looks at any of its events from `now` on.
  bool Idle(double now) const;

 private:
  void Forget(double now);

  const std::vector<Limit>* limits_;
  std::deque<double> times_;  // ascending; at most the largest count of the limits
};

// One window per key, created on first use and dropped once idle (keys such
// as one customer's come and go: the map does not grow with every one seen).
class RateLimiter {
 public:
  explicit RateLimiter(std::vector<Limit> limits);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  bool TryTake(const std::string& key, double now);
  double WaitSeconds(const std::string& key, double now);
  void Record(const std::string& key, double at);
  std::size_t size() const { return windows_.size(); }  // keys held

 private:
  SlidingWindow& Window(const std::string& key);
  void Recorded(double now);

  std::vector<Limit> limits_;
  std::map<std::string, SlidingWindow> windows_;
  std::size_t recorded_ = 0;  // events, for the sweep of idle windows
};

// What WeCom does past its own limit (45009): it blocks that API (or that
// group robot) for a while, whoever calls: 60 s after a minute's limit,
// longer after an hour's or a day's. Calls to a paused key wait instead of
// failing again one after another.
class Pauses {
 public:
  // The longest pause: a day's limit is tried again each hour.
  static constexpr double kMaxSeconds = 3600;

  // After a 45009 for `key` at `now`: paused for `seconds` from then (an
  // earlier pause that ends later stays). Refused again within one pause's
  // length after the last pause ended (an hour's or a day's limit, not a
  // minute's): twice the last pause, up to kMaxSeconds. Returns
  // WaitSeconds(key, now).
  double Pause(const std::string& key, double now, double seconds);
  // A call to `key` went through at `now`: once its pause is over, the next
  // one starts short again. (A call answered during a pause was counted by
  // WeCom before the block: the pause stays.)
  void Passed(const std::string& key, double now);
  // Seconds from `now` until `key` may be called (0: now).
  double WaitSeconds(const std::string& key, double now) const;

 private:
  struct Entry {
    double until = 0;
    double length = 0;  // of the pause that ends at `until`
  };
  std::map<std::string, Entry> pauses_;
};

}  // namespace scrm::domain
