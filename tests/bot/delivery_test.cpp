// Callbacks in, messages out: the inbox dispatcher, the outbox and the
// sender, end to end through encrypted callbacks and the fake WeCom.
#include "bot/delivery.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "bot/app.h"
#include "storage/connection.h"
#include "storage/crm.h"
#include "storage/db.h"
#include "storage/inbox.h"
#include "storage/outbox.h"
#include "tests/support/callback_builder.h"
#include "tests/support/catch_result.h"
#include "tests/support/http_client.h"
#include "tests/support/migrated_db.h"
#include "tests/support/running_app.h"
#include "wecom/api.h"

using namespace scrm;

namespace {

const std::string kSend = "/cgi-bin/message/send";

void SendText(test::RunningApp& app, const std::string& from, const std::string& text,
              const std::string& msg_id) {
  test::CallbackBuilder builder;
  auto cb = builder.Post(test::TextMessageXml(from, text, msg_id));
  auto res = test::HttpRequest(app.port(), "POST", cb.target, cb.body);
  REQUIRE(res);
  REQUIRE(res->status == 200);
}

// Waits (bounded) until the outbox row `id` has been attempted `attempts`
// times: the test must not move the clock before the bot recorded a retry.
bool WaitForAttempts(const bot::Config& config, std::int64_t id, int attempts) {
  for (int i = 0; i < 12000; ++i) {
    auto db = storage::Db::Open({config.storage.sqlite_path, true});
    if (db) {
      auto rows = storage::ListOutbox(**db, false, 100);
      if (rows) {
        for (const auto& row : *rows) {
          if (row.id == id && row.attempts >= attempts) return true;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// Whether at least `n` outbox rows exist and each was tried `attempts` times.
bool AllAttempted(const std::string& sqlite_path, size_t n, int attempts) {
  auto db = storage::Db::Open({sqlite_path, true});
  if (!db) return false;
  auto rows = storage::ListOutbox(**db, false, 1000);
  if (!rows || rows->size() < n) return false;
  return std::all_of(rows->begin(), rows->end(),
                     [&](const storage::OutboxRow& row) { return row.attempts >= attempts; });
}

// Writer jobs that failed so far (scrm_storage_job_failures_total).
int FailedWrites(test::RunningApp& app) {
  auto metrics = test::HttpRequest(app.port(), "GET", "/metrics");
  REQUIRE(metrics);
  const std::string name = "\nscrm_storage_job_failures_total ";  // the value, not its HELP
  auto at = metrics->body.find(name);
  REQUIRE(at != std::string::npos);
  return std::stoi(metrics->body.substr(at + name.size()));
}

// Advances the bot's clock a minute at a time (the delivery thread looks
// at least once a second) until `done`, for at most 60 s of real time.
template <class Done>
bool AdvanceUntil(test::RunningApp& app, Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    app.clock.Advance(61);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// While held, every change to an outbox row fails (the database refuses
// the outcome of a call).
void HoldOutboxWrites(const bot::Config& config, bool held) {
  auto db = storage::Db::Open({config.storage.sqlite_path});
  REQUIRE(db);
  (*db)->connection().db.exec(held ? "CREATE TRIGGER no_outcome BEFORE UPDATE ON outbox BEGIN "
                                     "SELECT RAISE(ABORT, 'held'); END"
                                   : "DROP TRIGGER no_outcome");
}

std::vector<storage::OutboxRow> Outbox(const bot::Config& config, bool dead_only) {
  auto db = storage::Db::Open({config.storage.sqlite_path, true});
  REQUIRE(db);
  auto rows = storage::ListOutbox(**db, dead_only, 100);
  REQUIRE(rows);
  return *rows;
}

}  // namespace

TEST_CASE("a row WeCom acknowledged stays sent when applying its answer fails", "[delivery]") {
  test::TempDir dir;
  auto db = test::MigratedDb(dir.File("scrm.db"));
  storage::Connection& c = db->connection();
  auto first = storage::EnqueueOutbox(c, {"user:a", kSend, "{}", ""}, 1700000000);
  auto second = storage::EnqueueOutbox(c, {"user:b", kSend, "{}", ""}, 1700000000);
  SQLite::Transaction tx(c.db);
  CHECK(bot::RecordSent(c, first, 1700000001, [&] {
          storage::EnqueueOutbox(c, {"user:c", kSend, "{}", ""}, 1700000001);  // undone
          throw std::runtime_error("the answer could not be applied");
          return 1;
        }) == -1);
  CHECK(bot::RecordSent(c, second, 1700000001, [] { return 2; }) == 2);
  tx.commit();
  auto rows = storage::ListOutbox(*db, false, 10);
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);  // the row queued by the failed answer is gone
  for (const auto& row : *rows) CHECK(row.state == "sent");
}

TEST_CASE("帮助 gets the command overview through message/send", "[delivery]") {
  test::TempDir dir;
  test::RunningApp app(test::TestConfig(dir));
  SendText(app, "zhangsan", " 帮助 ", "5001");
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  auto calls = app.wecom.calls(kSend);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].body.find("\"touser\":\"zhangsan\"") != std::string::npos);
  CHECK(calls[0].body.find("命令一览") != std::string::npos);
  CHECK(calls[0].body.find("\"agentid\":1000002") != std::string::npos);
  // An answer to a command is delivered again if the same command is asked
  // again (WeCom's duplicate check would drop it for 30 minutes).
  CHECK(calls[0].body.find("enable_duplicate_check") == std::string::npos);
  CHECK(app.wecom.count("/cgi-bin/gettoken") == 1);

  SendText(app, "lisi", "随便说点什么", "5002");
  REQUIRE(app.wecom.WaitForCount(kSend, 2));
  CHECK(app.wecom.calls(kSend)[1].body.find("发送「帮助」") != std::string::npos);
}

TEST_CASE("each inbox row is answered once, across restarts", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  {
    test::RunningApp app(config);
    SendText(app, "zhangsan", "help", "6001");
    REQUIRE(app.wecom.WaitForCount(kSend, 1));
    CHECK(app.Stop() == 0);
  }
  test::RunningApp again(config);
  // A re-delivered callback is a duplicate and causes nothing.
  SendText(again, "zhangsan", "help", "6001");
  SendText(again, "wangwu", "help", "6002");
  REQUIRE(again.wecom.WaitForCount(kSend, 1));
  CHECK(again.Stop() == 0);
  // The token saved by the first run is stale at this fake: one call is
  // refused with 40014, the token refreshed, and the call repeated.
  int delivered = 0;
  for (const auto& c : again.wecom.calls(kSend)) {
    if (c.errcode != 0) continue;
    ++delivered;
    CHECK(c.body.find("wangwu") != std::string::npos);
  }
  CHECK(delivered == 1);
  int sent = 0;
  for (const auto& row : Outbox(config, false)) sent += row.state == "sent";
  CHECK(sent == 2);
}

TEST_CASE(
    "a failed call whose outcome cannot be stored is tried again after a pause; a call WeCom "
    "took is written down again until it lands, and never sent twice",
    "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  HoldOutboxWrites(config, true);    // every change to an outbox row fails from now on
  app.wecom.FailNext(kSend, 1, -1);  // WeCom busy: the call did not go through
  SendText(app, "zhangsan", "帮助", "7101");
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  // The failure could not be written down, so the row still looks due: it
  // is held back a while (not for good, and not sent again at once).
  REQUIRE(AdvanceUntil(app, [&] { return FailedWrites(app) >= 1; }));
  REQUIRE(AdvanceUntil(app, [&] { return app.wecom.count(kSend) >= 2; }));
  auto calls = app.wecom.calls(kSend);
  CHECK(calls[1].body == calls[0].body);
  // WeCom took it this time and that could not be written down either: it
  // is not sent a third time, however long the bot runs, while the bot
  // tries to write it down again (each try a failed write).
  int failed = FailedWrites(app);
  REQUIRE(AdvanceUntil(app, [&] { return FailedWrites(app) >= failed + 3; }));
  CHECK(app.wecom.count(kSend) == 2);
  // Once the database takes writes again, the row is marked sent (without
  // another call) and the member's next message is not held behind it.
  HoldOutboxWrites(config, false);
  auto first_sent = [&] {
    auto rows = Outbox(config, false);
    return rows.size() == 1 && rows[0].state == "sent";
  };
  REQUIRE(AdvanceUntil(app, first_sent));
  CHECK(app.wecom.count(kSend) == 2);
  SendText(app, "zhangsan", "帮助", "7102");
  REQUIRE(app.wecom.WaitForCount(kSend, 3));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count(kSend) == 3);
}

TEST_CASE("an outcome that could not be written is written once more at shutdown", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  HoldOutboxWrites(config, true);
  SendText(app, "zhangsan", "帮助", "7201");  // WeCom takes it; the "sent" mark fails
  for (int i = 0; i < 12000 && FailedWrites(app) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(FailedWrites(app) > 0);
  HoldOutboxWrites(config, false);
  CHECK(app.Stop() == 0);  // well before the minute's pause ends
  auto rows = Outbox(config, false);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].state == "sent");  // not sent again after a restart
  CHECK(app.wecom.count(kSend) == 1);
}

TEST_CASE("rate limiting (45009) is retried with backoff until WeCom accepts", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  app.wecom.FailNext(kSend, 2, 45009);
  SendText(app, "zhangsan", "帮助", "7001");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    REQUIRE(app.wecom.WaitForCount(kSend, attempt));
    REQUIRE(WaitForAttempts(config, 1, attempt));
    app.clock.Advance(3600);  // past any backoff
  }
  REQUIRE(app.wecom.WaitForCount(kSend, 3));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count(kSend) == 3);
  CHECK(app.wecom.succeeded(kSend) == 1);
  auto rows = Outbox(config, false);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].state == "sent");
  CHECK(rows[0].attempts == 3);
}

