// When scheduled jobs run: daily at HH:MM, weekly on a weekday at HH:MM, or
// monthly on a day at HH:MM, in an IANA time zone (daylight saving
// included). Pure: the time is an argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace date {
class time_zone;
}

namespace scrm::domain {

// The IANA zone `name`, looked up once per thread (throws
// std::runtime_error for an unknown name; the configuration checks names).
const date::time_zone* FindZone(const std::string& name);

struct Schedule {
  enum class Every { kDay, kWeek, kMonth };
  Every every = Every::kDay;
  int minute_of_day = 9 * 60;  // local time
  int weekday = 1;             // kWeek: 0 Sunday … 6 Saturday
  int day_of_month = 1;        // kMonth: 1..28
};

// One run of a job: the local period it belongs to ("2026-11-27",
// "2026-W48" or "2026-11") and when it is due (UTC epoch seconds).
struct Occurrence {
  std::string period;
  std::int64_t at = 0;
};

// The latest occurrence due at or before `now`. A local time that a daylight
// saving change skips runs at the first valid time after it; one that
// happens twice runs at the first.
Occurrence LatestOccurrence(const Schedule& schedule, std::int64_t now, const std::string& zone);
// Every occurrence due after `after` and at or before `to`, oldest first
// (those of the 62 local days up to `to` at most).
std::vector<Occurrence> OccurrencesBetween(const Schedule& schedule, std::int64_t after,
                                           std::int64_t to, const std::string& zone);

// "HH:MM" → minutes after midnight.
std::optional<int> ParseClockTime(const std::string& text);

// The local calendar day before the one containing `t`, as [from, to) in
// UTC epoch seconds; and the ISO week before, and the month so far.
struct Range {
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::string label;  // "2026-11-26", "2026-W47", "2026-11"
};
Range DayOf(std::int64_t t, const std::string& zone);
Range PreviousDay(std::int64_t t, const std::string& zone);
Range PreviousWeek(std::int64_t t, const std::string& zone);
Range WeekBefore(const Range& week, const std::string& zone);
Range MonthToDate(std::int64_t t, const std::string& zone);
// The local date "YYYY-MM-DD" at 12:00 → UTC, for --date arguments.
std::optional<std::int64_t> NoonOf(const std::string& date, const std::string& zone);

}  // namespace scrm::domain
