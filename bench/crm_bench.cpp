// The rep's commands and the reminder scan on a large CRM: 100,000 customers
// of 1,000 reps with 1,000,000 follow-ups. Prints command latency
// percentiles and the time of a full reminder scan.
//   crm-bench [--customers 100000] [--follow-ups 1000000] [--commands 20000] [--db PATH]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bot/crm_context.h"
#include "bot/digest.h"
#include "bot/reminders.h"
#include "bot/rep_commands.h"
#include "storage/connection.h"
#include "storage/crm.h"
#include "storage/db.h"
#include "storage/migrate.h"

namespace {

using namespace scrm;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNow = 1764036000;  // 2025-11-25 10:00 Asia/Shanghai, a Tuesday
constexpr std::int64_t kDay = 86400;
const char* kStages[] = {"线索", "需求调研", "方案报价", "合同谈判", "回款跟进"};

struct Options {
  int customers = 100000;
  int follow_ups = 1000000;
  int commands = 20000;
  int reps = 1000;
  std::string db = "crm-bench.db";
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--customers")
      o.customers = std::atoi(argv[i + 1]);
    else if (k == "--follow-ups")
      o.follow_ups = std::atoi(argv[i + 1]);
    else if (k == "--commands")
      o.commands = std::atoi(argv[i + 1]);
    else if (k == "--db")
      o.db = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string Rep(int i) { return "rep" + std::to_string(i); }
std::string Name(int i) { return "客户" + std::to_string(i); }

void Populate(storage::Connection& c, const Options& o, std::mt19937& rng) {
  auto start = Clock::now();
  c.db.exec("BEGIN");
  std::uniform_int_distribution<std::int64_t> due(-3 * kDay, 30 * kDay);
  for (int i = 0; i < o.customers; ++i) {
    domain::Customer cu;
    cu.owner = Rep(i % o.reps);
    cu.name = Name(i);
    cu.company = "公司" + std::to_string(i % 5000);
    cu.created_at = kNow - 200 * kDay;
    cu.last_follow_up_at = kNow - 10 * kDay;
    cu.next_follow_up_at = kNow + due(rng);
    cu.lifecycle = domain::Lifecycle::kActive;
    std::int64_t id = storage::InsertCustomer(c, cu);
    if (i % 2 == 0) {
      domain::Deal d;
      d.customer_id = id;
      d.owner = cu.owner;
      d.stage = kStages[i % 5];
      d.amount = 100000 * (1 + i % 50);
      d.created_at = kNow - 60 * kDay;
      d.stage_entered_at = kNow - (i % 40) * kDay;
      storage::InsertDeal(c, d);
    }
  }
  for (int i = 0; i < o.follow_ups; ++i) {
    storage::InsertFollowUp(c, {1 + i % o.customers, Rep(i % o.customers % o.reps),
                                "电话沟通，客户对方案感兴趣，约下周演示", kNow - (i % 180) * kDay});
  }
  c.db.exec("COMMIT");
  std::printf("populated %d customers, %d follow-ups, %d open deals in %.1f s\n", o.customers,
              o.follow_ups, o.customers / 2, Ms(Clock::now() - start) / 1000);
}

void Percentiles(const char* what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double p) { return ms[static_cast<std::size_t>(p * (ms.size() - 1))]; };
  std::printf("%-34s n=%zu p50=%.3f ms p99=%.3f ms max=%.3f ms\n", what, ms.size(), at(0.5),
              at(0.99), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  std::filesystem::remove(o.db);
  std::filesystem::remove(o.db + "-wal");
  std::filesystem::remove(o.db + "-shm");
  storage::DbOptions db_options;
  db_options.path = o.db;
  auto db = storage::Db::Open(db_options);
  if (!db || !storage::Migrate(**db, kNow)) return 1;
  storage::Connection& c = (*db)->connection();
  std::mt19937 rng(42);
  Populate(c, o, rng);

  bot::Config config;
  config.wecom.agent_id = 1000002;
  bot::Templates templates = [] {
    std::string error;
    auto t = bot::Templates::Load(SCRM_SOURCE_DIR "/templates", bot::RequiredTemplates(), error);
    if (!t) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    return *t;
  }();
  domain::Funnel funnel = domain::Funnel::Default();
  bot::Org org;
  bot::CrmContext ctx{config, funnel, templates, org, kNow};

  // Commands as reps send them: each one in its own transaction, as the
  // writer runs it (with the outbox rows of its answer).
  std::uniform_int_distribution<int> customer(0, o.customers - 1);
  std::map<std::string, std::vector<double>> by_kind;
  std::vector<double> all;      // handling and its own commit
  std::vector<double> commits;  // the commit alone (fsync'd, synchronous = FULL)
  for (int i = 0; i < o.commands; ++i) {
    int n = customer(rng);
    std::string rep = Rep(n % o.reps);
    std::string name = Name(n);
    static const char* kKinds[] = {"客户 (card)",  "跟进 (follow-up)", "阶段 (stage)",
                                   "报价 (quote)", "待办 (todo)",      "漏斗 (funnel)"};
    const std::string texts[] = {"客户 " + name,
                                 "跟进 " + name + " 上门拜访，确认需求",
                                 "阶段 " + name + " " + kStages[i % 5],
                                 "报价 " + name + " 1.2万 折扣 5",
                                 "待办",
                                 "漏斗"};
    std::string kind = kKinds[i % 6];
    const std::string& text = texts[i % 6];
    auto start = Clock::now();
    c.db.exec("BEGIN");
    auto messages = bot::RunRepMessage(c, rep, text, ctx);
    for (const auto& m : messages) storage::EnqueueOutbox(c, m, kNow);
    auto handled = Clock::now();
    c.db.exec("COMMIT");
    auto committed = Clock::now();
    by_kind[kind].push_back(Ms(handled - start));
    all.push_back(Ms(committed - start));
    commits.push_back(Ms(committed - handled));
    if (messages.empty()) {
      std::fprintf(stderr, "no answer to %s\n", text.c_str());
      return 1;
    }
  }
  Percentiles("all, each with its own commit", all);
  Percentiles("the commit alone", commits);
  for (auto& [kind, ms] : by_kind) Percentiles((kind + ", handling").c_str(), ms);

  for (int run = 1; run <= 2; ++run) {
    auto start = Clock::now();
    c.db.exec("BEGIN");
    auto reminders = bot::ReminderMessages(c, ctx);
    for (const auto& m : reminders) storage::EnqueueOutbox(c, m, kNow);
    c.db.exec("COMMIT");
    std::printf("reminder scan %d: %.1f ms, %zu messages\n", run, Ms(Clock::now() - start),
                reminders.size());
  }
  // A reminder scan's lifecycle refresh at its largest: every customer due
  // (as after migration 025), the scan's 2,000 refreshed. Rolled back, so
  // that the digests below read the same data.
  {
    c.db.exec("BEGIN");
    c.db.exec("UPDATE customers SET lifecycle_changes_at = 1 WHERE removed_at = 0");
    auto start = Clock::now();
    int refreshed = bot::RefreshLifecycles(c, ctx, 2000);
    std::printf("lifecycle refresh: %d customers in %.1f ms\n", refreshed,
                Ms(Clock::now() - start));
    c.db.exec("ROLLBACK");
  }
  // Digests: 1,000 reps in 100 teams of 10, each manager's daily digest and
  // weekly review over the whole data set.
  for (int t = 0; t < o.reps / 10; ++t) {
    bot::TeamConfig team;
    team.name = "团队" + std::to_string(t);
    team.manager = "manager" + std::to_string(t);
    for (int m = 0; m < 10; ++m) team.members.push_back(Rep(t * 10 + m));
    config.teams.push_back(team);
  }
  bot::Org teams(config.teams, {});
  bot::CrmContext digest_ctx{config, funnel, templates, teams, kNow};
  auto start = Clock::now();
  c.db.exec("BEGIN");
  auto daily = bot::DailyDigestMessages(c, digest_ctx);
  auto daily_done = Clock::now();
  std::size_t weekly_bytes = 0;
  for (const auto& [manager, members] : teams.reports()) {
    weekly_bytes += bot::WeeklyReview(c, manager, kNow, digest_ctx).size();
  }
  c.db.exec("ROLLBACK");
  auto weekly_done = Clock::now();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("daily digests: %zu messages for %zu managers in %.1f ms\n", daily.size(),
              teams.reports().size(), Ms(daily_done - start));
  std::printf("weekly reviews: %zu managers in %.1f ms (%zu bytes)\n", teams.reports().size(),
              Ms(weekly_done - daily_done), weekly_bytes);
  std::printf("peak memory (max RSS of the whole run): %.1f MiB\n", usage.ru_maxrss / 1024.0);
  return 0;
}