// A customer `rep` added in WeCom: the bot asks externalcontact/get about
// them, an API of its own that no 45009 of message/send holds.
void SendCustomerAdded(test::RunningApp& app, const std::string& rep, const std::string& external) {
  test::CallbackBuilder builder;
  auto cb = builder.Post(
      "<xml><ToUserName>" + std::string(test::kCorpId) +
      "</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000100</CreateTime>"
      "<MsgType>event</MsgType><Event>change_external_contact</Event>"
      "<ChangeType>add_external_contact</ChangeType><UserID>" +
      rep + "</UserID><ExternalUserID>" + external + "</ExternalUserID></xml>");
  auto res = test::HttpRequest(app.port(), "POST", cb.target, cb.body);
  REQUIRE(res);
  REQUIRE(res->status == 200);
}

TEST_CASE("a 45009 holds every message to that API for a minute, and no other API", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  const std::string get = "/cgi-bin/externalcontact/get";
  app.wecom.FailNext(kSend, 1, 45009);
  SendText(app, "zhangsan", "帮助", "7301");
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  REQUIRE(WaitForAttempts(config, 1, 1));
  // Another member's answer is due at once, but message/send is blocked: the
  // sender passes it by and goes on to a later row of another API.
  SendText(app, "lisi", "帮助", "7302");
  SendCustomerAdded(app, "lisi", "wmPause1");
  REQUIRE(app.wecom.WaitForCount(get, 1));
  CHECK(app.wecom.count(kSend) == 1);
  // Still blocked 59 s on (the block is 60 s and a spread of up to 5 s).
  app.clock.Advance(59);
  SendCustomerAdded(app, "lisi", "wmPause2");
  REQUIRE(app.wecom.WaitForCount(get, 2));
  CHECK(app.wecom.count(kSend) == 1);
  // Past the block both answers go.
  app.clock.Advance(7);
  REQUIRE(app.wecom.WaitForCount(kSend, 3));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.succeeded(kSend) == 2);
}

