#include "bot/digest.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "bot/app.h"
#include "bot/dispatch.h"
#include "bot/local_time.h"
#include "domain/schedule.h"
#include "storage/connection.h"
#include "storage/db.h"
#include "storage/outbox.h"
#include "storage/reports.h"
#include "wecom/cards.h"
#include "wecom/messages.h"

namespace scrm::bot {
namespace {

constexpr int kRisksListed = 10;
constexpr std::size_t kReasonsListed = 5;  // loss reasons in the weekly review; the rest: 其他
constexpr std::int64_t kOnTimeSeconds = 300;

using domain::FormatYuan;

// "2026年第47周（11-16～11-22）" for the ISO week labelled "2026-W47".
std::string WeekTitle(const domain::Range& week, const std::string& zone) {
  std::string year = week.label.substr(0, week.label.find('-'));
  std::string number = week.label.substr(week.label.find('W') + 1);
  if (number.size() == 2 && number[0] == '0') number.erase(0, 1);
  return year + "年第" + number + "周（" + LocalDate(week.from, zone).substr(5) + "～" +
         LocalDate(week.to - 1, zone).substr(5) + "）";
}

// Whose work a manager's digest covers: everyone the manager sees, or,
// when the team's digests go to its group robot or chat, the configured
// team alone (a manager who also leads a department in WeCom sees people
// that group does not include).
storage::Owners DigestOwners(const std::string& manager, const CrmContext& ctx) {
  const TeamConfig* team = ctx.org.TeamOf(manager);
  if (!team || (team->robot.empty() && team->chat_id.empty())) return ctx.org.Visible(manager);
  std::set<std::string> owners(team->members.begin(), team->members.end());
  owners.insert(manager);
  return storage::Owners(owners.begin(), owners.end());
}

// What a digest is titled with: the configured team's name, "<manager>的团队",
// or only the person's name when they see nobody else's work.
std::string TitleOf(const std::string& manager, const CrmContext& ctx) {
  if (const TeamConfig* configured = ctx.org.TeamOf(manager)) return configured->name;
  std::string name = ctx.org.NameOf(manager);
  return ctx.org.Visible(manager).size() > 1 ? name + "的团队" : name;
}

// The stuck open deals of `reps`, counted per stage.
std::vector<View::Row> StuckByStage(storage::Connection& c, const storage::Owners& reps,
                                    std::int64_t now, const domain::Funnel& funnel) {
  std::map<std::string, std::pair<int, domain::Fen>> by_stage;
  for (const auto& deal : storage::OpenDeals(c, reps)) {
    if (!funnel.IsStuck(deal.stage, deal.stage_entered_at, now)) continue;
    by_stage[deal.stage].first++;
    by_stage[deal.stage].second += deal.amount;
  }
  std::vector<View::Row> rows;
  for (const auto& stage : funnel.stages()) {
    auto it = by_stage.find(stage.name);
    if (it == by_stage.end()) continue;
    rows.push_back({{"stage", stage.name},
                    {"count", std::to_string(it->second.first)},
                    {"amount", FormatYuan(it->second.second)},
                    {"sla", std::to_string(stage.sla_days)}});
  }
  return rows;
}

// Whether `manager` gets the scheduled digests: the manager of a
// configured team does; one the directory sync found (every department
// leader) only when the team has customers, so HR's leader gets nothing.
bool Sells(storage::Connection& c, const std::string& manager, const CrmContext& ctx) {
  return ctx.org.TeamOf(manager) != nullptr || storage::AnyCustomers(c, ctx.org.Visible(manager));
}

// `repeats`: a scheduled digest sent again after a crash is dropped by WeCom;
// one an operator asks for again (`scrm-bot digest`) is delivered.
Messages Address(const std::string& manager, const std::string& text, const CrmContext& ctx,
                 wecom::Repeats repeats = wecom::Repeats::kDropped) {
  const TeamConfig* team = ctx.org.TeamOf(manager);
  if (team && !team->robot.empty()) return RobotMarkdownMessages(team->robot, text);
  Messages out;
  if (team && !team->chat_id.empty()) {
    for (auto& body : wecom::AppChatMarkdownBodies(team->chat_id, text)) {
      out.push_back({"chat:" + team->chat_id, wecom::kAppChatSendPath, std::move(body)});
    }
    return out;
  }
  for (auto& body :
       wecom::MarkdownMessageBodies(manager, ctx.config.wecom.agent_id, text, repeats)) {
    out.push_back({UserRecipient(manager), wecom::kMessageSendPath, std::move(body)});
  }
  return out;
}

}  // namespace

std::string DailyDigest(storage::Connection& c, const std::string& manager, std::int64_t day,
                        const CrmContext& ctx) {
  const std::string& zone = ctx.config.schedule.timezone;
  domain::Range range = domain::DayOf(day, zone);
  storage::Owners team = DigestOwners(manager, ctx);
  // Lifecycles that time alone has changed since the last reminder scan (at
  // a weekend, or before working hours): a customer churned overnight is
  // no longer an overdue follow-up.
  RefreshLifecycles(c, ctx, kLifecyclesPerRefresh);
  auto activity = storage::Activity(c, team, range.from, range.to, ctx.funnel.names());
  auto overdue = storage::OverdueByRep(c, team, range.to);
  View view;
  view.vars["team"] = TitleOf(manager, ctx);
  view.vars["date"] = range.label;
  storage::RepActivity total;
  int overdue_total = 0;
  for (const auto& [rep, a] : activity) {
    total.new_customers += a.new_customers;
    total.follow_ups += a.follow_ups;
    total.stage_moves += a.stage_moves;
    total.quotes += a.quotes;
    total.paid += a.paid;
    overdue_total += overdue[rep];
    view.lists["reps"].push_back({{"name", ctx.org.NameOf(rep)},
                                  {"new_customers", std::to_string(a.new_customers)},
                                  {"follow_ups", std::to_string(a.follow_ups)},
                                  {"stage_moves", std::to_string(a.stage_moves)},
                                  {"quotes", std::to_string(a.quotes)},
                                  {"paid", FormatYuan(a.paid)},
                                  {"overdue", overdue[rep] ? std::to_string(overdue[rep]) : ""}});
  }
  view.vars["new_customers"] = std::to_string(total.new_customers);
  view.vars["follow_ups"] = std::to_string(total.follow_ups);
  view.vars["stage_moves"] = std::to_string(total.stage_moves);
  view.vars["quotes"] = std::to_string(total.quotes);
  view.vars["paid"] = FormatYuan(total.paid);
  view.vars["overdue"] = overdue_total ? std::to_string(overdue_total) : "";
  view.lists["stuck"] = StuckByStage(c, team, range.to, ctx.funnel);
  const auto& tiering = ctx.config.crm.tiering;
  storage::Risks risks = storage::AtRisk(
      c, team, {range.to, tiering.at_risk_days, tiering.churned_days}, kRisksListed);
  std::int64_t lately = range.to - std::int64_t{tiering.at_risk_days} * 86400;
  int unlisted = risks.total - static_cast<int>(risks.listed.size());
  view.vars["more_risks"] = unlisted > 0 ? std::to_string(unlisted) : "";
  for (const auto& risk : risks.listed) {
    view.lists["risks"].push_back({{"name", DisplayName(risk.name)},
                                   {"id", std::to_string(risk.id)},
                                   {"owner", ctx.org.NameOf(risk.owner)},
                                   {"why", risk.deleted_rep         ? "删除了销售"
                                           : risk.lost_at >= lately ? "近期输单"
                                                                    : "长期未跟进"}});
  }
  for (const auto& quote : storage::QuotesAwaitingDecision(c, team)) {
    // Asked of a manager who left or whom the rep no longer reports to:
    // nobody here can decide it (the rep is told to send it again).
    if (quote.manager != ctx.org.ManagerOf(quote.rep)) continue;
    auto customer = storage::CustomerById(c, quote.customer_id);
    view.lists["approvals"].push_back({{"rep", ctx.org.NameOf(quote.rep)},
                                       {"name", DisplayName(customer ? customer->name : "")},
                                       {"amount", FormatYuan(quote.amount)}});
  }
  view.vars["has_approvals"] = view.lists["approvals"].empty() ? "" : "1";
  view.vars["has_stuck"] = view.lists["stuck"].empty() ? "" : "1";
  view.vars["has_risks"] = view.lists["risks"].empty() ? "" : "1";
  return ctx.templates.RenderMarkdown("digest_daily", view);
}

namespace {

std::string Change(std::int64_t now, std::int64_t before) {
  if (before == 0) return now == 0 ? "持平" : "新增";
  long long pct = (now - before) * 100 / before;
  return pct == 0 ? "持平" : (pct > 0 ? "↑" : "↓") + std::to_string(pct < 0 ? -pct : pct) + "%";
}

View::Row Compare(const char* what, std::int64_t now, std::int64_t before, bool money) {
  return {{"what", what},
          {"now", money ? "¥" + FormatYuan(now) : std::to_string(now)},
          {"before", money ? "¥" + FormatYuan(before) : std::to_string(before)},
          {"change", Change(now, before)}};
}

storage::RepActivity Total(const std::map<std::string, storage::RepActivity>& by_rep) {
  storage::RepActivity t;
  for (const auto& [rep, a] : by_rep) {
    t.new_customers += a.new_customers;
    t.follow_ups += a.follow_ups;
    t.quotes += a.quotes;
    t.paid += a.paid;
  }
  return t;
}

}  // namespace

std::string WeeklyReview(storage::Connection& c, const std::string& manager, std::int64_t t,
                         const CrmContext& ctx) {
  const std::string& zone = ctx.config.schedule.timezone;
  domain::Range week = domain::PreviousWeek(t, zone);
  domain::Range before = domain::WeekBefore(week, zone);
  storage::Owners team = DigestOwners(manager, ctx);
  auto now_by_rep = storage::Activity(c, team, week.from, week.to, ctx.funnel.names());
  auto a = Total(now_by_rep);
  auto b = Total(storage::Activity(c, team, before.from, before.to, ctx.funnel.names()));
  View view;
  view.vars["team"] = TitleOf(manager, ctx);
  view.vars["week"] = WeekTitle(week, zone);
  view.lists["compare"] = {Compare("新客户", a.new_customers, b.new_customers, false),
                           Compare("跟进", a.follow_ups, b.follow_ups, false),
                           Compare("报价", a.quotes, b.quotes, false),
                           Compare("回款", a.paid, b.paid, true)};
  std::vector<std::string> order;
  for (const auto& stage : ctx.funnel.stages()) order.push_back(stage.name);
  auto funnel = storage::FunnelStats(c, team, week.from, week.to, order, ctx.funnel.lost());
  for (std::size_t i = 0; i + 1 < order.size(); ++i) {  // every stage before the won one
    storage::StageFlow flow = funnel.stages[order[i]];
    view.lists["conversion"].push_back(
        {{"stage", order[i]},
         {"in", std::to_string(flow.in)},
         {"advanced", std::to_string(flow.advanced)},
         {"rate", flow.in > 0 ? std::to_string(flow.advanced * 100 / flow.in) + "%" : "—"}});
  }
  view.vars["won"] = std::to_string(funnel.won);
  view.vars["won_amount"] = FormatYuan(funnel.won_amount);
  char cycle[32];
  std::snprintf(cycle, sizeof cycle, "%.1f", funnel.average_cycle_days);
  view.vars["cycle"] = funnel.won > 0 ? cycle : "";
  int other = 0;  // deals lost for reasons past the listed ones
  for (const auto& [reason, n] : funnel.lost_reasons) {
    if (view.lists["lost"].size() == kReasonsListed) {
      other += n;
      continue;
    }
    view.lists["lost"].push_back(
        {{"reason", reason.empty() ? "未填写" : wecom::TruncateChars(reason, 20)},
         {"count", std::to_string(n)}});
  }
  if (other > 0)
    view.lists["lost"].push_back({{"reason", "其他"}, {"count", std::to_string(other)}});
  view.vars["has_lost"] = view.lists["lost"].empty() ? "" : "1";
  std::vector<std::pair<std::string, storage::RepActivity>> board(now_by_rep.begin(),
                                                                  now_by_rep.end());
  std::stable_sort(board.begin(), board.end(), [](const auto& x, const auto& y) {
    return x.second.paid != y.second.paid ? x.second.paid > y.second.paid
                                          : x.second.follow_ups > y.second.follow_ups;
  });
  for (std::size_t i = 0; i < board.size(); ++i) {
    view.lists["leaders"].push_back({{"rank", std::to_string(i + 1)},
                                     {"name", ctx.org.NameOf(board[i].first)},
                                     {"paid", FormatYuan(board[i].second.paid)},
                                     {"follow_ups", std::to_string(board[i].second.follow_ups)}});
  }
  return ctx.templates.RenderMarkdown("digest_weekly", view);
}

std::string TeamView(storage::Connection& c, const std::string& manager, const CrmContext& ctx) {
  storage::Owners team = ctx.org.Visible(manager);
  // Counted as the digests count: lifecycles brought up to date first.
  RefreshLifecycles(c, ctx, kLifecyclesPerRefresh);
  auto overdue = storage::OverdueByRep(c, team, ctx.now);
  std::map<std::string, std::pair<int, domain::Fen>> open;
  for (const auto& deal : storage::OpenDeals(c, team)) {
    open[deal.owner].first++;
    open[deal.owner].second += deal.amount;
  }
  View view;
  view.vars["team"] = TitleOf(manager, ctx);
  for (const auto& rep : team) {
    view.lists["members"].push_back(
        {{"name", ctx.org.NameOf(rep)},
         {"deals", std::to_string(open[rep].first)},
         {"amount", FormatYuan(open[rep].second)},
         {"overdue", overdue[rep] ? std::to_string(overdue[rep]) : ""}});
  }
  return ctx.templates.RenderView("team", view);
}

Messages DailyDigestMessages(storage::Connection& c, const CrmContext& ctx) {
  Messages out;
  // A time of yesterday by the calendar: now - 24 h is not, across a DST change.
  std::int64_t yesterday = domain::PreviousDay(ctx.now, ctx.config.schedule.timezone).from;
  for (const auto& [manager, members] : ctx.org.reports()) {
    if (!Sells(c, manager, ctx)) continue;
    auto more = Address(manager, DailyDigest(c, manager, yesterday, ctx), ctx);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

namespace {

// Runs `job` for each occurrence the ledger does not have, oldest first:
// the latest, and those missed since the job last ran that are within
// catch_up_hours (a bot down for two days with catch_up_hours = 48 sends
// both days' digests). A run later than that is recorded and skipped; the
// first start runs the latest only.
template <class Build>
Messages RunJob(storage::Connection& c, const CrmContext& ctx, const char* job,
                const domain::Schedule& schedule, Build build) {
  const ScheduleConfig& s = ctx.config.schedule;
  // A run minutes late is the punctual one (the scheduler looks about once
  // a second, after other work), even with catch_up_hours = 0.
  const std::int64_t late = std::int64_t{s.catch_up_hours} * 3600 + kOnTimeSeconds;
  domain::Occurrence latest = domain::LatestOccurrence(schedule, ctx.now, s.timezone);
  if (latest.period.empty()) return {};
  std::vector<domain::Occurrence> due;
  if (std::int64_t last_run = storage::LastJobRunAt(c, job); last_run > 0) {
    due = domain::OccurrencesBetween(schedule, std::max(last_run, ctx.now - late - 1), ctx.now,
                                     s.timezone);
  }
  if (due.empty() || due.back().period != latest.period) due.push_back(latest);
  Messages out;
  for (const domain::Occurrence& o : due) {
    if (!storage::RecordJobRun(c, job, o.period, ctx.now)) continue;
    if (ctx.now - o.at > late) {
      spdlog::info("{} {} was due at {}, more than schedule.catch_up_hours ago; skipped", job,
                   o.period, o.at);
      continue;
    }
    CrmContext at_run = ctx;
    at_run.now = o.at;  // a late run reports what the punctual one would have
    Messages more = build(at_run);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

}  // namespace

Messages RunScheduledJobs(storage::Connection& c, const CrmContext& ctx) {
  const ScheduleConfig& s = ctx.config.schedule;
  Messages out =
      RunJob(c, ctx, "daily_digest", {domain::Schedule::Every::kDay, s.daily_digest_minute, 1, 1},
             [&](const CrmContext& at) { return DailyDigestMessages(c, at); });
  Messages weekly = RunJob(
      c, ctx, "weekly_review", {domain::Schedule::Every::kWeek, s.weekly_review_minute, 1, 1},
      [&](const CrmContext& at) {
        Messages all;
        for (const auto& [manager, members] : at.org.reports()) {
          if (!Sells(c, manager, at)) continue;
          auto more = Address(manager, WeeklyReview(c, manager, at.now, at), at);
          all.insert(all.end(), more.begin(), more.end());
        }
        return all;
      });
  out.insert(out.end(), weekly.begin(), weekly.end());
  return out;
}

int DigestCommand(const Config& config, const std::string& manager, const std::string& date,
                  bool dry_run, const domain::Clock& clock) {
  std::int64_t now = clock.Now().time_since_epoch().count();
  std::int64_t day = domain::PreviousDay(now, config.schedule.timezone).from;
  if (!date.empty()) {
    auto noon = domain::NoonOf(date, config.schedule.timezone);
    if (!noon) {
      std::fprintf(stderr, "--date: expected YYYY-MM-DD, got \"%s\"\n", date.c_str());
      return 2;
    }
    day = *noon;
  }
  auto migrated = RunMigrations(config, clock);
  if (auto* error = std::get_if<std::string>(&migrated)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 1;
  }
  std::string error;
  auto templates = Templates::Load(config.templates.dir, RequiredTemplates(), error);
  if (!templates) {
    std::fprintf(stderr, "config error: %s\n", error.c_str());
    return 2;  // a configuration error, as for serve and check-config
  }
  auto db = storage::Db::Open({config.storage.sqlite_path});
  if (!db) {
    std::fprintf(stderr, "cannot open the database\n");
    return 1;
  }
  try {
    storage::Connection& c = (*db)->connection();
    Org org = Org::Load(c, config.teams);
    if (!org.IsManager(manager)) {
      // A typo would queue an empty digest to nobody (the dead letter).
      std::fprintf(stderr,
                   "--manager: \"%s\" manages no team ([[teams]] or the directory synced by "
                   "sync-org)\n",
                   manager.c_str());
      return 2;
    }
    domain::Funnel funnel = FunnelOf(config);
    CrmContext ctx{config, funnel, *templates, org, now};
    // The digest brings lifecycles up to date first: a dry run rolls that
    // back with the transaction.
    SQLite::Transaction tx(c.db);
    std::string text = DailyDigest(c, manager, day, ctx);
    if (dry_run) {
      std::printf("%s\n", text.c_str());
      return 0;
    }
    for (const auto& m : Address(manager, text, ctx, wecom::Repeats::kDelivered)) {
      storage::EnqueueOutbox(c, m, now);
    }
    tx.commit();
    std::printf("digest for %s queued\n", manager.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "digest failed: %s\n", e.what());
    return 1;
  }
}

}  // namespace scrm::bot
