#include "bot/reminders.h"

#include <map>

#include "bot/local_time.h"
#include "storage/crm.h"

namespace scrm::bot {
namespace {

constexpr int kMaxDue = 100000;  // due customers looked at per scan

std::string Kind(const domain::Customer& c) {
  if (c.last_follow_up_at == 0) return "首次联系";
  if (c.won_at > c.last_follow_up_at) return "成交回访";
  if (c.lifecycle == domain::Lifecycle::kAtRisk) return "流失挽回";
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
  const std::string& zone = ctx.config.schedule.timezone;
  for (const auto& customer : storage::DueCustomers(c, {}, ctx.now, kMaxDue)) {
    std::string key =
        "due:" + std::to_string(customer.id) + ":" + std::to_string(customer.next_follow_up_at);
    if (storage::ReminderAlreadySent(c, key, customer.owner, ctx.now)) continue;
    by_rep[customer.owner].lists["due"].push_back(
        {{"name", customer.name.empty() ? customer.external_userid : customer.name},
         {"id", std::to_string(customer.id)},
         {"kind", Kind(customer)},
         {"when", LocalDateTime(customer.next_follow_up_at, zone)}});
  }
  for (const auto& deal : storage::OpenDeals(c, {})) {
    if (!ctx.funnel.IsStuck(deal.stage, deal.stage_entered_at, ctx.now)) continue;
    std::string key = "stuck:" + std::to_string(deal.id) + ":" + deal.stage + ":" +
                      std::to_string(deal.stage_entered_at);
    if (storage::ReminderAlreadySent(c, key, deal.owner, ctx.now)) continue;
    auto customer = storage::CustomerById(c, deal.customer_id);
    by_rep[deal.owner].lists["stuck"].push_back(
        {{"name", customer ? customer->name : ""},
         {"id", std::to_string(deal.customer_id)},
         {"stage", deal.stage},
         {"days", std::to_string((ctx.now - deal.stage_entered_at) / 86400)}});
  }
  Messages out;
  for (const auto& [rep, view] : by_rep) {
    auto more = TextTo(rep, ctx.config.wecom.agent_id, ctx.templates.RenderView("reminder", view));
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

}  // namespace scrm::bot
