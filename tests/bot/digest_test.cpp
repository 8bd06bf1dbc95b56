// The managers' daily digest and its schedule: exactly at 09:00 local, once
// per day whatever restarts happen, a missed run made up once.
#include "bot/digest.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "bot/approvals.h"
#include "bot/customer_events.h"
#include "storage/crm.h"
#include "storage/db.h"
#include "storage/outbox.h"
#include "storage/reports.h"
#include "tests/support/catch_result.h"
#include "tests/support/crm_fixture.h"
#include "tests/support/process.h"

using namespace scrm;

namespace {

constexpr std::int64_t kShanghai0900 = 1795741200;  // 2026-11-27 09:00 Asia/Shanghai

void Team(test::CrmFixture& f) {
  f.config.schedule.timezone = "Asia/Shanghai";
  f.config.teams.push_back({"华东销售", "boss", {"zhangsan", "lisi"}, "", ""});
}

// A day of work on 2026-11-26.
void Work(test::CrmFixture& f) {
  f.now = kShanghai0900 - 86400 + 3600;  // 2026-11-26 10:00
  domain::Customer c;
  c.owner = "zhangsan";
  c.name = "王总";
  c.created_at = f.now;
  storage::InsertCustomer(f.conn(), c);
  f.Reply("zhangsan", "跟进 王总 电话沟通");
  f.Reply("zhangsan", "报价 王总 6万");
  f.Reply("zhangsan", "回款 王总 2万");
}

bool Has(const std::string& text, const std::string& part) {
  INFO(text);
  return text.find(part) != std::string::npos;
}

std::string ContentOf(const storage::OutboxMessage& m) {
  rapidjson::Document doc;
  doc.Parse(m.body.c_str());
  return doc["markdown"]["content"].GetString();
}

}  // namespace

TEST_CASE("the daily digest: yesterday per rep, stuck deals, risks", "[digest]") {
  test::CrmFixture f;
  Team(f);
  Work(f);
  f.now = kShanghai0900;
  std::string text = bot::DailyDigest(f.conn(), "boss", f.now - 86400, f.Context());
  CHECK(Has(text, "**华东销售 日报 · 2026-11-26**"));
  CHECK(Has(text, "新客户 1 · 跟进 1 · 阶段推进 2 · 报价 1 · 回款 ¥20,000.00"));
  CHECK(Has(text, "- zhangsan：新客户 1，跟进 1，推进 2，报价 1，回款 ¥20,000.00"));
  CHECK(Has(text, "- lisi：新客户 0"));
  CHECK_FALSE(Has(text, "卡点商机"));
  f.now += 40 * 86400;  // the deal has waited in 回款跟进 past its 30 days
  text = bot::DailyDigest(f.conn(), "boss", f.now - 86400, f.Context());
  CHECK(Has(text, "卡点商机"));
  CHECK(Has(text, "- 回款跟进（时限 30 天）：1 个，¥60,000.00"));
  CHECK(Has(text, "流失预警"));  // 40 days without a follow-up
  auto asked = bot::RunRepMessage(f.conn(), "boss", "日报", f.Context());  // on demand
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].recipient == "user:boss");
  CHECK(Has(ContentOf(asked[0]), "华东销售 日报"));
}

TEST_CASE("a customer's nickname shows in the digest as typed, never as markdown", "[digest]") {
  test::CrmFixture f;
  Team(f);
  f.now = kShanghai0900 - 86400;
  domain::Customer c;
  c.owner = "zhangsan";
  c.name = "[退款](https://x.cn)<@all>\n# 标题 **粗**";
  c.created_at = f.now - 40 * 86400;  // silent for 40 days: listed at risk
  storage::InsertCustomer(f.conn(), c);
  std::string text = bot::DailyDigest(f.conn(), "boss", f.now, f.Context());
  CHECK(Has(text, "［退款］(https://x.cn)＜@all＞ ＃ 标题 ＊＊粗＊＊"));
  CHECK_FALSE(Has(text, "[退款]"));
  CHECK(Has(text, "**华东销售 日报"));  // the template's own markdown stays
}