TEST_CASE("a 45009 met again right after its block waits twice as long", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  const std::string get = "/cgi-bin/externalcontact/get";
  app.wecom.FailNext(kSend, 2, 45009);  // an hour's limit, say: refused past the minute
  SendText(app, "zhangsan", "帮助", "7311");
  REQUIRE(WaitForAttempts(config, 1, 1));
  app.clock.Advance(66);  // past the first block (60 s and up to 5 s)
  REQUIRE(WaitForAttempts(config, 1, 2));
  CHECK(app.wecom.count(kSend) == 2);
  // The second block is twice the first: 66 s on, still held.
  app.clock.Advance(66);
  SendCustomerAdded(app, "lisi", "wmAgain1");
  REQUIRE(app.wecom.WaitForCount(get, 1));
  CHECK(app.wecom.count(kSend) == 2);
  app.clock.Advance(66);
  REQUIRE(app.wecom.WaitForCount(kSend, 3));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.succeeded(kSend) == 1);
}

TEST_CASE("a wrong secret keeps messages pending; they go out once gettoken works", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  const std::string token_path = "/cgi-bin/gettoken";
  app.wecom.FailNext(token_path, 2, 40001);  // as WeCom answers a wrong secret
  SendText(app, "zhangsan", "帮助", "7101");
  REQUIRE(app.wecom.WaitForCount(token_path, 1));
  REQUIRE(WaitForAttempts(config, 1, 1));
  CHECK(Outbox(config, true).empty());                // not in the dead letter
  app.clock.Advance(wecom::kConfigPauseSeconds + 1);  // the row waited for the pause to end
  REQUIRE(WaitForAttempts(config, 1, 2));
  CHECK(app.wecom.count(token_path) == 2);
  CHECK(Outbox(config, true).empty());
  app.clock.Advance(3600);  // past the longer pause: the secret is right now
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count(token_path) == 3);
  auto rows = Outbox(config, false);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].state == "sent");
  CHECK(rows[0].attempts == 3);
}

