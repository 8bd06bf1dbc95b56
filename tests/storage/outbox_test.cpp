#include "storage/outbox.h"

#include <catch2/catch.hpp>

#include "storage/connection.h"
#include "storage/db.h"
#include "tests/support/catch_result.h"
#include "tests/support/migrated_db.h"

using namespace scrm;

TEST_CASE("outbox rows move pending -> sent or dead, and back by retry", "[outbox]") {
  auto db = test::MigratedDb(":memory:");
  auto& c = db->connection();
  auto a = storage::EnqueueOutbox(c, {"user:zs", "/cgi-bin/message/send", "{\"a\":1}"}, 100);
  auto b = storage::EnqueueOutbox(c, {"user:zs", "/cgi-bin/message/send", "{\"b\":2}"}, 100);
  auto d = storage::EnqueueOutbox(c, {"user:ls", "/cgi-bin/message/send", "{\"d\":3}"}, 100);
  auto pending = storage::PendingOutbox(*db, 10);
  REQUIRE(pending);
  REQUIRE(pending->size() == 3);
  CHECK((*pending)[0].id == a);  // oldest first
  CHECK((*pending)[0].next_attempt_at == 100);

  storage::MarkOutboxRetry(c, a, 160, 45009, "errcode 45009");
  pending = storage::PendingOutbox(*db, 10);
  CHECK((*pending)[0].attempts == 1);
  CHECK((*pending)[0].next_attempt_at == 160);
  CHECK((*pending)[0].last_errcode == 45009);

  // "Busy" answers are counted in a row; any other failure starts again.
  for (std::int64_t code : {-1, -1, 45009, -1}) storage::MarkOutboxRetry(c, d, 150, code, "");
  auto busy = [&] {
    for (const auto& row : *storage::PendingOutbox(*db, 10)) {
      if (row.id == d) return row.busy_tries;
    }
    return -1;
  };
  CHECK(busy() == 1);
  storage::MarkOutboxRetry(c, d, 150, -1, "");
  CHECK(busy() == 2);
  // An answer about the access token keeps the count as it was.
  storage::MarkOutboxRetry(c, d, 150, -1, "", true);
  storage::MarkOutboxRetry(c, d, 150, 40001, "", true);
  CHECK(busy() == 2);

  storage::MarkOutboxSent(c, a, 170);
  storage::MarkOutboxSent(c, a, 180);  // a second mark changes nothing
  CHECK(storage::MarkOutboxDead(c, d, 81013, "errcode 81013: all invalid"));
  CHECK_FALSE(storage::MarkOutboxDead(c, d, 81013, "again"));  // marked once
  auto counts = storage::CountOutbox(*db);
  REQUIRE(counts);
  CHECK(counts->pending == 1);
  CHECK(counts->sent == 1);
  CHECK(counts->dead == 1);
  auto dead = storage::ListOutbox(*db, true, 10);
  REQUIRE(dead->size() == 1);
  CHECK(dead->front().id == d);
  CHECK(storage::RetryDeadOutbox(c, d, 200));
  CHECK(busy() == 0);                                // sent again by hand: counted from the start
  CHECK_FALSE(storage::RetryDeadOutbox(c, d, 200));  // no longer dead
  CHECK_FALSE(storage::RetryDeadOutbox(c, b, 200));  // never was
  CHECK(storage::CountOutbox(*db)->pending == 2);
  auto sent = storage::ListOutbox(*db, false, 10);
  for (const auto& row : *sent) {
    if (row.id == a) CHECK(row.sent_at == 170);
  }
}

TEST_CASE("tokens are stored and replaced", "[outbox]") {
  auto db = test::MigratedDb(":memory:");
  CHECK_FALSE(storage::LoadToken(*db, "ww1/1").has_value());
  storage::SaveToken(db->connection(), "ww1/1", "T1", 7300);
  storage::SaveToken(db->connection(), "ww1/1", "T2", 9000);
  auto t = storage::LoadToken(*db, "ww1/1");
  REQUIRE(t);
  CHECK(t->first == "T2");
  CHECK(t->second == 9000);
}

