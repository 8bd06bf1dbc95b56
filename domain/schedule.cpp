#include "domain/schedule.h"

#include <date/iso_week.h>
#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <optional>

namespace scrm::domain {
namespace {

using date::days;
using date::local_days;
using date::local_seconds;
using std::chrono::minutes;
using std::chrono::seconds;

local_seconds ToLocal(std::int64_t t, const std::string& zone) {
  return FindZone(zone)->to_local(date::sys_seconds{seconds{t}});
}

// A local time → UTC; skipped times move forward, repeated ones take the
// first.
std::int64_t ToUtc(local_seconds local, const std::string& zone) {
  const date::time_zone* z = FindZone(zone);
  auto info = z->get_info(local);
  date::sys_seconds utc;
  if (info.result == date::local_info::nonexistent) {
    utc = info.second.begin;  // the first valid instant after the gap
  } else {
    utc = z->to_sys(local, date::choose::earliest);
  }
  return utc.time_since_epoch().count();
}

std::string DayLabel(local_days day) { return date::format("%Y-%m-%d", day); }

std::string WeekLabel(local_days day) {
  iso_week::year_weeknum_weekday w{date::sys_days{day.time_since_epoch()}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%d-W%02u", static_cast<int>(w.year()),
                static_cast<unsigned>(w.weeknum()));
  return buf;
}

Occurrence At(local_days day, const Schedule& s, const std::string& zone, std::string period) {
  return {std::move(period), ToUtc(day + minutes{s.minute_of_day}, zone)};
}

}  // namespace

const date::time_zone* FindZone(const std::string& name) {
  thread_local std::string cached_name;
  thread_local const date::time_zone* cached = nullptr;
  if (!cached || cached_name != name) {
    cached = date::locate_zone(name);
    cached_name = name;
  }
  return cached;
}

namespace {

// The occurrence on local `day`, if the schedule has one that day.
std::optional<Occurrence> OccurrenceOn(local_days day, const Schedule& s, const std::string& zone) {
  date::year_month_day ymd{day};
  bool matches = s.every == Schedule::Every::kDay ||
                 (s.every == Schedule::Every::kWeek &&
                  date::weekday{day}.c_encoding() == static_cast<unsigned>(s.weekday)) ||
                 (s.every == Schedule::Every::kMonth &&
                  static_cast<unsigned>(ymd.day()) == static_cast<unsigned>(s.day_of_month));
  if (!matches) return std::nullopt;
  std::string period = s.every == Schedule::Every::kDay    ? DayLabel(day)
                       : s.every == Schedule::Every::kWeek ? WeekLabel(day)
                                                           : DayLabel(day).substr(0, 7);
  return At(day, s, zone, period);
}

}  // namespace

Occurrence LatestOccurrence(const Schedule& s, std::int64_t now, const std::string& zone) {
  local_days today = date::floor<days>(ToLocal(now, zone));
  for (int back = 0; back < 62; ++back) {
    auto o = OccurrenceOn(today - days{back}, s, zone);
    if (o && o->at <= now) return *o;
  }
  return {};
}

std::vector<Occurrence> OccurrencesBetween(const Schedule& s, std::int64_t after, std::int64_t to,
                                           const std::string& zone) {
  std::vector<Occurrence> out;
  local_days day = date::floor<days>(ToLocal(to, zone));
  for (int back = 0; back < 62; ++back, day -= days{1}) {
    auto o = OccurrenceOn(day, s, zone);
    if (!o || o->at > to) continue;
    if (o->at <= after) break;
    out.push_back(std::move(*o));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<int> ParseClockTime(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  int h = (text[0] - '0') * 10 + (text[1] - '0');
  int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

Range DayOf(std::int64_t t, const std::string& zone) {
  local_days day = date::floor<days>(ToLocal(t, zone));
  return {ToUtc(local_seconds{day.time_since_epoch()}, zone),
          ToUtc(local_seconds{(day + days{1}).time_since_epoch()}, zone), DayLabel(day)};
}

Range PreviousDay(std::int64_t t, const std::string& zone) {
  return DayOf(DayOf(t, zone).from - 1, zone);
}

Range PreviousWeek(std::int64_t t, const std::string& zone) {
  local_days today = date::floor<days>(ToLocal(t, zone));
  unsigned since_monday = (date::weekday{today}.c_encoding() + 6) % 7;
  local_days this_monday = today - days{since_monday};
  local_days last_monday = this_monday - days{7};
  return {ToUtc(local_seconds{last_monday.time_since_epoch()}, zone),
          ToUtc(local_seconds{this_monday.time_since_epoch()}, zone), WeekLabel(last_monday)};
}

Range WeekBefore(const Range& week, const std::string& zone) {
  return PreviousWeek(week.from + 3600, zone);
}

Range MonthToDate(std::int64_t t, const std::string& zone) {
  local_days today = date::floor<days>(ToLocal(t, zone));
  date::year_month_day ymd{today};
  local_days first = local_days{ymd.year() / ymd.month() / date::day{1}};
  return {ToUtc(local_seconds{first.time_since_epoch()}, zone), t, DayLabel(first).substr(0, 7)};
}

std::optional<std::int64_t> NoonOf(const std::string& text, const std::string& zone) {
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month{m}, date::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return ToUtc(local_seconds{local_days{ymd}.time_since_epoch()} + std::chrono::hours{12}, zone);
}

}  // namespace scrm::domain