TEST_CASE("the pause after a wrong secret is not written into the rows", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.delivery.max_backoff_seconds = 10;
  {
    test::RunningApp app(config);
    app.wecom.FailNext("/cgi-bin/gettoken", 1, 40001);
    SendText(app, "zhangsan", "帮助", "7102");
    REQUIRE(WaitForAttempts(config, 1, 1));
    // The row waits its own backoff; the gettoken pause (a minute, then
    // longer) holds it only while this process runs.
    auto rows = Outbox(config, false);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].next_attempt_at <= app.clock.Now().time_since_epoch().count() + 15);
    CHECK(app.Stop() == 0);
  }
  // Restarted with the setup fixed: the row goes without waiting for a pause.
  test::RunningApp again(config);
  again.clock.Advance(15);
  REQUIRE(again.wecom.WaitForCount(kSend, 1));
  CHECK(again.Stop() == 0);
}

TEST_CASE("a message WeCom answers busy 8 times in a row goes to the dead letter", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  // Failures of another kind first: they do not count towards the 8.
  app.wecom.HttpErrorNext(kSend, 3, 502);
  app.wecom.FailNext(kSend, 8, -1);
  SendText(app, "zhangsan", "帮助", "7201");
  for (int attempt = 1; attempt <= 10; ++attempt) {
    REQUIRE(WaitForAttempts(config, 1, attempt));
    CHECK(Outbox(config, true).empty());  // still retried
    app.clock.Advance(3600);              // past any backoff
  }
  REQUIRE(app.wecom.WaitForCount(kSend, 11));
  auto dead = [&] { return Outbox(config, true).size() == 1; };
  REQUIRE(AdvanceUntil(app, dead));
  auto row = Outbox(config, true).at(0);
  CHECK(row.last_errcode == -1);
  CHECK(row.last_error.find("still busy after 8 tries") != std::string::npos);
  // The member's next message is not held behind it.
  SendText(app, "zhangsan", "帮助", "7202");
  REQUIRE(app.wecom.WaitForCount(kSend, 12));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.succeeded(kSend) == 1);
}

