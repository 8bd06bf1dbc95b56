#include "storage/migrate.h"

#include <catch2/catch.hpp>
#include <thread>
#include <tuple>
#include <vector>

#include "storage/connection.h"
#include "storage/db.h"
#include "tests/support/catch_result.h"
#include "tests/support/temp_dir.h"

using namespace scrm;

TEST_CASE("migrations apply once and record themselves", "[migrate]") {
  auto db = storage::Db::Open({":memory:"});
  REQUIRE(db);
  CHECK(*storage::SchemaVersion(**db) == 0);
  auto applied = storage::Migrate(**db, 1700000000);
  REQUIRE(applied);
  CHECK(*applied == static_cast<int>(storage::Migrations().size()));
  CHECK(*storage::SchemaVersion(**db) == storage::Migrations().back().version);
  CHECK(*storage::Migrate(**db, 1700000001) == 0);
  auto& sql = (*db)->connection().db;
  CHECK(sql.execAndGet("SELECT count(*) FROM schema_migrations").getInt() == *applied);
}

TEST_CASE("processes migrating one database at once apply each migration once", "[migrate]") {
  // The server and a scheduled command started together after an upgrade.
  for (int round = 0; round < 5; ++round) {
    test::TempDir dir;
    std::string path = dir.File("scrm.db");
    std::vector<std::unique_ptr<storage::Db>> dbs;
    for (int i = 0; i < 4; ++i) {
      auto db = storage::Db::Open({path});
      REQUIRE(db);
      dbs.push_back(std::move(*db));
    }
    std::vector<storage::Result<int>> results(dbs.size(), storage::Errc::kQueryFailed);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < dbs.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = storage::Migrate(*dbs[i], 1700000000); });
    }
    for (auto& t : threads) t.join();
    int applied = 0;
    for (const auto& r : results) {
      REQUIRE(r);
      applied += *r;
    }
    CHECK(applied == static_cast<int>(storage::Migrations().size()));
    auto& sql = dbs[0]->connection().db;
    CHECK(sql.execAndGet("SELECT count(*) FROM schema_migrations").getInt() == applied);
  }
}

TEST_CASE("a database from a newer binary is refused", "[migrate]") {
  auto db = storage::Db::Open({":memory:"});
  REQUIRE(db);
  (*db)->connection().db.exec("PRAGMA user_version = 9999");
  auto applied = storage::Migrate(**db, 1);
  REQUIRE_FALSE(applied);
  CHECK(applied.error() == storage::Errc::kSchemaTooNew);
}

TEST_CASE("migration versions ascend without gaps", "[migrate]") {
  int expected = 1;
  for (const auto& m : storage::Migrations()) CHECK(m.version == expected++);
}

TEST_CASE("an unopenable path is an error, not a crash", "[migrate]") {
  auto db = storage::Db::Open({"/proc/definitely/not/here.db"});
  CHECK_FALSE(db);
}

