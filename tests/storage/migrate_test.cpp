#include "storage/migrate.h"

#include <catch2/catch.hpp>

#include "storage/connection.h"
#include "storage/db.h"
#include "tests/support/catch_result.h"

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