TEST_CASE("the digest goes out at exactly 09:00 and once per day", "[digest][schedule]") {
  test::CrmFixture f;
  Team(f);
  Work(f);
  f.now = kShanghai0900 - 1;  // 08:59:59: yesterday's run is long past its window
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  f.now = kShanghai0900;
  auto out = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  CHECK(out[0].recipient == "user:boss");
  CHECK(out[0].api == "/cgi-bin/message/send");
  CHECK(Has(ContentOf(out[0]), "日报 · 2026-11-26"));
  f.now += 60;  // a restart, or the next pass: the ledger says it ran
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  f.now = kShanghai0900 + 86400 - 1;
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  f.now = kShanghai0900 + 86400;
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).size() == 1);
}

TEST_CASE("a run missed while down is made up once, inside the window", "[digest][schedule]") {
  test::CrmFixture f;
  Team(f);
  Work(f);
  f.now = kShanghai0900 + 90 * 60;  // back at 10:30
  auto out = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  CHECK(Has(ContentOf(out[0]), "2026-11-26"));  // the same day it would have covered
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  f.now = kShanghai0900 + 86400 + 7 * 3600;  // next day 16:00: too late, skipped
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  f.now += 3600;
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
}

TEST_CASE("every run missed while down is made up, oldest first, inside a long window",
          "[digest][schedule]") {
  test::CrmFixture f;
  Team(f);
  f.config.schedule.catch_up_hours = 48;
  Work(f);
  f.now = kShanghai0900;
  REQUIRE(bot::RunScheduledJobs(f.conn(), f.Context()).size() == 1);  // 11-26's
  // Down from 10:00 on 11-27 to 10:00 on 11-30: the runs of 11-29 and 11-30
  // (the digests of 11-28 and 11-29) are within 48 hours, that of 11-28 not.
  f.now = kShanghai0900 + 3 * 86400 + 3600;
  auto out = bot::RunScheduledJobs(f.conn(), f.Context());
  std::vector<std::string> days;
  for (const auto& m : out) {
    std::string content = ContentOf(m);
    if (Has(content, "日报")) days.push_back(content.substr(content.find("日报"), 20));
  }
  REQUIRE(days.size() == 2);
  CHECK(Has(days[0], "2026-11-28"));
  CHECK(Has(days[1], "2026-11-29"));
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  // The first start of a bot runs the latest only, however long the window.
  test::CrmFixture fresh;
  Team(fresh);
  fresh.config.schedule.catch_up_hours = 48;
  Work(fresh);
  fresh.now = kShanghai0900 + 2 * 86400 + 3600;
  auto first = bot::RunScheduledJobs(fresh.conn(), fresh.Context());
  REQUIRE(first.size() == 1);
  CHECK(Has(ContentOf(first[0]), "2026-11-28"));
}

TEST_CASE("a department leader from the directory gets digests only for a team with customers",
          "[digest][schedule]") {
  test::CrmFixture f;
  f.config.schedule.timezone = "Asia/Shanghai";
  // As sync-org stores them: zhangsan reports to boss, the accountant to the CFO.
  storage::ReplaceOrgMembers(f.conn(),
                             {{"zhangsan", "张三", "boss"}, {"accountant", "会计", "cfo"}}, f.now);
  Work(f);  // zhangsan has a customer
  f.now = kShanghai0900;
  auto out = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  CHECK(out[0].recipient == "user:boss");
  // A configured team gets its digest with no customers yet (a new team).
  f.config.teams.push_back({"财务部", "cfo", {"accountant"}, "", ""});
  f.now += 86400;
  auto next = bot::RunScheduledJobs(f.conn(), f.Context());
  CHECK(next.size() == 2);
}

TEST_CASE("with catch_up_hours = 0 a run seconds late is still the punctual one",
          "[digest][schedule]") {
  test::CrmFixture f;
  Team(f);
  f.config.schedule.catch_up_hours = 0;
  Work(f);
  f.now = kShanghai0900 + 2;  // the scheduler got to it two seconds after 09:00
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).size() == 1);
  f.now = kShanghai0900 + 86400 + 3600;  // down over the next 09:00 for an hour: skipped
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
}