TEST_CASE("a busy gettoken does not count towards a message's busy tries", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  // WeCom's gettoken busy for longer than 8 tries: the message itself was
  // never answered, so it stays in the queue and goes once a token comes.
  app.wecom.FailNext("/cgi-bin/gettoken", 10, -1);
  SendText(app, "zhangsan", "帮助", "7211");
  for (int attempt = 1; attempt <= 10; ++attempt) {
    REQUIRE(WaitForAttempts(config, 1, attempt));
    CHECK(Outbox(config, true).empty());
    app.clock.Advance(3600);
  }
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.succeeded(kSend) == 1);
  CHECK(Outbox(config, true).empty());
}

TEST_CASE("a permanent error lands in the dead letter and `outbox retry` sends it", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  {
    test::RunningApp app(config);
    app.wecom.FailNext(kSend, 1, 81013);  // all recipients invalid
    SendText(app, "ghost", "帮助", "8001");
    REQUIRE(app.wecom.WaitForCount(kSend, 1));
    CHECK(app.Stop() == 0);
  }
  auto dead = Outbox(config, true);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].last_errcode == 81013);
  CHECK(dead[0].last_error.find("81013") != std::string::npos);
  config.wecom.api_base = "http://127.0.0.1:9";
  test::ManualClock clock;  // the same time as the apps' clocks
  CHECK(bot::RetryOutboxCommand(config, dead[0].id, clock) == 0);
  CHECK(bot::RetryOutboxCommand(config, dead[0].id, clock) == 2);
  test::RunningApp again(config);
  REQUIRE(again.wecom.WaitForCount(kSend, 1));
  CHECK(again.Stop() == 0);
  CHECK(Outbox(config, true).empty());
}

TEST_CASE("a message WeCom answers with 0 but delivers to no one is dead, not sent", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  {
    test::RunningApp app(config);
    app.wecom.AddUnlicensed("nolicence");
    SendText(app, "nolicence", "帮助", "8002");
    REQUIRE(app.wecom.WaitForCount(kSend, 1));
    CHECK(app.Stop() == 0);
  }
  auto dead = Outbox(config, true);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message.recipient == "user:nolicence");
  CHECK(dead[0].last_errcode == 81013);
  CHECK(dead[0].last_error.find("unlicenseduser nolicence") != std::string::npos);
}

TEST_CASE("WeCom down for a while: every message is delivered once when it is back", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  app.wecom.SetDown(true);
  for (int i = 0; i < 5; ++i)
    SendText(app, "rep" + std::to_string(i), "帮助", std::to_string(9100 + i));
  // Every reply failed at least twice while the API was unreachable (the
  // rows held meanwhile by the pause after each failed gettoken).
  const std::string& path = config.storage.sqlite_path;
  REQUIRE(AdvanceUntil(app, [&] { return AllAttempted(path, 5, 1); }));
  REQUIRE(AdvanceUntil(app, [&] { return AllAttempted(path, 5, 2); }));
  CHECK(app.wecom.succeeded(kSend) == 0);
  app.wecom.SetDown(false);
  app.clock.Advance(3600);
  REQUIRE(app.wecom.WaitForCount(kSend, 5));
  CHECK(app.Stop() == 0);
  std::set<std::string> recipients;
  for (const auto& c : app.wecom.calls(kSend)) {
    if (c.errcode != 0) continue;
    auto at = c.body.find("\"touser\":\"");
    recipients.insert(c.body.substr(at + 11, 4));
  }
  CHECK(recipients.size() == 5);
  CHECK(app.wecom.succeeded(kSend) == 5);
  for (const auto& row : Outbox(config, false)) CHECK(row.state == "sent");
}

TEST_CASE("a backlog of stored callbacks is dispatched in bounded batches, each once",
          "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.delivery.member_messages_per_minute = 1000;
  {  // 100 rep messages stored while the bot was down
    test::ManualClock clock;
    REQUIRE(std::holds_alternative<int>(bot::RunMigrations(config, clock)));
    auto db = storage::Db::Open({config.storage.sqlite_path});
    REQUIRE(db);
    for (int i = 0; i < 100; ++i) {
      storage::InboxRecord record;
      record.dedup_key = std::to_string(9000 + i);
      record.kind = "text";
      record.from_user = "rep" + std::to_string(i % 7);
      record.payload = test::TextMessageXml(record.from_user, "帮助", record.dedup_key);
      record.received_at = 1700000000;
      REQUIRE(storage::InsertInboxJob(record)((*db)->connection()) == 1);
    }
  }
  test::RunningApp app(config);
  REQUIRE(app.wecom.WaitForCount(kSend, 100));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count(kSend) == 100);
  auto db = storage::Db::Open({config.storage.sqlite_path, true});
  REQUIRE(db);
  auto counts = storage::CountOutbox(**db);
  REQUIRE(counts);
  CHECK(counts->sent == 100);
  CHECK(counts->pending + counts->dead == 0);
}

