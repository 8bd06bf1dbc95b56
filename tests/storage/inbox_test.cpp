#include "storage/inbox.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "storage/connection.h"
#include "storage/db.h"
#include "storage/migrate.h"
#include "tests/support/catch_result.h"
#include "tests/support/temp_dir.h"

using namespace scrm;

TEST_CASE("inbox rows keep every field and stay unique", "[inbox]") {
  auto db = storage::Db::Open({":memory:"});
  REQUIRE(db);
  REQUIRE(storage::Migrate(**db, 1));
  storage::InboxRecord rec{"7296438123456789012", "text", "zhangsan",
                           "<xml><Content>你好🚗</Content></xml>", 1700000001};
  auto job = storage::InsertInboxJob(rec);
  CHECK(job((*db)->connection()) == static_cast<int>(storage::InboxOutcome::kInserted));
  CHECK(job((*db)->connection()) == static_cast<int>(storage::InboxOutcome::kDuplicate));
  auto found = storage::FindInbox(**db, "7296438123456789012");
  REQUIRE(found);
  REQUIRE(found->has_value());
  const auto& row = **found;
  CHECK(row.record.kind == "text");
  CHECK(row.record.from_user == "zhangsan");
  CHECK(row.record.payload == rec.payload);
  CHECK(row.record.received_at == 1700000001);
  CHECK_FALSE(row.processed_at.has_value());
  CHECK(*storage::CountInbox(**db) == 1);
  CHECK_FALSE(storage::FindInbox(**db, "nope")->has_value());
  auto list = storage::ListInbox(**db, 0, 10);
  REQUIRE(list);
  CHECK(list->size() == 1);
}

TEST_CASE("the database is in WAL mode with full sync", "[inbox]") {
  // A file database is needed for WAL; :memory: reports "memory".
  test::TempDir dir;
  auto db = storage::Db::Open({dir.File("wal-check.db")});
  REQUIRE(db);
  auto& sql = (*db)->connection().db;
  CHECK(sql.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(sql.execAndGet("PRAGMA synchronous").getInt() == 2);
}