TEST_CASE("a team with a robot gets its digest there", "[digest]") {
  test::CrmFixture f;
  Team(f);
  f.config.robots["east"] = "KEY";
  f.config.teams[0].robot = "east";
  // boss also leads wangwu in WeCom's directory, outside the team the robot
  // speaks to.
  storage::ReplaceOrgMembers(f.conn(), {{"wangwu", "王五", "boss"}}, f.now);
  domain::Customer outside;
  outside.owner = "wangwu";
  outside.name = "外部客户";
  outside.created_at = kShanghai0900 - 40 * 86400;  // silent: at risk
  storage::InsertCustomer(f.conn(), outside);
  f.now = kShanghai0900;
  auto out = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  CHECK(out[0].recipient == "robot:east");
  CHECK(out[0].api == "/cgi-bin/webhook/send");
  std::string shared = ContentOf(out[0]);
  CHECK(Has(shared, "**华东销售 日报"));
  CHECK_FALSE(Has(shared, "外部客户"));  // the group reads only its own team's
  CHECK_FALSE(Has(shared, "王五"));
  // To boss alone, the digest covers everyone boss sees.
  f.config.teams[0].robot.clear();
  CHECK(Has(bot::DailyDigest(f.conn(), "boss", f.now - 86400, f.Context()), "外部客户"));
}

TEST_CASE("scrm-bot digest --dry-run prints a manager's digest", "[digest][cli]") {
  test::TempDir dir;
  std::string config = dir.File("bot.toml");
  std::ofstream(config) << "[wecom]\ncorp_id = \"ww0123456789abcdef\"\nagent_id = 1000002\n"
                           "secret = \"s\"\ntoken = \"wecomScrmBotToken\"\n"
                           "encoding_aes_key = \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"\n"
                           "[storage]\nsqlite_path = \""
                        << dir.File("scrm.db")
                        << "\"\n[templates]\ndir = \"" SCRM_SOURCE_DIR
                           "/templates\"\n"
                           "[[teams]]\nname = \"华东销售\"\nmanager = \"boss\"\n"
                           "members = [\"zhangsan\"]\n";
  auto [code, out] = test::RunBot(
      {"digest", "--config", config, "--manager", "boss", "--date", "2026-11-26", "--dry-run"});
  CHECK(code == 0);
  CHECK(Has(out, "**华东销售 日报 · 2026-11-26**"));
  CHECK(Has(out, "- zhangsan：新客户 0"));
  auto [bad, error] = test::RunBot(
      {"digest", "--config", config, "--manager", "boss", "--date", "26/11/2026", "--dry-run"});
  CHECK(bad == 2);
  CHECK(Has(error, "--date"));
  auto [nobody, typo] =
      test::RunBot({"digest", "--config", config, "--manager", "bosss", "--date", "2026-11-26"});
  CHECK(nobody == 2);
  CHECK(Has(typo, "--manager: \"bosss\" manages no team"));
  // Queued by hand: delivered even if the same digest went out minutes ago
  // (WeCom's duplicate check would drop it).
  auto [queued, said] =
      test::RunBot({"digest", "--config", config, "--manager", "boss", "--date", "2026-11-26"});
  CHECK(queued == 0);
  CHECK(Has(said, "digest for boss queued"));
  {
    auto db = storage::Db::Open({dir.File("scrm.db"), true});
    REQUIRE(db);
    auto rows = storage::ListOutbox(**db, false, 10);
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    CHECK(Has(rows->at(0).message.body, "日报 · 2026-11-26"));
    CHECK_FALSE(Has(rows->at(0).message.body, "enable_duplicate_check"));
  }
  // Templates that cannot be loaded are a configuration error, as for serve.
  std::string broken = dir.File("broken.toml");
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find(SCRM_SOURCE_DIR "/templates"),
               std::string(SCRM_SOURCE_DIR "/templates").size(), dir.File("no-templates"));
  std::ofstream(broken) << text;
  auto [no_templates, why] = test::RunBot(
      {"digest", "--config", broken, "--manager", "boss", "--date", "2026-11-26", "--dry-run"});
  CHECK(no_templates == 2);
  CHECK(Has(why, "config error"));
}