TEST_CASE("a message stored before a restart is recorded at the time it came", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  const std::int64_t typed_at = 1700000000 - 600;  // ten minutes before the bot runs again
  {
    auto db = test::MigratedDb(config.storage.sqlite_path);
    domain::Customer c;
    c.owner = "zhangsan";
    c.name = "王总";
    c.created_at = typed_at - 86400;
    storage::InsertCustomer(db->connection(), c);
    // Stored and answered 200, then the bot stopped before handling it.
    storage::InsertInboxJob({"8101", "text", "zhangsan",
                             test::TextMessageXml("zhangsan", "跟进 王总 电话沟通", "8101"),
                             typed_at})(db->connection());
  }
  test::RunningApp app(config);  // its clock: 1700000000
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  CHECK(app.Stop() == 0);
  auto db = storage::Db::Open({config.storage.sqlite_path, true});
  REQUIRE(db);
  auto last = storage::LastFollowUp((*db)->connection(), 1);
  REQUIRE(last);
  CHECK(last->at == typed_at);
}

TEST_CASE("a directory change in a batch is seen by the rows after it", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  {
    auto db = test::MigratedDb(config.storage.sqlite_path);
    auto& c = db->connection();
    storage::ReplaceOrgMembers(
        c, {{"ceo", "老板", ""}, {"boss", "主管", "ceo"}, {"zhangsan", "张三", "boss"}}, 1);
    domain::Customer customer;
    customer.owner = "zhangsan";
    customer.name = "王总";
    customer.created_at = 1;
    storage::InsertCustomer(c, customer);
    // The admin removed the manager and the rep at once: both events are
    // handled in one batch when the bot starts.
    for (const char* who : {"boss", "zhangsan"}) {
      std::string xml = std::string("<xml><ToUserName>") + test::kCorpId +
                        "</ToUserName><FromUserName>sys</FromUserName><CreateTime>1699999990"
                        "</CreateTime><MsgType>event</MsgType><Event>change_contact</Event>"
                        "<ChangeType>delete_user</ChangeType><UserID>" +
                        who + "</UserID></xml>";
      storage::InsertInboxJob(
          {std::string("gone-") + who, "event:change_contact", "sys", xml, 1699999990})(c);
    }
  }
  test::RunningApp app(config);
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  CHECK(app.Stop() == 0);
  // zhangsan's customers are announced to the manager above the one who left.
  auto calls = app.wecom.calls(kSend);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].body.find("\"touser\":\"ceo\"") != std::string::npos);
}

TEST_CASE("the first reminder scan of a day comes at its start, whatever scan_minutes is",
          "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.schedule.timezone = "Asia/Shanghai";
  config.reminders.work_start_minute = 9 * 60;
  config.reminders.work_end_minute = 18 * 60;
  config.reminders.scan_minutes = 1440;  // once a day
  {
    auto db = test::MigratedDb(config.storage.sqlite_path);
    domain::Customer customer;
    customer.owner = "zhangsan";
    customer.name = "王总";
    customer.created_at = 1700000000 - 3 * 86400;  // the first contact is overdue
    customer.next_follow_up_at = customer.created_at + 86400;
    storage::InsertCustomer(db->connection(), customer);
  }
  // The bot starts on a Wednesday at 06:13 in Shanghai, before working
  // hours. Once a rep's message is answered, its first pass (the reminder
  // scan before the sending) is over.
  test::RunningApp app(config);
  SendText(app, "lisi", "帮助", "9001");
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  app.clock.Advance(3 * 3600);            // 09:13
  SendText(app, "lisi", "帮助", "9002");  // a pass at the new time
  REQUIRE(app.wecom.WaitForCount(kSend, 3, std::chrono::seconds(20)));
  CHECK(app.Stop() == 0);
  bool reminded = false;
  for (const auto& call : app.wecom.calls(kSend)) {
    reminded |= call.body.find("\"touser\":\"zhangsan\"") != std::string::npos &&
                call.body.find("首次联系") != std::string::npos;
  }
  CHECK(reminded);
}

