// The rep's day end to end: encrypted callbacks into the real server, the
// fake WeCom behind the API. A customer is added in WeCom → welcomed and
// fetched → the rep records a follow-up, moves the stage, quotes, gets paid
// → the card shows it; another rep cannot see the customer.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "storage/crm.h"
#include "storage/db.h"
#include "storage/outbox.h"
#include "storage/reports.h"
#include "tests/support/callback_builder.h"
#include "tests/support/catch_result.h"
#include "tests/support/crm_fixture.h"
#include "tests/support/http_client.h"
#include "tests/support/running_app.h"

using namespace scrm;

namespace {

const std::string kSend = "/cgi-bin/message/send";

void Post(test::RunningApp& app, const std::string& xml) {
  test::CallbackBuilder builder;
  auto cb = builder.Post(xml);
  auto res = test::HttpRequest(app.port(), "POST", cb.target, cb.body);
  REQUIRE(res);
  REQUIRE(res->status == 200);
}

std::string AddContactXml(const std::string& rep, const std::string& external,
                          const std::string& state, const std::string& welcome_code) {
  return "<xml><ToUserName><![CDATA[" + std::string(test::kCorpId) +
         "]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
         "<CreateTime>1700000100</CreateTime><MsgType><![CDATA[event]]></MsgType>"
         "<Event><![CDATA[change_external_contact]]></Event>"
         "<ChangeType><![CDATA[add_external_contact]]></ChangeType>"
         "<UserID><![CDATA[" +
         rep + "]]></UserID><ExternalUserID><![CDATA[" + external +
         "]]></ExternalUserID><State><![CDATA[" + state + "]]></State><WelcomeCode><![CDATA[" +
         welcome_code + "]]></WelcomeCode></xml>";
}

// Sends `text` from `rep` and returns the bot's answer (the next message/send).
std::string Ask(test::RunningApp& app, const std::string& rep, const std::string& text) {
  static int msg_id = 5000;
  int before = app.wecom.count(kSend);
  Post(app, test::TextMessageXml(rep, text, std::to_string(++msg_id)));
  REQUIRE(app.wecom.WaitForCount(kSend, before + 1));
  auto calls = app.wecom.calls(kSend);
  CHECK(calls.back().body.find("\"touser\":\"" + rep + "\"") != std::string::npos);
  return test::ContentOf(calls.back().body);
}

// Waits (bounded) until the customer's name arrived from externalcontact/get.
bool WaitForName(const bot::Config& config, const std::string& external, const std::string& name) {
  for (int i = 0; i < 12000; ++i) {
    auto db = storage::Db::Open({config.storage.sqlite_path, true});
    if (db) {
      try {
        auto c = storage::CustomerByExternalId((*db)->connection(), external);
        if (c && c->name == name) return true;
      } catch (const std::exception&) {
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

bool Has(const std::string& text, const std::string& part) {
  INFO(text);
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a customer from WeCom through the whole funnel, seen only by its rep", "[e2e][crm]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  app.wecom.AddCustomer({"wmStar", "钱总", "星辰科技", "zhangsan", "expo-2026", "", {}});

  Post(app, AddContactXml("zhangsan", "wmStar", "expo-2026", "WELCOME-1"));
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/externalcontact/send_welcome_msg", 1));
  auto welcome = app.wecom.calls("/cgi-bin/externalcontact/send_welcome_msg")[0];
  CHECK(welcome.errcode == 0);
  CHECK(Has(welcome.body, "WELCOME-1"));
  CHECK(Has(welcome.body, "很高兴认识您"));
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/externalcontact/get", 1));
  REQUIRE(WaitForName(config, "wmStar", "钱总"));

  CHECK(Has(Ask(app, "zhangsan", "跟进 钱总 电话沟通，约了下周演示"), "已记录对 钱总"));
  CHECK(Has(Ask(app, "zhangsan", "阶段　钱总　需求调研"), "线索 → 需求调研"));
  CHECK(Has(Ask(app, "zhangsan", "quote 钱总 12,000"), "报价 ¥12,000.00"));
  CHECK(Has(Ask(app, "zhangsan", "回款 钱总 1.2万"), "商机成交"));
  std::string card = Ask(app, "zhangsan", "客户 钱总");
  CHECK(Has(card, "【钱总】"));
  CHECK(Has(card, "星辰科技"));
  CHECK(Has(card, "来源：expo-2026"));
  CHECK(Has(card, "商机：成交，报价 ¥12,000.00"));
  CHECK(Has(card, "电话沟通"));

  CHECK(Has(Ask(app, "lisi", "客户 钱总"), "没有找到客户「钱总」"));
  CHECK(Has(Ask(app, "lisi", "跟进 钱总 抢单"), "没有找到"));
  CHECK(app.Stop() == 0);
}

TEST_CASE("a welcome WeCom cannot send yet is tried again within its 20 s, then given up",
          "[e2e][crm]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  const std::string welcome = "/cgi-bin/externalcontact/send_welcome_msg";
  app.wecom.AddCustomer({"wmBusy", "孙总", "", "zhangsan", "", "", {}});
  app.wecom.FailNext(welcome, 1000, 41096);  // another app is sending
  Post(app, AddContactXml("zhangsan", "wmBusy", "", "WELCOME-BUSY"));
  // The welcome row as it stands (attempts recorded, state).
  auto row = [&]() -> std::optional<storage::OutboxRow> {
    auto db = storage::Db::Open({config.storage.sqlite_path, true});
    if (!db) return std::nullopt;
    auto rows = storage::ListOutbox(**db, false, 10);
    if (!rows) return std::nullopt;
    for (auto& r : *rows) {
      if (r.message.api == welcome) return r;
    }
    return std::nullopt;
  };
  auto attempted = [&](int n) {
    for (int i = 0; i < 12000; ++i) {
      if (auto r = row(); r && r->attempts >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  REQUIRE(attempted(1));
  app.clock.Advance(2);  // past the first retry's backoff (1-1.5 s), inside the 20 s
  REQUIRE(attempted(2));
  CHECK(row()->state == "pending");  // tried again, and to be tried again
  for (int i = 0; i < 12000 && row()->state != "dead"; ++i) {
    app.clock.Advance(30);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto dead = row();
  REQUIRE(dead);
  CHECK(dead->state == "dead");
  CHECK(dead->attempts == 3);  // the third try was past the 20 s, and the last
  CHECK(Has(dead->last_error, "the welcome code has expired"));
  CHECK(app.wecom.count(welcome) == 2);  // the third was not sent: WeCom would refuse it
  CHECK(app.Stop() == 0);
}

TEST_CASE("the running bot reminds a rep of a due first contact, inside working hours",
          "[e2e][reminders]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.schedule.timezone = "Asia/Shanghai";
  test::RunningApp app(config);  // the clock starts at 2023-11-15 06:13 local, a Wednesday
  app.wecom.AddCustomer({"wmDue", "孙总", "", "zhangsan", "", "", {}});
  Post(app, AddContactXml("zhangsan", "wmDue", "", ""));
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/externalcontact/get", 1));
  REQUIRE(WaitForName(config, "wmDue", "孙总"));
  CHECK(app.wecom.count(kSend) == 0);  // no welcome code: nothing to anyone yet

  app.clock.Advance(24 * 3600);  // Thursday 06:13: due, but before working hours
  // A pass of the bot at 06:13: lisi's message is answered; the reminder
  // scan of that pass (or of one before it) must not have queued anything.
  Post(app, test::TextMessageXml("lisi", "帮助", "7400000000000000001"));
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  CHECK(Has(app.wecom.calls(kSend)[0].body, "\"touser\":\"lisi\""));
  {
    auto db = storage::Db::Open({config.storage.sqlite_path, true});
    REQUIRE(db);
    auto rows = storage::ListOutbox(**db, false, 100);
    REQUIRE(rows);
    for (const auto& row : *rows) CHECK(row.message.recipient != "user:zhangsan");
  }
  app.clock.Advance(3 * 3600);  // 09:13: the next scan sends it
  REQUIRE(app.wecom.WaitForCount(kSend, 2));
  auto reminder = app.wecom.calls(kSend)[1];
  CHECK(Has(reminder.body, "\"touser\":\"zhangsan\""));
  CHECK(Has(test::ContentOf(reminder.body), "首次联系：孙总"));
  CHECK(app.Stop() == 0);
}

namespace {

std::string ApprovalXml(const std::string& sp_no, int status, const std::string& create_time) {
  return "<xml><ToUserName><![CDATA[" + std::string(test::kCorpId) +
         "]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>" + create_time +
         "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[sys_approval_change]]>"
         "</Event><AgentID>1000002</AgentID><ApprovalInfo><SpNo>" +
         sp_no + "</SpNo><SpName><![CDATA[折扣审批]]></SpName><SpStatus>" + std::to_string(status) +
         "</SpStatus><TemplateId><![CDATA[fake-discount-template]]></TemplateId><ApplyTime>"
         "1700000000</ApplyTime><Applyer><UserId><![CDATA[zhangsan]]></UserId></Applyer>"
         "<StatuChangeEvent>2</StatuChangeEvent></ApprovalInfo></xml>";
}

std::string ClickXml(const std::string& who, const std::string& key, const std::string& code) {
  return "<xml><ToUserName><![CDATA[" + std::string(test::kCorpId) +
         "]]></ToUserName><FromUserName><![CDATA[" + who +
         "]]></FromUserName><CreateTime>1700000500</CreateTime><MsgType><![CDATA[event]]>"
         "</MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[" +
         key +
         "]]></EventKey><TaskId><![CDATA[quote-1]]></TaskId><CardType><![CDATA["
         "button_interaction]]></CardType><ResponseCode><![CDATA[" +
         code + "]]></ResponseCode><AgentID>1000002</AgentID></xml>";
}

// Waits (bounded) until the quote `id` has an sp_no, and returns it.
std::string WaitForSpNo(const bot::Config& config, std::int64_t id) {
  for (int i = 0; i < 12000; ++i) {
    auto db = storage::Db::Open({config.storage.sqlite_path, true});
    if (db) {
      try {
        auto q = storage::QuoteById((*db)->connection(), id);
        if (q && !q->sp_no.empty()) return q->sp_no;
      } catch (const std::exception&) {
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return {};
}

std::int64_t DealAmount(const bot::Config& config, const std::string& external) {
  auto db = storage::Db::Open({config.storage.sqlite_path, true});
  REQUIRE(db);
  auto c = storage::CustomerByExternalId((*db)->connection(), external);
  REQUIRE(c);
  auto deal = storage::OpenDeal((*db)->connection(), c->id);
  return deal ? deal->amount : -1;
}

// zhangsan's manager is boss; quotes beyond his authority go through OA.
bot::Config OaConfig(const test::TempDir& dir) {
  bot::Config config = test::TestConfig(dir);
  config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  config.approval = {test::kFakeTemplateId, "Text-1", "Money-1", "Number-1", 24};
  return config;
}

// zhangsan's customer 周总 (wmQ), added in WeCom and fetched.
void AddZhou(test::RunningApp& app, const bot::Config& config) {
  app.wecom.AddCustomer({"wmQ", "周总", "", "zhangsan", "", "", {}});
  Post(app, AddContactXml("zhangsan", "wmQ", "", ""));
  REQUIRE(WaitForName(config, "wmQ", "周总"));
}

}  // namespace

TEST_CASE("an over-authority quote through an OA approval, applied once", "[e2e][approval]") {
  test::TempDir dir;
  bot::Config config = OaConfig(dir);
  test::RunningApp app(config);
  AddZhou(app, config);

  CHECK(Has(Ask(app, "zhangsan", "报价 周总 6万 折扣 10"), "已提交 boss 审批"));
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/oa/applyevent", 1));
  auto approvals = app.wecom.approvals();
  REQUIRE(approvals.size() == 1);
  CHECK(approvals[0].approvers == std::vector<std::string>{"boss"});
  std::string sp_no = WaitForSpNo(config, 1);
  REQUIRE(sp_no == approvals[0].sp_no);
  CHECK(DealAmount(config, "wmQ") == 0);  // waits for the decision

  REQUIRE(app.wecom.Decide(sp_no, 2, "同意"));
  int before = app.wecom.count(kSend);
  Post(app, ApprovalXml(sp_no, 2, "1700000600"));
  REQUIRE(app.wecom.WaitForCount(kSend, before + 1));
  CHECK(Has(test::ContentOf(app.wecom.calls(kSend).back().body), "boss 已批准 周总"));
  CHECK(DealAmount(config, "wmQ") == 5'400'000);
  // The same callback again, and a later copy: nothing changes, nobody is told twice.
  Post(app, ApprovalXml(sp_no, 2, "1700000600"));
  Post(app, ApprovalXml(sp_no, 2, "1700000700"));
  CHECK(Has(Ask(app, "zhangsan", "客户 周总"), "¥54,000.00"));  // and only this answer came
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count(kSend) == before + 2);
}

TEST_CASE("an approval WeCom refuses to file ends the quote and the rep is told",
          "[e2e][approval]") {
  test::TempDir dir;
  bot::Config config = OaConfig(dir);
  test::RunningApp app(config);
  AddZhou(app, config);
  app.wecom.FailNext("/cgi-bin/oa/applyevent", 1, 301025);
  int before = app.wecom.count(kSend);
  CHECK(Has(Ask(app, "zhangsan", "报价 周总 6万 折扣 10"), "已提交 boss 审批"));
  REQUIRE(app.wecom.WaitForCount(kSend, before + 2));
  CHECK(Has(test::ContentOf(app.wecom.calls(kSend).back().body), "审批没能提交给 boss"));
  CHECK(app.Stop() == 0);
}

TEST_CASE("an approval submitted twice because its answer was lost is applied once",
          "[e2e][approval]") {
  test::TempDir dir;
  bot::Config config = OaConfig(dir);
  test::RunningApp app(config);
  AddZhou(app, config);

  // WeCom files the approval, but its answer never reaches the bot, which
  // submits it again after a pause: the manager sees two.
  app.wecom.LoseAnswerNext("/cgi-bin/oa/applyevent", 1);
  int acked = app.wecom.count(kSend);
  Post(app, test::TextMessageXml("zhangsan", "报价 周总 6万 折扣 10", "5901"));
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/oa/applyevent", 1));
  // Past the retry's backoff (a few seconds), in small steps: hours passing
  // would bring reminders (a first contact, the waiting approval) into the
  // messages counted below.
  for (int i = 0; i < 12000 && app.wecom.count("/cgi-bin/oa/applyevent") < 2; ++i) {
    app.clock.Advance(5);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/oa/applyevent", 2));
  REQUIRE(app.wecom.WaitForCount(kSend, acked + 1));  // the rep's answer
  auto answers = app.wecom.calls(kSend);
  CHECK(std::count_if(answers.begin() + acked, answers.end(), [](const auto& call) {
          return call.body.find("\"touser\":\"zhangsan\"") != std::string::npos &&
                 Has(test::ContentOf(call.body), "已提交 boss 审批");
        }) == 1);
  std::string recorded = WaitForSpNo(config, 1);
  REQUIRE_FALSE(recorded.empty());
  auto approvals = app.wecom.approvals();
  REQUIRE(approvals.size() == 2);
  std::string lost = approvals[0].sp_no == recorded ? approvals[1].sp_no : approvals[0].sp_no;
  REQUIRE(lost != recorded);

  // The manager approves the one the bot never heard of.
  REQUIRE(app.wecom.Decide(lost, 2, "同意"));
  int before = app.wecom.count(kSend);
  Post(app, ApprovalXml(lost, 2, "1700000600"));
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/oa/getapprovaldetail", 1));
  REQUIRE(app.wecom.WaitForCount(kSend, before + 1));
  CHECK(Has(test::ContentOf(app.wecom.calls(kSend).back().body), "boss 已批准 周总"));
  CHECK(DealAmount(config, "wmQ") == 5'400'000);
  // A later decision on the other copy changes nothing.
  REQUIRE(app.wecom.Decide(recorded, 3, "重复"));
  Post(app, ApprovalXml(recorded, 3, "1700000700"));
  CHECK(Has(Ask(app, "zhangsan", "客户 周总"), "¥54,000.00"));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count(kSend) == before + 2);
}

TEST_CASE("an over-authority quote through the manager's card, applied once", "[e2e][approval]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  test::RunningApp app(config);
  app.wecom.AddCustomer({"wmK", "吴总", "", "zhangsan", "", "", {}});
  Post(app, AddContactXml("zhangsan", "wmK", "", ""));
  REQUIRE(WaitForName(config, "wmK", "吴总"));

  Post(app, test::TextMessageXml("zhangsan", "报价 吴总 6万 折扣 10", "7001"));
  REQUIRE(app.wecom.WaitForCount(kSend, 2));  // the card to boss, the answer to the rep
  auto calls = app.wecom.calls(kSend);
  CHECK(Has(calls[0].body + calls[1].body, "\"card_type\":\"button_interaction\""));
  app.wecom.IssueResponseCode("RC-click");
  Post(app, ClickXml("boss", "approve:1", "RC-click"));
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/message/update_template_card", 1));
  REQUIRE(app.wecom.WaitForCount(kSend, 3));
  CHECK(app.wecom.calls("/cgi-bin/message/update_template_card")[0].errcode == 0);
  CHECK(Has(test::ContentOf(app.wecom.calls(kSend).back().body), "已批准 吴总"));
  CHECK(DealAmount(config, "wmK") == 5'400'000);
  Post(app, ClickXml("boss", "reject:1", "RC-again"));  // a second click changes nothing
  CHECK(Has(Ask(app, "zhangsan", "客户 吴总"), "¥54,000.00"));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count("/cgi-bin/message/update_template_card") == 1);
  CHECK(app.wecom.count(kSend) == 4);
}

TEST_CASE("the running bot sends the manager's digest at 09:00", "[e2e][digest]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.schedule.timezone = "Asia/Shanghai";
  config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  test::RunningApp app(config);  // 2023-11-15 06:13 local: yesterday's run is too late, skipped
  CHECK(Has(Ask(app, "zhangsan", "帮助"), "命令一览"));  // the bot is up and dispatching
  app.clock.Advance(2 * 3600 + 47 * 60);                 // 09:00
  REQUIRE(app.wecom.WaitForCount(kSend, 2));
  auto digest = app.wecom.calls(kSend)[1];
  CHECK(Has(digest.body, "\"touser\":\"boss\""));
  CHECK(Has(digest.body, "\"msgtype\":\"markdown\""));
  CHECK(Has(digest.body, "华东 日报 · 2023-11-14"));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count(kSend) == 2);
}

TEST_CASE("the weekly review goes out at its own time on Monday", "[e2e][digest]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.schedule.timezone = "Asia/Shanghai";
  config.schedule.weekly_review_minute = 10 * 60;  // the daily digest stays at 09:00
  config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  test::RunningApp app(config);  // Wednesday 2023-11-15 06:13:20 local
  CHECK(Has(Ask(app, "zhangsan", "帮助"), "命令一览"));
  app.clock.Advance(5 * 86400 + 10000);  // Monday 2023-11-20 09:00
  REQUIRE(app.wecom.WaitForCount(kSend, 2));
  CHECK(Has(app.wecom.calls(kSend)[1].body, "日报 · 2023-11-19"));
  app.clock.Advance(3600);  // 10:00
  REQUIRE(app.wecom.WaitForCount(kSend, 3));
  CHECK(Has(app.wecom.calls(kSend)[2].body, "周报 · 2023年第46周（11-13～11-19）"));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count(kSend) == 3);
}