TEST_CASE("the weekly review on Monday: against last week, conversion, leaderboard",
          "[digest][weekly]") {
  test::CrmFixture f;
  Team(f);
  // lisi's customer from two weeks before, whose deal reached 需求调研 the
  // week before and is lost in this one.
  domain::Customer li;
  li.owner = "lisi";
  li.name = "李总";
  li.created_at = kShanghai0900 - 14 * 86400;
  storage::InsertCustomer(f.conn(), li);
  f.now = kShanghai0900 - 7 * 86400;  // Friday of week 47
  f.Reply("lisi", "阶段 李总 需求调研");
  Work(f);  // Thursday 2026-11-26, in ISO week 48: 王总 quoted (线索 → 方案报价), then paid
  f.now = kShanghai0900 + 3600;  // Friday
  f.Reply("lisi", "输单 李总 预算砍掉");
  std::int64_t monday = kShanghai0900 + 3 * 86400;  // 2026-11-30 09:00
  std::string text = bot::WeeklyReview(f.conn(), "boss", monday, f.Context());
  CHECK(Has(text, "**华东销售 周报 · 2026年第48周（11-23～11-29）**"));
  CHECK(Has(text, "- 新客户：1（前一周 0，新增）"));
  CHECK(Has(text, "- 回款：¥20,000.00（前一周 ¥0.00，新增）"));
  // Of the deals in each stage during the week, those that moved on (a
  // lost deal did not; a skipped stage had none).
  CHECK(Has(text, "- 线索：1 / 1（100%）"));
  CHECK(Has(text, "- 需求调研：0 / 1（0%）"));
  CHECK(Has(text, "- 方案报价：1 / 1（100%）"));
  CHECK(Has(text, "- 合同谈判：0 / 0（—）"));
  CHECK(Has(text, "- 回款跟进：0 / 1（0%）"));
  CHECK(Has(text, "- 预算砍掉：1 单"));
  CHECK(Has(text, "成交 0 单"));
  CHECK(Has(text, "1. zhangsan：¥20,000.00，跟进 1"));

  f.now = monday - 1;  // a second before both are due: nothing yet
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  f.now = monday;
  auto out = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(out.size() == 2);  // Monday's daily digest and the weekly review
  CHECK(Has(ContentOf(out[1]), "周报 · 2026年第48周"));
  // Sent again after a crash, WeCom drops the copy.
  CHECK(Has(out[0].body, "\"enable_duplicate_check\":1"));
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());

  // The weekly review at a time of its own: not with the 09:00 digest.
  f.config.schedule.weekly_review_minute = 10 * 60;
  f.now = monday + 7 * 86400;
  auto nine = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(nine.size() == 1);
  CHECK_FALSE(Has(ContentOf(nine[0]), "周报"));
  f.now += 3600 - 1;
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  f.now += 1;
  auto ten = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(ten.size() == 1);
  CHECK(Has(ContentOf(ten[0]), "周报 · 2026年第49周"));
}

TEST_CASE("a deal whose customer was removed before the week is not in its funnel",
          "[digest][weekly]") {
  test::CrmFixture f;
  Team(f);
  std::int64_t monday = kShanghai0900 + 3 * 86400;  // 2026-11-30 09:00, week 48 before it
  std::vector<std::int64_t> ids;
  for (const char* name : {"赵总", "钱总"}) {
    ids.push_back(f.AddCustomer("lisi", name, monday - 21 * 86400));
    f.now = monday - 14 * 86400;
    f.Reply("lisi", std::string("阶段 ") + name + " 需求调研");
  }
  // The rep deleted 赵总 in WeCom before the week began, 钱总 during it.
  storage::MarkCustomerRemoved(f.conn(), ids[0], monday - 10 * 86400);
  storage::MarkCustomerRemoved(f.conn(), ids[1], monday - 3 * 86400);
  std::string text = bot::WeeklyReview(f.conn(), "boss", monday, f.Context());
  CHECK(Has(text, "- 需求调研：0 / 1（0%）"));
  // Two weeks on, neither.
  text = bot::WeeklyReview(f.conn(), "boss", monday + 7 * 86400, f.Context());
  CHECK(Has(text, "- 需求调研：0 / 0（—）"));
}