TEST_CASE("a scan in working hours is not followed by one past their next start", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.schedule.timezone = "Asia/Shanghai";
  config.reminders.work_start_minute = 9 * 60;
  config.reminders.work_end_minute = 18 * 60;
  config.reminders.scan_minutes = 1440;
  {
    auto db = test::MigratedDb(config.storage.sqlite_path);
    domain::Customer customer;
    customer.owner = "zhangsan";
    customer.name = "王总";
    customer.created_at = 1700000000 - 86400;
    customer.next_follow_up_at = 1700000000 + 6 * 3600;  // Wednesday 12:13
    storage::InsertCustomer(db->connection(), customer);
  }
  test::RunningApp app(config);  // Wednesday 06:13
  SendText(app, "lisi", "帮助", "9101");
  REQUIRE(app.wecom.WaitForCount(kSend, 1));
  app.clock.Advance(4 * 3600);  // 10:13: a scan, nothing due yet
  SendText(app, "lisi", "帮助", "9102");
  REQUIRE(app.wecom.WaitForCount(kSend, 2));
  app.clock.Advance(23 * 3600);  // Thursday 09:13, before a day after that scan
  SendText(app, "lisi", "帮助", "9103");
  REQUIRE(app.wecom.WaitForCount(kSend, 4, std::chrono::seconds(20)));
  CHECK(app.Stop() == 0);
  bool reminded = false;
  for (const auto& call : app.wecom.calls(kSend)) {
    reminded |= call.body.find("\"touser\":\"zhangsan\"") != std::string::npos;
  }
  CHECK(reminded);
}

TEST_CASE("reminders wait until the callbacks stored before a restart are handled", "[delivery]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  // Reminders at any hour, so that only the backlog can hold one back.
  config.reminders.work_start_minute = 0;
  config.reminders.work_end_minute = 24 * 60;
  config.reminders.weekends = true;
  {
    auto db = test::MigratedDb(config.storage.sqlite_path);
    auto& c = db->connection();
    domain::Customer customer;
    customer.owner = "zhangsan";
    customer.name = "王总";
    customer.created_at = 1700000000 - 3 * 86400;  // the first contact is overdue
    customer.next_follow_up_at = customer.created_at + 86400;
    storage::InsertCustomer(c, customer);
    // More messages than one dispatch job handles (but one read takes),
    // then zhangsan's follow-up.
    for (int i = 0; i < 40; ++i) {
      std::string from = "member" + std::to_string(i);
      std::string id = std::to_string(8300 + i);
      storage::InsertInboxJob(
          {id, "text", from, test::TextMessageXml(from, "帮助", id), 1700000000 - 120})(c);
    }
    storage::InsertInboxJob({"8201", "text", "zhangsan",
                             test::TextMessageXml("zhangsan", "跟进 王总 电话沟通", "8201"),
                             1700000000 - 60})(c);
  }
  test::RunningApp app(config);
  auto answered = [&] {
    for (const auto& row : Outbox(config, false)) {
      if (row.message.recipient == "user:zhangsan") return true;
    }
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!answered() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(answered());
  CHECK(app.Stop() == 0);
  // The follow-up's answer, and no reminder of the follow-up it recorded.
  int to_zhangsan = 0;
  for (const auto& row : Outbox(config, false)) {
    INFO(row.message.body);
    CHECK(row.message.body.find("首次联系") == std::string::npos);
    to_zhangsan += row.message.recipient == "user:zhangsan";
  }
  CHECK(to_zhangsan == 1);
}
