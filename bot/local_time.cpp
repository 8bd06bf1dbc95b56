#include "bot/local_time.h"

#include <date/tz.h>

#include "domain/schedule.h"

namespace scrm::bot {
namespace {

date::local_seconds Local(std::int64_t t, const std::string& zone) {
  auto utc = date::sys_seconds{std::chrono::seconds{t}};
  return domain::FindZone(zone)->to_local(utc);
}

}  // namespace

std::string LocalDate(std::int64_t t, const std::string& zone) {
  return date::format("%Y-%m-%d", Local(t, zone));
}

std::string LocalDateTime(std::int64_t t, const std::string& zone) {
  return date::format("%m-%d %H:%M", Local(t, zone));
}

int LocalMinuteOfDay(std::int64_t t, const std::string& zone) {
  auto local = Local(t, zone);
  auto since_midnight = local - date::floor<date::days>(local);
  return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(since_midnight).count());
}

int LocalWeekday(std::int64_t t, const std::string& zone) {
  auto day = date::floor<date::days>(Local(t, zone));
  return static_cast<int>(date::weekday{day}.c_encoding());
}

std::int64_t EndOfLocalDay(std::int64_t t, const std::string& zone) {
  auto local = Local(t, zone);
  auto next_midnight = date::floor<date::days>(local) + date::days{1};
  auto utc = domain::FindZone(zone)->to_sys(next_midnight, date::choose::earliest);
  return std::chrono::duration_cast<std::chrono::seconds>(utc.time_since_epoch()).count() - 1;
}

}  // namespace scrm::bot
