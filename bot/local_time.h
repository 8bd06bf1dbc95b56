// Showing and reasoning about times in the configured time zone (IANA name).
// Times are UTC epoch seconds everywhere else.
#pragma once

#include <cstdint>
#include <string>

namespace scrm::bot {

// "2026-11-28"
std::string LocalDate(std::int64_t t, const std::string& zone);
// "11-28 09:30"
std::string LocalDateTime(std::int64_t t, const std::string& zone);
// Minutes after local midnight, and the weekday (0 Sunday … 6 Saturday).
int LocalMinuteOfDay(std::int64_t t, const std::string& zone);
int LocalWeekday(std::int64_t t, const std::string& zone);
// The last second of the local day that contains `t`.
std::int64_t EndOfLocalDay(std::int64_t t, const std::string& zone);

}  // namespace scrm::bot
