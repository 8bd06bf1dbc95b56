// Group-robot messages through the outbox, and the per-robot and per-API
// rate limits of the sender.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "bot/app.h"
#include "bot/dispatch.h"
#include "storage/connection.h"
#include "storage/db.h"
#include "storage/outbox.h"
#include "tests/support/catch_result.h"
#include "tests/support/running_app.h"
#include "wecom/contacts.h"

using namespace scrm;

namespace {

const std::string kWebhook = "/cgi-bin/webhook/send";

// Writes `messages` to the outbox before the bot starts, as a committed
// state change would.
void Enqueue(const bot::Config& config, const std::vector<storage::OutboxMessage>& messages) {
  test::ManualClock clock;
  REQUIRE(std::holds_alternative<int>(bot::RunMigrations(config, clock)));
  auto db = storage::Db::Open({config.storage.sqlite_path});
  REQUIRE(db);
  for (const auto& m : messages) {
    storage::EnqueueOutbox((*db)->connection(), m, clock.Now().time_since_epoch().count());
  }
}

std::vector<storage::OutboxRow> Outbox(const bot::Config& config) {
  auto db = storage::Db::Open({config.storage.sqlite_path, true});
  REQUIRE(db);
  auto rows = storage::ListOutbox(**db, false, 100);
  REQUIRE(rows);
  return *rows;
}

storage::OutboxRow Row(const bot::Config& config, std::int64_t id) {
  for (const auto& row : Outbox(config)) {
    if (row.id == id) return row;
  }
  FAIL("no outbox row " << id);
  return {};
}

// Waits (bounded) until outbox row `id` is in `state`.
bool WaitForState(const bot::Config& config, std::int64_t id, const std::string& state) {
  for (int i = 0; i < 12000; ++i) {
    for (const auto& row : Outbox(config)) {
      if (row.id == id && row.state == state) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("robot messages are sent with the configured key, which is stored nowhere", "[robot]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.robots["east"] = test::kWebhookKey;
  auto east = bot::RobotMarkdownMessages("east", "**华东日报**\n新增客户 3");
  auto west = bot::RobotMarkdownMessages("west", "未配置的机器人");
  Enqueue(config, {east[0], west[0]});
  {
    test::RunningApp app(config);
    REQUIRE(app.wecom.WaitForCount(kWebhook, 1));
    REQUIRE(WaitForState(config, 1, "sent"));
    REQUIRE(WaitForState(config, 2, "dead"));
    auto calls = app.wecom.calls(kWebhook);
    REQUIRE(calls.size() == 1);  // the unconfigured robot is never called
    CHECK(calls[0].query == std::string("key=") + test::kWebhookKey);
    CHECK(calls[0].body.find("华东日报") != std::string::npos);
    CHECK(calls[0].errcode == 0);
    CHECK(app.Stop() == 0);
  }
  REQUIRE(Outbox(config).size() == 2);
  CHECK(Row(config, 1).message.recipient == "robot:east");
  CHECK(Row(config, 2).last_errcode == 93000);
  CHECK(Row(config, 2).last_error.find("[robots]") != std::string::npos);
  for (const char* suffix : {"", "-wal"}) {
    CHECK(FileText(config.storage.sqlite_path + suffix).find(test::kWebhookKey) ==
          std::string::npos);
  }
}

TEST_CASE("a robot gets no more messages a minute than configured", "[robot]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.robots["east"] = test::kWebhookKey;
  config.delivery.robot_messages_per_minute = 2;
  std::vector<storage::OutboxMessage> messages;
  for (int i = 1; i <= 3; ++i) {
    auto m = bot::RobotMarkdownMessages("east", "第 " + std::to_string(i) + " 条");
    messages.push_back(m[0]);
  }
  Enqueue(config, messages);
  test::RunningApp app(config);
  REQUIRE(app.wecom.WaitForCount(kWebhook, 2));
  REQUIRE(WaitForState(config, 2, "sent"));
  // Two in this minute already and the clock stands still: the third waits.
  CHECK(Row(config, 3).attempts == 0);
  CHECK(app.wecom.count(kWebhook) == 2);
  app.clock.Advance(61);  // the first two have left the minute (counted in whole seconds)
  REQUIRE(app.wecom.WaitForCount(kWebhook, 3));
  REQUIRE(WaitForState(config, 3, "sent"));
  CHECK(Row(config, 3).sent_at.value_or(0) >= Row(config, 1).sent_at.value_or(0) + 60);
}

TEST_CASE("each API path is held to its per-minute limit", "[robot]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.delivery.api_calls_per_minute = 1;
  Enqueue(config, {{bot::UserRecipient("a"), "/cgi-bin/message/send", R"({"touser":"a"})"},
                   {bot::UserRecipient("b"), "/cgi-bin/message/send", R"({"touser":"b"})"}});
  test::RunningApp app(config);
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/message/send", 1));
  REQUIRE(WaitForState(config, 1, "sent"));
  CHECK(Row(config, 2).attempts == 0);  // another recipient, but the same API
  app.clock.Advance(61);
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/message/send", 2));
  REQUIRE(WaitForState(config, 2, "sent"));
}

TEST_CASE("GET calls share their API's limit whatever their query", "[robot]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.delivery.api_calls_per_minute = 1;
  const std::string get = wecom::kExternalContactGetPath;
  Enqueue(config, {{"customer:wmA", get + "?" + wecom::ExternalContactQuery("wmA"), "", ""},
                   {"customer:wmB", get + "?" + wecom::ExternalContactQuery("wmB"), "", ""}});
  {
    test::RunningApp app(config);
    REQUIRE(app.wecom.WaitForCount(get, 1));
    CHECK(app.Stop() == 0);  // calls in flight finish first
    CHECK(app.wecom.count(get) == 1);
  }
  CHECK(Row(config, 2).attempts == 0);
  test::RunningApp app(config);
  app.clock.Advance(60);
  REQUIRE(app.wecom.WaitForCount(get, 1));
}

TEST_CASE("one member's long backlog does not hold up messages to others", "[robot]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.delivery.member_messages_per_minute = 2;
  // More waiting rows for "a" than the sender reads in one window, then one
  // for "b".
  std::vector<storage::OutboxMessage> messages;
  for (int i = 0; i < 300; ++i) {
    messages.push_back({bot::UserRecipient("a"), "/cgi-bin/message/send",
                        R"({"touser":"a","n":)" + std::to_string(i) + "}"});
  }
  messages.push_back({bot::UserRecipient("b"), "/cgi-bin/message/send", R"({"touser":"b"})"});
  Enqueue(config, messages);
  test::RunningApp app(config);
  // The clock stands still: "a" gets its two a minute, and "b" its one.
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/message/send", 3));
  REQUIRE(WaitForState(config, 301, "sent"));
  int to_a = 0;
  for (const auto& call : app.wecom.calls("/cgi-bin/message/send")) {
    to_a += call.body.find(R"("touser":"a")") != std::string::npos ? 1 : 0;
  }
  CHECK(to_a == 2);
  // a's third waits for the next minute: order within a recipient holds.
  auto db = storage::Db::Open({config.storage.sqlite_path, true});
  REQUIRE(db);
  CHECK((*db)->connection().db.execAndGet("SELECT attempts FROM outbox WHERE id = 3").getInt() ==
        0);
}

TEST_CASE("messages sent before a restart count against a member's limit", "[robot]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.delivery.member_messages_per_minute = 2;
  const std::string send = "/cgi-bin/message/send";
  Enqueue(config, {{bot::UserRecipient("a"), send, R"({"touser":"a","n":1})"},
                   {bot::UserRecipient("a"), send, R"({"touser":"a","n":2})"},
                   {bot::UserRecipient("a"), send, R"({"touser":"a","n":3})"}});
  {
    test::RunningApp app(config);
    REQUIRE(WaitForState(config, 2, "sent"));
    CHECK(app.Stop() == 0);
  }
  // Restarted within the same minute: "a" has had its two. A message to "b"
  // queued behind a's third shows the sender has looked at that one.
  Enqueue(config, {{bot::UserRecipient("b"), send, R"({"touser":"b"})"}});
  {
    test::RunningApp app(config);
    REQUIRE(WaitForState(config, 4, "sent"));
    CHECK(app.Stop() == 0);  // calls in flight finish first
    for (const auto& call : app.wecom.calls(send)) {
      CHECK(call.body.find(R"("touser":"a")") == std::string::npos);
    }
  }
  CHECK(Row(config, 3).state == "pending");
  CHECK(Row(config, 3).attempts == 0);
  test::RunningApp app(config);
  app.clock.Advance(61);
  REQUIRE(WaitForState(config, 3, "sent"));
}
