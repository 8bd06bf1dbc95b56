// Time-zone-aware schedules, with daylight saving.
#include "domain/schedule.h"

#include <catch2/catch.hpp>

using namespace scrm::domain;

namespace {
// 2026-11-27 01:00:00 UTC = 09:00 in Asia/Shanghai (UTC+8, no DST).
constexpr std::int64_t kShanghai0900 = 1795741200;
}  // namespace

TEST_CASE("a daily job at 09:00 Asia/Shanghai", "[schedule]") {
  Schedule daily{Schedule::Every::kDay, 9 * 60, 1, 1};
  auto at = LatestOccurrence(daily, kShanghai0900, "Asia/Shanghai");
  CHECK(at.period == "2026-11-27");
  CHECK(at.at == kShanghai0900);
  auto before = LatestOccurrence(daily, kShanghai0900 - 1, "Asia/Shanghai");
  CHECK(before.period == "2026-11-26");
  CHECK(before.at == kShanghai0900 - 86400);
}

TEST_CASE("the occurrences between two times, oldest first", "[schedule]") {
  Schedule daily{Schedule::Every::kDay, 9 * 60, 1, 1};
  auto three =
      OccurrencesBetween(daily, kShanghai0900 - 3 * 86400, kShanghai0900 + 1, "Asia/Shanghai");
  REQUIRE(three.size() == 3);  // after the first bound, up to and with the second
  CHECK(three[0].period == "2026-11-25");
  CHECK(three[1].period == "2026-11-26");
  CHECK(three[2].period == "2026-11-27");
  CHECK(three[2].at == kShanghai0900);
  CHECK(OccurrencesBetween(daily, kShanghai0900, kShanghai0900 + 3600, "Asia/Shanghai").empty());
  CHECK(OccurrencesBetween(daily, kShanghai0900 - 1, kShanghai0900, "Asia/Shanghai").size() == 1);
  Schedule weekly{Schedule::Every::kWeek, 9 * 60, 1, 1};  // Mondays (2026-11-23, 11-30)
  auto mondays = OccurrencesBetween(weekly, kShanghai0900 - 14 * 86400, kShanghai0900 + 7 * 86400,
                                    "Asia/Shanghai");
  REQUIRE(mondays.size() == 3);
  CHECK(mondays[0].period == "2026-W47");
  CHECK(mondays[2].period == "2026-W49");
}

TEST_CASE("a daily job at 09:00 America/New_York across the DST switches", "[schedule]") {
  Schedule daily{Schedule::Every::kDay, 9 * 60, 1, 1};
  // 2026-03-08: clocks go from EST (UTC-5) to EDT (UTC-4) at 02:00.
  std::int64_t mar7 = 1772892000;  // 2026-03-07 09:00 EST = 14:00 UTC
  std::int64_t mar8 = 1772974800;  // 2026-03-08 09:00 EDT = 13:00 UTC
  CHECK(LatestOccurrence(daily, mar7, "America/New_York").at == mar7);
  CHECK(LatestOccurrence(daily, mar8, "America/New_York").at == mar8);
  CHECK(LatestOccurrence(daily, mar8, "America/New_York").period == "2026-03-08");
  // The occurrence before is the day before's 09:00, 23 hours earlier (the
  // local day was 23 hours long), not 24.
  CHECK(LatestOccurrence(daily, mar8 - 1, "America/New_York").at == mar8 - 23 * 3600);
  CHECK(LatestOccurrence(daily, mar8 - 1, "America/New_York").period == "2026-03-07");
  // 2026-11-01: back to EST; 09:00 is 14:00 UTC again.
  std::int64_t nov1 = 1793541600;
  CHECK(LatestOccurrence(daily, nov1, "America/New_York").at == nov1);
  CHECK(LatestOccurrence(daily, nov1 - 1, "America/New_York").period == "2026-10-31");
  // 02:30 does not exist on 2026-03-08: the job runs at 03:00 EDT.
  Schedule early{Schedule::Every::kDay, 2 * 60 + 30, 1, 1};
  CHECK(LatestOccurrence(early, mar8, "America/New_York").at == 1772953200);  // 07:00 UTC
}

TEST_CASE("weekly and monthly jobs", "[schedule]") {
  Schedule monday{Schedule::Every::kWeek, 9 * 60, 1, 1};
  auto at = LatestOccurrence(monday, kShanghai0900, "Asia/Shanghai");  // a Friday
  CHECK(at.period == "2026-W48");
  CHECK(at.at == kShanghai0900 - 4 * 86400);  // Monday 2026-11-23
  Schedule first{Schedule::Every::kMonth, 9 * 60, 1, 1};
  CHECK(LatestOccurrence(first, kShanghai0900, "Asia/Shanghai").period == "2026-11");
}

TEST_CASE("report ranges and clock times", "[schedule]") {
  auto day = PreviousDay(kShanghai0900, "Asia/Shanghai");
  CHECK(day.label == "2026-11-26");
  CHECK(day.to - day.from == 86400);
  CHECK(day.to == kShanghai0900 - 9 * 3600);
  auto week = PreviousWeek(kShanghai0900, "Asia/Shanghai");
  CHECK(week.label == "2026-W47");
  CHECK(week.to - week.from == 7 * 86400);
  CHECK(WeekBefore(week, "Asia/Shanghai").label == "2026-W46");
  CHECK(MonthToDate(kShanghai0900, "Asia/Shanghai").label == "2026-11");
  CHECK(ParseClockTime("09:30") == 570);
  CHECK_FALSE(ParseClockTime("9:30"));
  CHECK_FALSE(ParseClockTime("24:00"));
  CHECK(NoonOf("2026-11-26", "Asia/Shanghai") == day.from + 12 * 3600);
  CHECK_FALSE(NoonOf("2026-02-30", "Asia/Shanghai"));
  CHECK_FALSE(NoonOf("yesterday", "Asia/Shanghai"));
}