namespace {

// zhangsan's customer, followed up 91 days before 09:00 on 2026-11-27 (the
// clock then) with no reminder scan since (weekends, say): churned, though
// still planned for a follow-up long due.
void ChurnedSinceLastScan(test::CrmFixture& f) {
  Team(f);
  f.now = kShanghai0900 - 91 * 86400 - 3600;
  f.AddCustomer("zhangsan", "周总", f.now);
  f.Reply("zhangsan", "跟进 周总 电话沟通");
  f.now = kShanghai0900;
}

}  // namespace

TEST_CASE("a customer churned since the last reminder scan is not an overdue follow-up",
          "[digest]") {
  test::CrmFixture f;
  ChurnedSinceLastScan(f);
  auto out = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  CHECK(Has(ContentOf(out[0]), "日报"));
  CHECK_FALSE(Has(ContentOf(out[0]), "逾期"));
}

TEST_CASE("团队 and 日报 do not count a customer churned since the last reminder scan as overdue",
          "[digest]") {
  for (const char* command : {"团队", "日报"}) {
    INFO(command);
    test::CrmFixture f;
    ChurnedSinceLastScan(f);
    f.Say("boss", command);
    REQUIRE(f.last.size() == 1);
    // 团队 is text, 日报 markdown.
    std::string shown = test::ContentOf(f.last[0].body);
    if (shown.empty()) shown = ContentOf(f.last[0]);
    CHECK(Has(shown, "zhangsan"));
    CHECK_FALSE(Has(shown, "逾期"));
  }
}

TEST_CASE("a quote counts once the customer has it, and for the rep who made it", "[digest]") {
  test::CrmFixture f;
  Team(f);
  Work(f);  // zhangsan records one quote within his authority
  auto before = storage::Activity(f.conn(), {"zhangsan"}, f.now - 3600, f.now + 86400,
                                  f.Context().funnel.names());
  CHECK(before["zhangsan"].quotes == 1);
  domain::Customer zhao;
  zhao.owner = "zhangsan";
  zhao.name = "赵总";
  zhao.created_at = f.now;
  storage::InsertCustomer(f.conn(), zhao);
  // Beyond his authority: both wait for boss.
  REQUIRE(bot::RunRepMessage(f.conn(), "zhangsan", "报价 赵总 10万 折扣 20", f.Context()).size() ==
          2);
  REQUIRE(bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 8万 折扣 30", f.Context()).size() ==
          2);
  auto waiting = storage::PendingQuotes(f.conn(), {"zhangsan"});
  REQUIRE(waiting.size() == 2);
  auto pending = storage::Activity(f.conn(), {"zhangsan", "boss"}, f.now - 3600, f.now + 86400,
                                   f.Context().funnel.names());
  CHECK(pending["zhangsan"].quotes == 1);  // not while they wait
  int moves = pending["zhangsan"].stage_moves;
  wecom::TemplateCardEvent click;
  click.header.from_user = "boss";
  click.event_key = "approve:" + std::to_string(waiting[0].id);
  bot::HandleCardClick(f.conn(), click, f.Context());
  click.event_key = "reject:" + std::to_string(waiting[1].id);
  bot::HandleCardClick(f.conn(), click, f.Context());
  auto after = storage::Activity(f.conn(), {"zhangsan", "boss"}, f.now - 3600, f.now + 86400,
                                 f.Context().funnel.names());
  CHECK(after["zhangsan"].quotes == 2);               // the approved one; not the rejected one
  CHECK(after["zhangsan"].stage_moves == moves + 1);  // 赵总's deal to 方案报价, by zhangsan
  CHECK(after["boss"].stage_moves == 0);
}