TEST_CASE("each recipient's oldest pending row, a batch of recipients at a time", "[outbox]") {
  auto db = test::MigratedDb(":memory:");
  auto& c = db->connection();
  const std::string api = "/cgi-bin/message/send";
  auto a1 = storage::EnqueueOutbox(c, {"user:a", api, "{}"}, 100);
  storage::EnqueueOutbox(c, {"user:a", api, "{}"}, 100);
  auto c1 = storage::EnqueueOutbox(c, {"user:c", api, "{}"}, 100);
  auto b1 = storage::EnqueueOutbox(c, {"user:b", api, "{}"}, 100);
  storage::EnqueueOutbox(c, {"user:b", api, "{}"}, 100);

  auto heads = storage::PendingHeads(*db, "", 10);
  REQUIRE(heads);
  REQUIRE(heads->size() == 3);  // in recipient order, the oldest row of each
  CHECK((*heads)[0].id == a1);
  CHECK((*heads)[1].id == b1);
  CHECK((*heads)[2].id == c1);

  auto next = storage::PendingHeads(*db, "user:a", 1);
  REQUIRE(next);
  REQUIRE(next->size() == 1);
  CHECK((*next)[0].id == b1);

  // A sent row is no longer anyone's head.
  storage::MarkOutboxSent(c, a1, 101);
  heads = storage::PendingHeads(*db, "", 10);
  REQUIRE(heads);
  CHECK((*heads)[0].id == a1 + 1);
  CHECK(storage::PendingHeads(*db, "user:c", 10)->empty());
}

TEST_CASE("pending and dead rows are counted without the sent ones", "[outbox]") {
  auto db = test::MigratedDb(":memory:");
  auto& c = db->connection();
  const std::string api = "/cgi-bin/message/send";
  auto a = storage::EnqueueOutbox(c, {"user:a", api, "{}"}, 100);
  auto b = storage::EnqueueOutbox(c, {"user:b", api, "{}"}, 100);
  storage::EnqueueOutbox(c, {"user:c", api, "{}"}, 100);
  storage::MarkOutboxSent(c, a, 101);
  storage::MarkOutboxDead(c, b, 40001, "invalid secret");
  auto waiting = storage::CountWaitingOutbox(*db);
  REQUIRE(waiting);
  CHECK(waiting->pending == 1);
  CHECK(waiting->dead == 1);
  CHECK(waiting->sent == 0);  // not counted here
  auto all = storage::CountOutbox(*db);
  REQUIRE(all);
  CHECK(all->sent == 1);
  // Both counts come from indexes, not from reading the table.
  for (const char* state : {"pending", "dead"}) {
    SQLite::Statement plan(
        c.db, std::string("EXPLAIN QUERY PLAN SELECT count(*) FROM outbox WHERE state = '") +
                  state + "'");
    REQUIRE(plan.executeStep());
    CHECK(plan.getColumn(3).getString().find("INDEX") != std::string::npos);
  }
}

TEST_CASE("the calls sent since a time, oldest first, come from an index", "[outbox]") {
  auto db = test::MigratedDb(":memory:");
  auto& c = db->connection();
  const std::string send = "/cgi-bin/message/send";
  const std::string robot = "/cgi-bin/webhook/send";
  auto a = storage::EnqueueOutbox(c, {"user:a", send, "{}"}, 100);
  auto b = storage::EnqueueOutbox(c, {"robot:east", robot, "{}"}, 100);
  auto old = storage::EnqueueOutbox(c, {"user:a", send, "{}"}, 100);
  auto dead = storage::EnqueueOutbox(c, {"user:b", send, "{}"}, 100);
  storage::EnqueueOutbox(c, {"user:c", send, "{}"}, 100);  // still pending
  storage::MarkOutboxSent(c, b, 205);
  storage::MarkOutboxSent(c, a, 201);
  storage::MarkOutboxSent(c, old, 150);
  storage::MarkOutboxDead(c, dead, 81013, "no such user");
  auto sent = storage::SentSince(*db, 200);
  REQUIRE(sent);
  REQUIRE(sent->size() == 2);
  CHECK((*sent)[0].recipient == "user:a");
  CHECK((*sent)[0].api == send);
  CHECK((*sent)[0].sent_at == 201);
  CHECK((*sent)[1].recipient == "robot:east");
  CHECK((*sent)[1].sent_at == 205);
  CHECK(storage::SentSince(*db, 100)->size() == 3);
  CHECK(storage::SentSince(*db, 206)->empty());
  SQLite::Statement plan(c.db,
                         "EXPLAIN QUERY PLAN SELECT recipient, api, sent_at FROM outbox "
                         "WHERE state = 'sent' AND sent_at >= 0 ORDER BY sent_at");
  REQUIRE(plan.executeStep());
  CHECK(plan.getColumn(3).getString().find("outbox_sent") != std::string::npos);
}
