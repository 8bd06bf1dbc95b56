// The real binary, killed with SIGKILL in the middle of a burst: every
// callback that was answered 200 must be in the inbox after a restart.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "storage/connection.h"
#include "storage/db.h"
#include "storage/inbox.h"
#include "storage/migrate.h"
#include "storage/outbox.h"
#include "tests/support/callback_builder.h"
#include "tests/support/catch_result.h"
#include "tests/support/fake_wecom.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace scrm;

namespace {

std::string WriteConfig(const test::TempDir& dir, const std::string& api_base) {
  std::string path = dir.File("bot.toml");
  std::ofstream(path) << "[server]\nlisten = \"127.0.0.1:0\"\n"
                      << "[wecom]\ncorp_id = \"" << test::kCorpId << "\"\nagent_id = 1000002\n"
                      << "secret = \"fake-secret\"\ntoken = \"" << test::kToken << "\"\n"
                      << "encoding_aes_key = \"" << test::kAesKey << "\"\n"
                      << "api_base = \"" << api_base << "\"\n"
                      << "[storage]\nsqlite_path = \"" << dir.File("scrm.db") << "\"\n"
                      << "[templates]\ndir = \"" << SCRM_SOURCE_DIR << "/templates\"\n";
  return path;
}

// Acknowledged MsgIds, shared by the sender threads.
struct Acks {
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> ids;
  int senders_done = 0;

  void Add(const std::string& id) {
    std::lock_guard lock(mu);
    ids.insert(id);
    cv.notify_all();
  }
  void SenderDone() {
    std::lock_guard lock(mu);
    ++senders_done;
    cv.notify_all();
  }
  // Returns when `n` callbacks are acknowledged or every sender gave up.
  void WaitForAtLeast(size_t n, int senders) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ids.size() >= n || senders_done == senders; });
  }
};

void SendBurst(std::uint16_t port, int sender, int count, Acks& acks) {
  test::CallbackBuilder builder;
  test::HttpConnection conn(port);
  for (int i = 0; i < count && conn.connected(); ++i) {
    std::string id = std::to_string(900000000000 + sender * 100000 + i);
    auto cb = builder.Post(test::TextMessageXml("rep" + std::to_string(sender), "跟进", id));
    auto res = conn.Request("POST", cb.target, cb.body);
    if (!res) break;  // the server is gone
    if (res->status == 200) acks.Add(id);
  }
  acks.SenderDone();
}

}  // namespace

TEST_CASE("SIGKILL mid-burst loses no acknowledged callback", "[durability]") {
  test::TempDir dir;
  test::FakeWeCom wecom;
  std::string config = WriteConfig(dir, wecom.base_url());
  constexpr int kSenders = 4;
  constexpr int kPerSender = 2000;
  Acks acks;
  {
    test::BotProcess bot(config);
    REQUIRE(bot.port() != 0);
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.emplace_back(SendBurst, bot.port(), s, kPerSender, std::ref(acks));
    }
    acks.WaitForAtLeast(300, kSenders);
    bot.Signal(SIGKILL);
    int status = bot.Wait();
    CHECK(WIFSIGNALED(status));
    for (auto& t : senders) t.join();
  }
  size_t acknowledged = acks.ids.size();
  INFO("acknowledged before the kill: " << acknowledged);
  CHECK(acknowledged >= 300);
  CHECK(acknowledged < kSenders * kPerSender);  // the kill really was mid-burst

  // Restart on the same database: the bot comes back and every ack is there.
  test::BotProcess again(config);
  REQUIRE(again.port() != 0);
  {
    auto db = storage::Db::Open({dir.File("scrm.db"), true});
    REQUIRE(db);
    size_t missing = 0;
    for (const auto& id : acks.ids) {
      auto row = storage::FindInbox(**db, id);
      REQUIRE(row);
      if (!row->has_value()) ++missing;
    }
    CHECK(missing == 0);
  }
  // A re-delivery after the restart is a duplicate, answered 200.
  test::CallbackBuilder builder;
  const std::string& id = *acks.ids.begin();
  auto cb = builder.Post(test::TextMessageXml("rep0", "跟进", id));
  auto res = test::HttpRequest(again.port(), "POST", cb.target, cb.body);
  REQUIRE(res);
  CHECK(res->status == 200);
  auto metrics = test::HttpRequest(again.port(), "GET", "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("scrm_callbacks_total{result=\"duplicate\"} 1") != std::string::npos);

  // SIGTERM: graceful stop with exit code 0.
  again.Signal(SIGTERM);
  int status = again.Wait();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(again.output().find("scrm-bot stopped") != std::string::npos);
}