TEST_CASE("a rep's own 日报 is titled with the rep's name", "[digest]") {
  test::CrmFixture f;
  f.config.schedule.timezone = "Asia/Shanghai";
  Work(f);
  f.now = kShanghai0900;
  auto own = bot::RunRepMessage(f.conn(), "zhangsan", "日报", f.Context());
  REQUIRE(own.size() == 1);
  CHECK(Has(ContentOf(own[0]), "**zhangsan 日报 · 2026-11-26**"));
  Team(f);
  auto team = bot::RunRepMessage(f.conn(), "boss", "日报", f.Context());
  REQUIRE(team.size() == 1);
  CHECK(Has(ContentOf(team[0]), "**华东销售 日报 · 2026-11-26**"));
}

TEST_CASE(
    "the churn list: who deleted the rep, newest first, then lost deals, then the latest silent; "
    "the rest counted, the churned left out",
    "[digest]") {
  test::CrmFixture f;
  Team(f);
  f.now = kShanghai0900;
  // Twelve customers silent for 40 to 51 days, the first the longest.
  for (int i = 0; i < 12; ++i) {
    domain::Customer c;
    c.owner = "zhangsan";
    c.name = "沉默" + std::to_string(i);
    c.external_userid = "wmS" + std::to_string(i);
    c.created_at = f.now - (51 - i) * 86400;
    storage::InsertCustomer(f.conn(), c);
  }
  domain::Customer gone;  // silent for 200 days: churned, not at risk
  gone.owner = "zhangsan";
  gone.name = "久远";
  gone.created_at = f.now - 200 * 86400;
  storage::InsertCustomer(f.conn(), gone);
  // Two of them deleted the rep, one 20 days ago, the other yesterday.
  auto left = [&](const std::string& external, std::int64_t at) {
    wecom::ExternalContactEvent e;
    e.change = wecom::ExternalContactChange::kDelFollowUser;
    e.user_id = "zhangsan";
    e.external_user_id = external;
    f.now = at;
    bot::HandleContactEvent(f.conn(), e, f.Context());
  };
  left("wmS5", kShanghai0900 - 20 * 86400);
  left("wmS3", kShanghai0900 - 86400);
  // A customer added the day before `at`, whose deal is lost at `at`.
  auto lose = [&](const std::string& name, std::int64_t at) {
    f.now = at;
    domain::Customer c;
    c.owner = "zhangsan";
    c.name = name;
    c.created_at = at - 86400;
    storage::InsertCustomer(f.conn(), c);
    f.Reply("zhangsan", "阶段 " + name + " 需求调研");
    f.Reply("zhangsan", "输单 " + name + " 预算不够");
  };
  lose("丢单", kShanghai0900 - 2 * 86400);  // lately
  // One lost long ago and silent since: among the silent, by its silence.
  lose("旧丢单", kShanghai0900 - 46 * 86400 - 43200);
  // One that deleted the rep once and was added back since: among the
  // silent, whatever its old deletion's time.
  f.conn().db.exec("UPDATE customers SET deleted_rep_at = " +
                   std::to_string(kShanghai0900 - 30 * 86400) + " WHERE name = '沉默7'");
  f.now = kShanghai0900;
  std::string text = bot::DailyDigest(f.conn(), "boss", f.now - 86400, f.Context());
  std::size_t s3 = text.find("沉默3 #");
  std::size_t s5 = text.find("沉默5 #");
  std::size_t deal = text.find("丢单 #");
  std::size_t s11 = text.find("沉默11 #");
  REQUIRE(s3 != std::string::npos);
  REQUIRE(s5 != std::string::npos);
  REQUIRE(deal != std::string::npos);
  REQUIRE(s11 != std::string::npos);
  CHECK(s3 < s5);     // deleted the rep yesterday, before the one 20 days ago
  CHECK(s5 < deal);   // then a deal lost
  CHECK(deal < s11);  // then the silent ones, the latest to fall silent first
  std::size_t s7 = text.find("沉默7 #");
  REQUIRE(s7 != std::string::npos);
  CHECK(s11 < s7);
  std::size_t s6 = text.find("沉默6 #");
  std::size_t gone_quiet = text.find("旧丢单 #");
  REQUIRE(s6 != std::string::npos);
  REQUIRE(gone_quiet != std::string::npos);
  CHECK(s6 < gone_quiet);  // silent 45 days, before the one silent 46.5
  CHECK(Has(text, "旧丢单 #15（zhangsan）：长期未跟进"));
  CHECK(Has(text, "丢单 #14（zhangsan）：近期输单"));
  CHECK(Has(text, "沉默3 #4（zhangsan）：删除了销售"));
  CHECK(Has(text, "沉默11 #12（zhangsan）：长期未跟进"));
  CHECK_FALSE(Has(text, "沉默0 #"));  // the longest silent are not listed
  CHECK_FALSE(Has(text, "久远"));     // churned: no longer a risk to act on
  CHECK(Has(text, "另有 4 位客户有流失风险，未列出"));
}

