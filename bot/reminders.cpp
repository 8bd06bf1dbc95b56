#include "bot/reminders.h"

#include <limits>
#include <map>

#include "bot/local_time.h"
#include "storage/crm.h"

namespace scrm::bot {
namespace {

constexpr std::size_t kListed = 10;  // items listed per section of one rep's reminder

std::string KindName(domain::FollowUpKind kind) {
  switch (kind) {
    case domain::FollowUpKind::kFirst:
      return "首次联系";
    case domain::FollowUpKind::kRevisit:
      return "成交回访";
    case domain::FollowUpKind::kAtRisk:
      return "流失挽回";
    case domain::FollowUpKind::kRoutine:
      break;
  }
  return "例行跟进";
}

}  // namespace

bool InWorkingHours(std::int64_t now, const Config& config) {
  const std::string& zone = config.schedule.timezone;
  int weekday = LocalWeekday(now, zone);
  if (!config.reminders.weekends && (weekday == 0 || weekday == 6)) return false;
  int minute = LocalMinuteOfDay(now, zone);
  return minute >= config.reminders.work_start_minute && minute < config.reminders.work_end_minute;
}

Messages ReminderMessages(storage::Connection& c, const CrmContext& ctx) {
  std::map<std::string, View> by_rep;
  std::map<std::string, std::pair<int, int>> unlisted;  // rep → (due, stuck) not listed
  const std::string& zone = ctx.config.schedule.timezone;
  std::int64_t since = storage::LastReminderScan(c);
  // The clock set back (across a restart, say): what became due up to the
  // last scan was reminded of then, and the mark does not move back.
  if (ctx.now <= since) return {};
  // Customers whom time alone has made at risk are planned a win-back now
  // (due in this scan), churned ones no follow-up at all.
  RefreshLifecycles(c, ctx, kLifecyclesPerRefresh);
  storage::SetLastReminderScan(c, ctx.now);

  for (const auto& due : storage::DueBetween(c, since, ctx.now)) {
    auto& listed = by_rep[due.owner].lists["due"];
    if (listed.size() >= kListed) {
      unlisted[due.owner].first++;
      continue;
    }
    listed.push_back({{"name", DisplayName(due.name)},
                      {"id", std::to_string(due.id)},
                      {"kind", KindName(domain::NextFollowUpKind(due))},
                      {"when", LocalDateTime(due.next_follow_up_at, zone)}});
  }
  for (const auto& stage : ctx.funnel.stages()) {
    if (stage.sla_days <= 0) continue;
    // Stuck since the last scan: the time limit ran out in (since, now].
    std::int64_t limit = std::int64_t{stage.sla_days} * 86400;
    std::int64_t after = since > 0 ? since - limit : std::numeric_limits<std::int64_t>::min();
    for (const auto& stuck : storage::EnteredBetween(c, stage.name, after, ctx.now - limit)) {
      auto& listed = by_rep[stuck.owner].lists["stuck"];
      if (listed.size() >= kListed) {
        unlisted[stuck.owner].second++;
        continue;
      }
      listed.push_back({{"name", DisplayName(stuck.customer_name)},
                        {"id", std::to_string(stuck.customer_id)},
                        {"stage", stage.name},
                        {"days", std::to_string((ctx.now - stuck.entered_at) / 86400)}});
    }
  }

  Messages out;
  for (auto& [rep, view] : by_rep) {
    auto [due_more, stuck_more] = unlisted[rep];
    view.vars["more_due"] = due_more > 0 ? std::to_string(due_more) : "";
    view.vars["more_stuck"] = stuck_more > 0 ? std::to_string(stuck_more) : "";
    auto parts = TextTo(rep, ctx.config.wecom.agent_id, ctx.templates.RenderView("reminder", view));
    out.insert(out.end(), parts.begin(), parts.end());
  }
  return out;
}

}  // namespace scrm::bot