TEST_CASE("a second SIGTERM stops at once while a graceful stop waits", "[durability]") {
  test::TempDir dir;
  test::FakeWeCom wecom;
  wecom.SetDelay(std::chrono::minutes(10));  // the reply's API call hangs
  std::string config = WriteConfig(dir, wecom.base_url());
  test::BotProcess bot(config);
  REQUIRE(bot.port() != 0);
  test::CallbackBuilder builder;
  auto cb = builder.Post(test::TextMessageXml("rep1", "帮助", "880000000001"));
  auto res = test::HttpRequest(bot.port(), "POST", cb.target, cb.body);
  REQUIRE(res);
  REQUIRE(res->status == 200);
  REQUIRE(wecom.WaitForCount("/cgi-bin/gettoken", 1));  // the delivery's first call is out

  bot.Signal(SIGTERM);  // a graceful stop waits for that call
  bool stopping = false;
  for (int i = 0; i < 4000 && !stopping; ++i) {
    stopping = bot.output().find("a second one stops at once") != std::string::npos;
    if (!stopping) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(stopping);
  bot.Signal(SIGTERM);
  int status = bot.Wait();
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  CHECK(bot.output().find("scrm-bot stopped") == std::string::npos);
}

TEST_CASE("serve with a bad config exits 2 and names the key", "[durability][cli]") {
  test::TempDir dir;
  std::string path = dir.File("bad.toml");
  std::ofstream(path) << "[server]\nlisten = \"nowhere\"\n";
  auto [code, out] = test::RunBot({"serve", "--config", path});
  CHECK(code == 2);
  CHECK(out.find("server.listen") != std::string::npos);

  // Templates that are not there are a configuration error too, as for check-config.
  std::string no_templates = dir.File("no_templates.toml");
  std::ofstream(no_templates) << "[wecom]\ncorp_id = \"ww1\"\nagent_id = 1\nsecret = \"s\"\n"
                              << "token = \"t\"\nencoding_aes_key = \""
                              << "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"\n"
                              << "[storage]\nsqlite_path = \"" << dir.File("t.db") << "\"\n"
                              << "[templates]\ndir = \"" << dir.File("none") << "\"\n";
  auto [t_code, t_out] = test::RunBot({"serve", "--config", no_templates});
  CHECK(t_code == 2);
  CHECK(t_out.find("templates.dir") != std::string::npos);
}

TEST_CASE("migrate applies the schema once", "[durability][cli]") {
  test::TempDir dir;
  std::string config = WriteConfig(dir, "http://127.0.0.1:9");
  auto [code, out] = test::RunBot({"migrate", "--config", config});
  CHECK(code == 0);
  std::string all = "applied " + std::to_string(storage::Migrations().size()) + " migration";
  CHECK(out.find(all) != std::string::npos);
  auto [code2, out2] = test::RunBot({"migrate", "--config", config});
  CHECK(code2 == 0);
  CHECK(out2.find("applied 0 migration") != std::string::npos);
}

TEST_CASE("SIGKILL with pending replies: each is delivered once after a restart",
          "[durability][delivery]") {
  test::TempDir dir;
  test::FakeWeCom wecom;
  std::string config = WriteConfig(dir, wecom.base_url());
  wecom.SetDown(true);  // replies stay pending
  constexpr int kReps = 6;
  {
    test::BotProcess bot(config);
    REQUIRE(bot.port() != 0);
    test::CallbackBuilder builder;
    for (int i = 0; i < kReps; ++i) {
      auto cb = builder.Post(
          test::TextMessageXml("rep" + std::to_string(i), "帮助", std::to_string(990000 + i)));
      auto res = test::HttpRequest(bot.port(), "POST", cb.target, cb.body);
      REQUIRE(res);
      REQUIRE(res->status == 200);
    }
    // Wait (bounded) until every reply is in the outbox, then kill.
    bool queued = false;
    for (int i = 0; i < 12000 && !queued; ++i) {
      auto db = storage::Db::Open({dir.File("scrm.db"), true});
      auto rows =
          db ? storage::ListOutbox(**db, false, 100)
             : storage::Result<std::vector<storage::OutboxRow>>(storage::Errc::kQueryFailed);
      queued = rows && rows->size() == kReps;
      if (!queued) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(queued);
    bot.Signal(SIGKILL);
    bot.Wait();
  }
  wecom.SetDown(false);
  test::BotProcess again(config);
  REQUIRE(again.port() != 0);
  REQUIRE(wecom.WaitForCount("/cgi-bin/message/send", kReps));
  again.Signal(SIGTERM);
  again.Wait();
  CHECK(wecom.succeeded("/cgi-bin/message/send") == kReps);
  std::set<std::string> bodies;
  for (const auto& c : wecom.calls("/cgi-bin/message/send")) bodies.insert(c.body);
  CHECK(bodies.size() == kReps);
  auto db = storage::Db::Open({dir.File("scrm.db"), true});
  REQUIRE(db);
  auto counts = storage::CountOutbox(**db);
  REQUIRE(counts);
  CHECK(counts->sent == kReps);
  CHECK(counts->pending == 0);
}

TEST_CASE("another process writes the database while the server does: every row reads back right",
          "[durability][wal_mirror]") {
  test::TempDir dir;
  test::FakeWeCom wecom;
  std::string config = WriteConfig(dir, wecom.base_url());
  constexpr int kTexts = 300;
  {
    test::BotProcess bot(config);
    REQUIRE(bot.port() != 0);
    // This process writes as a command-line tool would, with its own
    // connections (its own direct WAL writes): an event into the inbox
    // after each rep message the server stores, and now and then it copies
    // the WAL into the database and starts it over. The server answers each
    // message, so its delivery reads every inbox row back, this process's
    // among its own (those break its hand-over chain: it reads them from
    // the database).
    auto db = storage::Db::Open({dir.File("scrm.db")});
    storage::DbOptions quick{dir.File("scrm.db")};
    quick.busy_timeout_ms = 100;
    auto checkpoints = storage::Db::Open(quick);
    REQUIRE(db);
    REQUIRE(checkpoints);
    auto& conn = (*db)->connection();
    test::CallbackBuilder builder;
    test::HttpConnection http(bot.port());
    for (int i = 0; i < kTexts; ++i) {
      auto cb = builder.Post(
          test::TextMessageXml("rep" + std::to_string(i), "帮助", std::to_string(970000000 + i)));
      auto res = http.Request("POST", cb.target, cb.body);
      REQUIRE(res);
      REQUIRE(res->status == 200);
      storage::InboxRecord record{"foreign-" + std::to_string(i), "event:enter_agent", "x",
                                  "<xml><N>" + std::to_string(i) + "</N></xml>", 1700000000};
      conn.db.exec("BEGIN IMMEDIATE");
      REQUIRE(storage::InsertInboxJob(record)(conn) ==
              static_cast<int>(storage::InboxOutcome::kInserted));
      conn.db.exec("COMMIT");
      if (i % 50 == 49) (*checkpoints)->connection().db.exec("PRAGMA wal_checkpoint(RESTART)");
    }
    REQUIRE(wecom.WaitForCount("/cgi-bin/message/send", kTexts));
    bot.Signal(SIGTERM);
    int status = bot.Wait();
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto db = storage::Db::Open({dir.File("scrm.db"), true});
  REQUIRE(db);
  auto& sql = (*db)->connection().db;
  CHECK(sql.execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK(*storage::CountInbox(**db) == 2 * kTexts);
  for (int i = 0; i < kTexts; i += 7) {
    auto row = storage::FindInbox(**db, "foreign-" + std::to_string(i));
    REQUIRE(row);
    REQUIRE(row->has_value());
    CHECK((*row)->record.payload == "<xml><N>" + std::to_string(i) + "</N></xml>");
  }
  // One answer each, every one different (each names its rep), none left.
  std::set<std::string> bodies;
  for (const auto& c : wecom.calls("/cgi-bin/message/send")) bodies.insert(c.body);
  CHECK(bodies.size() == kTexts);
  auto counts = storage::CountOutbox(**db);
  REQUIRE(counts);
  CHECK(counts->sent == kTexts);
  CHECK(counts->pending == 0);
}
