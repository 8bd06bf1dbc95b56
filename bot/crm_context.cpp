#include "bot/crm_context.h"

#include <algorithm>

#include "bot/dispatch.h"
#include "storage/crm.h"
#include "wecom/messages.h"

namespace scrm::bot {

namespace {

Messages Texts(const std::string& user, std::int64_t agent_id, const std::string& text,
               wecom::Repeats repeats) {
  Messages out;
  for (auto& body : wecom::TextMessageBodies(user, agent_id, text, repeats)) {
    out.push_back({UserRecipient(user), "/cgi-bin/message/send", std::move(body), ""});
  }
  return out;
}

}  // namespace

std::string DisplayName(const std::string& name) { return name.empty() ? "（资料获取中）" : name; }

Messages TextTo(const std::string& user, std::int64_t agent_id, const std::string& text) {
  return Texts(user, agent_id, text, wecom::Repeats::kDropped);
}

Messages AnswerTo(const std::string& user, std::int64_t agent_id, const std::string& text) {
  return Texts(user, agent_id, text, wecom::Repeats::kDelivered);
}

domain::Funnel FunnelOf(const Config& config) {
  std::vector<domain::Stage> stages =
      config.crm.stages.empty() ? domain::Funnel::Default().stages() : config.crm.stages;
  // The configuration was validated when loaded.
  return *domain::Funnel::Create(stages, config.crm.lost_stage);
}

void AdvanceDeal(storage::Connection& c, domain::Deal& deal, const std::string& stage,
                 const std::string& by, const CrmContext& ctx) {
  auto at = ctx.funnel.IndexOf(deal.stage);
  auto target = ctx.funnel.IndexOf(stage);
  if (!at || !target || *at >= *target) return;
  if (deal.id == 0) deal.id = storage::InsertDeal(c, deal);
  storage::RecordStageChange(c, deal.id, deal.stage, stage, ctx.now, by);
  deal.stage = stage;
  deal.stage_entered_at = ctx.now;
}

void MoveDeal(storage::Connection& c, domain::Deal& deal, domain::Customer& customer,
              const std::string& to, const std::string& by, const CrmContext& ctx) {
  if (deal.id == 0) deal.id = storage::InsertDeal(c, deal);
  storage::RecordStageChange(c, deal.id, deal.stage, to, ctx.now, by);
  deal.stage = to;
  deal.stage_entered_at = ctx.now;
  if (ctx.funnel.IsClosed(to)) deal.closed_at = ctx.now;
  if (to == ctx.funnel.won()) customer.won_at = ctx.now;
  if (to == ctx.funnel.lost()) customer.lost_at = ctx.now;
}

bool WinIfPaidOff(storage::Connection& c, domain::Deal& deal, domain::Customer& customer,
                  const std::string& by, const CrmContext& ctx) {
  if (deal.closed_at != 0 || deal.amount <= 0 || deal.paid < deal.amount) return false;
  MoveDeal(c, deal, customer, ctx.funnel.won(), by, ctx);
  return true;
}

void RefreshCustomer(storage::Connection& c, domain::Customer& customer, const CrmContext& ctx) {
  // The deal's price counts while it is open and once it is won (its
  // payments may come later); a lost one's does not.
  auto deal = storage::OpenDeal(c, customer.id);
  if (deal && deal->created_at >= customer.lost_at) customer.lost_at = 0;  // a new deal since
  if (!deal) deal = storage::LatestDeal(c, customer.id);
  bool counts = deal && (deal->closed_at == 0 || deal->stage == ctx.funnel.won());
  customer.tier = domain::Tier(customer, counts ? deal->amount : 0, ctx.config.crm.tiering);
  customer.lifecycle = domain::ClassifyLifecycle(customer, ctx.now, ctx.config.crm.tiering);
  customer.lifecycle_changes_at =
      domain::LifecycleChangesAt(customer, ctx.now, ctx.config.crm.tiering);
  std::int64_t planned = domain::NextFollowUp(customer, ctx.config.crm.cadence).value_or(0);
  // The same plan as before keeps its due time (and its reminder, sent
  // once). A new one already past is due now; and it is after the last
  // reminder scan, so that the next scan (which looks at what became due
  // since the last one) sees it, even in the second of that scan.
  // A due time stored before plans were kept (planned_follow_up_at 0) at
  // or after this plan is taken as this plan, moved forward then.
  bool kept_before = customer.planned_follow_up_at == 0 && customer.next_follow_up_at >= planned;
  if (planned == 0) {
    customer.next_follow_up_at = 0;  // nothing planned (churned)
  } else if ((planned != customer.planned_follow_up_at && !kept_before) ||
             customer.next_follow_up_at == 0) {
    customer.next_follow_up_at = std::max({planned, ctx.now, storage::LastReminderScan(c) + 1});
  }
  customer.planned_follow_up_at = planned;
  storage::UpdateCustomer(c, customer);
}

int RefreshLifecycles(storage::Connection& c, const CrmContext& ctx, int limit) {
  auto due = storage::LifecycleDue(c, ctx.now, limit);
  for (auto& customer : due) RefreshCustomer(c, customer, ctx);
  return static_cast<int>(due.size());
}

}  // namespace scrm::bot
