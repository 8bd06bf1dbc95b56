#include "domain/rate_limit.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace scrm::domain;

namespace {

// The most events in any span of `seconds` among sorted `times`.
int MostInAnySpan(const std::vector<double>& times, double seconds) {
  int most = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    int n = 0;
    for (std::size_t j = i; j < times.size() && times[j] < times[i] + seconds; ++j) ++n;
    most = std::max(most, n);
  }
  return most;
}

}  // namespace

TEST_CASE("a limit holds over every span, not just from a full start", "[rate_limit]") {
  RateLimiter limiter({{2, 60}});
  std::vector<double> sent;
  // Someone keeps trying every 5 seconds for five minutes.
  for (double t = 1000; t < 1300; t += 5) {
    if (limiter.TryTake("user:a", t)) sent.push_back(t);
  }
  CHECK(MostInAnySpan(sent, 60) == 2);
  // Two a minute over five minutes: 10, evenly spaced as the window allows.
  CHECK(sent.size() == 10);
  CHECK(sent[0] == 1000);
  CHECK(sent[1] == 1005);
  CHECK(sent[2] == 1060);  // the first one has left the span
}

TEST_CASE("the wait is until the oldest counted event leaves the span", "[rate_limit]") {
  RateLimiter limiter({{3, 60}});
  CHECK(limiter.WaitSeconds("k", 0) == 0);  // unknown key: free
  CHECK(limiter.TryTake("k", 10));
  CHECK(limiter.TryTake("k", 20));
  CHECK(limiter.TryTake("k", 30));
  CHECK_FALSE(limiter.TryTake("k", 40));  // refused, and not counted
  CHECK(limiter.WaitSeconds("k", 40) == Approx(30));
  CHECK(limiter.TryTake("k", 70));  // 10 + 60
  CHECK(limiter.WaitSeconds("k", 70) == Approx(10));
  CHECK(limiter.WaitSeconds("other", 70) == 0);  // keys are independent
}

TEST_CASE("every limit must allow an event: per minute and per hour", "[rate_limit]") {
  RateLimiter limiter({{30, 60}, {100, 3600}});
  int sent = 0;
  for (int second = 0; second < 3600; ++second) {
    if (limiter.TryTake("user:a", second)) ++sent;
  }
  CHECK(sent == 100);  // the hourly limit, not 30 a minute for an hour
  CHECK(limiter.WaitSeconds("user:a", 3599) > 0);
  // The first went at second 0: it leaves the hour at 3600.
  CHECK(limiter.TryTake("user:a", 3600));
}

TEST_CASE("a clock set back waits at most one span", "[rate_limit]") {
  RateLimiter limiter({{1, 60}});
  CHECK(limiter.TryTake("k", 10000));
  // The clock is set back an hour: the event seems to lie in the future.
  CHECK(limiter.WaitSeconds("k", 6400) == Approx(60));
  CHECK_FALSE(limiter.TryTake("k", 6400));
  CHECK(limiter.TryTake("k", 6460));
}

TEST_CASE("events recorded from before a restart count", "[rate_limit]") {
  RateLimiter limiter({{2, 60}});
  limiter.Record("user:a", 990);
  limiter.Record("user:a", 980);  // out of order is fine
  CHECK_FALSE(limiter.TryTake("user:a", 1000));
  CHECK(limiter.WaitSeconds("user:a", 1000) == Approx(40));
  CHECK(limiter.TryTake("user:a", 1040));
  // Records past a limit are kept as they are: the limiter waits them out.
  RateLimiter full({{1, 60}});
  full.Record("k", 100);
  full.Record("k", 101);
  CHECK(full.WaitSeconds("k", 102) == Approx(59));
}

TEST_CASE("a 45009 pauses its key for the time asked, others go on", "[ratelimit]") {
  Pauses pauses;
  CHECK(pauses.WaitSeconds("/cgi-bin/message/send", 1000) == 0);
  CHECK(pauses.Pause("/cgi-bin/message/send", 1000.5, 62) == Approx(62));
  CHECK(pauses.WaitSeconds("/cgi-bin/message/send", 1000.5) == Approx(62));
  CHECK(pauses.WaitSeconds("/cgi-bin/message/send", 1061.5) == Approx(1));
  CHECK(pauses.WaitSeconds("/cgi-bin/message/send", 1062.5) == 0);
  CHECK(pauses.WaitSeconds("/cgi-bin/appchat/send", 1000.5) == 0);  // another API
  // A later answer with a shorter pause never shortens one.
  pauses.Pause("robot:west", 1000, 120);
  CHECK(pauses.Pause("robot:west", 1010, 60) == Approx(110));
  CHECK(pauses.WaitSeconds("robot:west", 1119) == Approx(1));
}

TEST_CASE("refused again as soon as a pause ends, the next pause is twice as long", "[ratelimit]") {
  Pauses pauses;
  CHECK(pauses.Pause("k", 1000, 60) == Approx(60));
  // A call made before the pause, refused during it: a minute from then.
  CHECK(pauses.Pause("k", 1010, 60) == Approx(60));
  std::vector<double> lengths;
  double now = 1070;
  for (int i = 0; i < 8; ++i) {
    double wait = pauses.Pause("k", now, 60);  // the first call after the pause
    lengths.push_back(wait);
    now += wait;
  }
  CHECK(lengths == std::vector<double>{120, 240, 480, 960, 1920, 3600, 3600, 3600});
  // A call answered during a pause (counted before the block) lifts nothing.
  pauses.Passed("k", now - 10);
  CHECK(pauses.WaitSeconds("k", now - 10) == Approx(10));
  // Once a call goes through after it, the next 45009 is a minute's again.
  pauses.Passed("k", now);
  CHECK(pauses.WaitSeconds("k", now) == 0);
  CHECK(pauses.Pause("k", now + 5, 60) == Approx(60));
  CHECK(pauses.Pause("other", now, 62) == Approx(62));  // each key apart
  // A 45009 long after the last pause ended is a minute's again, too.
  CHECK(pauses.Pause("other", now + 62 + 3600, 62) == Approx(62));
}

TEST_CASE("windows of keys no limit looks at any more are dropped", "[rate_limit]") {
  RateLimiter limiter({{30, 60}, {1000, 3600}});
  for (int i = 0; i < 1000; ++i) limiter.Record("customer:" + std::to_string(i), 100);
  CHECK(limiter.size() == 1000);
  // An hour later the old keys count for nothing; new ones keep coming.
  for (int i = 0; i < 100; ++i) limiter.Record("member:" + std::to_string(i % 5), 3700);
  CHECK(limiter.size() < 1000);
  CHECK(limiter.size() >= 5);
  CHECK(limiter.WaitSeconds("customer:1", 3700) == 0);
  // A key still in its span keeps its window and its limit.
  for (int i = 0; i < 30; ++i) limiter.Record("busy", 3700);
  for (int i = 0; i < 1024; ++i) limiter.Record("other:" + std::to_string(i), 3710);
  CHECK(limiter.WaitSeconds("busy", 3710) == Approx(50));
}