TEST_CASE("团队 shows each member's open deals and overdue follow-ups", "[digest]") {
  test::CrmFixture f;
  Team(f);
  Work(f);
  f.now += 3 * 86400;
  std::string text = f.Reply("boss", "团队");
  CHECK(Has(text, "华东销售："));
  CHECK(Has(text, "· zhangsan：进行中商机 1 个，¥60,000.00"));
  CHECK(Has(text, "· lisi：进行中商机 0 个"));
}

TEST_CASE("in America/New_York the digest follows 09:00 across the DST switch",
          "[digest][schedule]") {
  test::CrmFixture f;
  Team(f);
  f.config.schedule.timezone = "America/New_York";
  std::int64_t mar7 = 1772892000;  // 2026-03-07 09:00 EST = 14:00 UTC
  std::int64_t mar8 = 1772974800;  // 2026-03-08 09:00 EDT = 13:00 UTC (clocks went forward)
  f.now = mar7;
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).size() == 1);
  f.now = mar8 - 1;  // 08:59:59 EDT; in standard time this would already be 09:59
  CHECK(bot::RunScheduledJobs(f.conn(), f.Context()).empty());
  f.now = mar8;
  auto out = bot::RunScheduledJobs(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  CHECK(Has(ContentOf(out[0]), "日报 · 2026-03-07"));
  // At 00:30 the next night, 24 hours back is still 2026-03-07 (a 23-hour
  // day): yesterday is the calendar's, 2026-03-08.
  f.now = 1773030600;  // 2026-03-09 00:30 EDT
  auto asked = bot::RunRepMessage(f.conn(), "boss", "日报", f.Context());
  REQUIRE(asked.size() == 1);
  CHECK(Has(ContentOf(asked[0]), "日报 · 2026-03-08"));
}

TEST_CASE("the weekly review's loss reasons: the most frequent first, five, then 其他",
          "[digest][weekly]") {
  test::CrmFixture f;
  Team(f);
  f.now = kShanghai0900;  // Friday 2026-11-27, in ISO week 48
  // Reasons lost 1, 2, ... 7 times, ended with or without a full stop.
  const std::vector<std::string> reasons = {"甲", "乙", "丙", "丁", "戊", "己", "庚"};
  int n = 0;
  for (std::size_t r = 0; r < reasons.size(); ++r) {
    for (std::size_t i = 0; i <= r; ++i) {
      domain::Customer c;
      c.owner = "zhangsan";
      c.name = "客户" + std::to_string(++n);
      c.created_at = f.now;
      storage::InsertCustomer(f.conn(), c);
      f.Reply("zhangsan", "阶段 " + c.name + " 需求调研");
      CHECK(Has(f.Reply("zhangsan", "输单 " + c.name + " " + reasons[r] + (i % 2 ? "。" : "")),
                "原因：" + reasons[r] + "。"));
    }
  }
  std::string text = bot::WeeklyReview(f.conn(), "boss", kShanghai0900 + 3 * 86400, f.Context());
  std::size_t at = text.find("**输单原因**");
  REQUIRE(at != std::string::npos);
  CHECK(
      text.substr(at, text.find("**排行榜", at) - at) ==
      "**输单原因**\n- 庚：7 单\n- 己：6 单\n- 戊：5 单\n- 丁：4 单\n- 丙：3 单\n- 其他：3 单\n\n");
}