// The CHECK rules a row's every insert and update evaluates are written so
// that SQLite needs no temporary table for them, and still refuse bad values.
TEST_CASE("CHECK rules hold without a temporary table per write", "[migrate]") {
  test::TempDir dir;
  std::string path = dir.File("checks.db");
  auto db = storage::Db::Open({path});
  REQUIRE(db);
  auto& sql = (*db)->connection().db;
  // The schema as it was before the rules were rewritten (version 11).
  for (const auto& m : storage::Migrations()) {
    if (m.version <= 11) sql.exec(m.sql);
  }
  sql.exec("PRAGMA user_version = 11");
  auto Ephemeral = [](SQLite::Database& conn, const std::string& statement) {
    SQLite::Statement explain(conn, "EXPLAIN " + statement);
    bool found = false;
    while (explain.executeStep()) found |= explain.getColumn(1).getString() == "OpenEphemeral";
    return found;
  };
  const std::string outbox_insert =
      "INSERT INTO outbox (recipient, api, body, next_attempt_at, created_at) "
      "VALUES ('user:a', '/x', '{}', 1, 1)";
  // A second connection that has the old schema loaded while the rules change.
  auto other = storage::Db::Open({path});
  REQUIRE(other);
  auto& old = (*other)->connection().db;
  CHECK(Ephemeral(old, outbox_insert));               // what the old rule costs
  auto applied = storage::Migrate(**db, 1700000000);  // 012 and anything after it
  REQUIRE(applied);
  CHECK(*applied == storage::Migrations().back().version - 11);
  old.exec("SELECT count(*) FROM outbox");  // its next statement notices the change
  struct Case {
    const char* table;
    const char* good;
    const char* bad;
  };
  const Case cases[] = {
      {"outbox", outbox_insert.c_str(),
       "INSERT INTO outbox (recipient, api, body, state, next_attempt_at, created_at) "
       "VALUES ('user:a', '/x', '{}', 'lost', 1, 1)"},
      {"customers", "INSERT INTO customers (owner, tier, created_at) VALUES ('z', 'A', 1)",
       "INSERT INTO customers (owner, tier, created_at) VALUES ('z', 'D', 1)"},
      {"quotes",
       "INSERT INTO quotes (deal_id, customer_id, rep, list_amount, discount_bp, amount, at, "
       "status) VALUES (1, 1, 'z', 100, 0, 100, 1, 'pending')",
       "INSERT INTO quotes (deal_id, customer_id, rep, list_amount, discount_bp, amount, at, "
       "status) VALUES (1, 1, 'z', 100, 0, 100, 1, 'maybe')"},
  };
  // The customer and the deal the quotes refer to.
  sql.exec("INSERT INTO customers (id, owner, created_at) VALUES (1, 'z', 1)");
  sql.exec(
      "INSERT INTO deals (id, customer_id, owner, stage, created_at, stage_entered_at) "
      "VALUES (1, 1, 'z', 'lead', 1, 1)");
  for (const Case& c : cases) {
    INFO(c.table);
    std::string schema =
        sql.execAndGet(std::string("SELECT sql FROM sqlite_master WHERE name = '") + c.table + "'")
            .getString();
    CHECK(schema.find("CHECK (") != std::string::npos);
    CHECK(schema.find(" IN (") == std::string::npos);
    for (auto* conn : {&sql, &old}) {
      CHECK_FALSE(Ephemeral(*conn, c.good));
      CHECK(conn->exec(c.good) == 1);
      CHECK_THROWS_WITH(conn->exec(c.bad), Catch::Contains("CHECK constraint failed"));
    }
  }
  CHECK(sql.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("migration 025 dates each customer's last dealing and a lost deal from the records",
          "[migrate]") {
  auto db = storage::Db::Open({":memory:"});
  REQUIRE(db);
  auto& sql = (*db)->connection().db;
  for (const auto& m : storage::Migrations()) {
    if (m.version >= 25) break;
    sql.exec(m.sql);
  }
  sql.exec("PRAGMA user_version = 24");
  // #1: followed up at 100, quoted at 300, paid at 400 by its owner; a stage
  // moved at 500 by someone else; its only deal lost at 450.
  // #2: handed to lisi at 1000, after zhangsan's quote at 900; removed.
  sql.exec(
      "INSERT INTO customers (id, owner, created_at, last_follow_up_at) VALUES (1, 'zhangsan', "
      "10, 100);"
      "INSERT INTO customers (id, owner, created_at, owned_since, removed_at) VALUES (2, 'lisi', "
      "10, 1000, 2000);"
      "INSERT INTO deals (id, customer_id, owner, stage, created_at, stage_entered_at, closed_at, "
      "lost_reason) VALUES (1, 1, 'zhangsan', '输单', 50, 450, 450, '太贵');"
      "INSERT INTO deals (id, customer_id, owner, stage, created_at, stage_entered_at) VALUES "
      "(2, 2, 'lisi', '线索', 50, 50);"
      "INSERT INTO quotes (deal_id, customer_id, rep, list_amount, discount_bp, amount, at) "
      "VALUES (1, 1, 'zhangsan', 1, 0, 1, 300), (2, 2, 'zhangsan', 1, 0, 1, 900);"
      "INSERT INTO payments (deal_id, customer_id, rep, amount, at) VALUES "
      "(1, 1, 'zhangsan', 1, 400);"
      "INSERT INTO stage_history (deal_id, from_stage, to_stage, at, by_user) VALUES "
      "(1, '线索', '需求调研', 500, 'boss'), (1, '需求调研', '输单', 450, 'zhangsan');");
  REQUIRE(*storage::Migrate(**db, 1700000000) ==
          static_cast<int>(storage::Migrations().size()) - 24);
  auto row = [&](int id) {
    SQLite::Statement q(sql,
                        "SELECT last_contact_at, lost_at, lifecycle_changes_at FROM customers "
                        "WHERE id = ?");
    q.bind(1, id);
    REQUIRE(q.executeStep());
    return std::tuple{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(),
                      q.getColumn(2).getInt64()};
  };
  CHECK(row(1) == std::tuple<std::int64_t, std::int64_t, std::int64_t>{450, 450, 1});
  CHECK(row(2) == std::tuple<std::int64_t, std::int64_t, std::int64_t>{0, 0, 0});
}
