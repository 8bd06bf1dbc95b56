// The WAL-gathering VFS: fewer writes, and nothing else changes.
#include "storage/wal_gather.h"

#include <catch2/catch.hpp>
#include <string>

#include "storage/connection.h"
#include "storage/db.h"
#include "tests/support/temp_dir.h"

using namespace scrm;

namespace {

std::unique_ptr<storage::Db> Open(const std::string& path, bool gather, int cache_kib = 8192) {
  storage::DbOptions options;
  options.path = path;
  options.gather_wal_writes = gather;
  options.cache_kib = cache_kib;
  auto db = storage::Db::Open(options);
  REQUIRE(db);
  return std::move(*db);
}

SQLite::Database& Sql(storage::Db& db) { return db.connection().db; }

std::int64_t Count(storage::Db& db) {
  return Sql(db).execAndGet("SELECT count(*) FROM t").getInt64();
}

std::int64_t Total(storage::Db& db) {
  return Sql(db).execAndGet("SELECT coalesce(sum(length(v) + n), 0) FROM t").getInt64();
}

void Insert(storage::Db& db, int rows, int bytes) {
  SQLite::Statement q(Sql(db), "INSERT INTO t (n, v) VALUES (?, randomblob(?))");
  for (int i = 0; i < rows; ++i) {
    q.bind(1, i);
    q.bind(2, bytes);
    q.exec();
    q.reset();
  }
}

std::string IntegrityCheck(storage::Db& db) {
  return Sql(db).execAndGet("PRAGMA integrity_check").getString();
}

}  // namespace

TEST_CASE("a commit's WAL frames reach the file in a few large writes", "[wal_gather]") {
  test::TempDir dir;
  auto db = Open(dir.File("g.db"), true);
  Sql(*db).exec("CREATE TABLE t (n INTEGER, v BLOB)");
  auto before = storage::WalGatherTotals();
  Sql(*db).exec("BEGIN");
  Insert(*db, 200, 1000);  // about 50 pages: 100 writes from SQLite
  Sql(*db).exec("COMMIT");
  auto after = storage::WalGatherTotals();
  auto writes = after.writes - before.writes;
  auto flushes = after.flushes - before.flushes;
  CHECK(writes >= 100);
  // About 200 KiB of frames, written in pieces of 124 KiB.
  CHECK(flushes >= 1);
  CHECK(flushes <= 3);
  // Without it, the VFS is not in the way at all.
  auto plain = Open(dir.File("p.db"), false);
  Sql(*plain).exec("CREATE TABLE t (n INTEGER, v BLOB)");
  Insert(*plain, 10, 1000);
  CHECK(storage::WalGatherTotals().writes == after.writes);
}

TEST_CASE("other connections see every commit, and only commits", "[wal_gather]") {
  test::TempDir dir;
  auto writer = Open(dir.File("g.db"), true);
  Sql(*writer).exec("CREATE TABLE t (n INTEGER, v BLOB)");
  auto reader = Open(dir.File("g.db"), false);
  std::int64_t expected = 0;
  for (int round = 1; round <= 40; ++round) {
    // Small commits, and one past the gathering limit (written through).
    int bytes = round == 20 ? 6 * 1024 * 1024 : 300 * round;
    Sql(*writer).exec("BEGIN");
    Insert(*writer, 3, bytes);
    CHECK(Count(*reader) == 3 * (round - 1));  // not committed yet
    Sql(*writer).exec("COMMIT");
    expected += 3LL * bytes + 3;  // n is 0, 1, 2
    REQUIRE(Count(*reader) == 3 * round);
    CHECK(Total(*reader) == expected);
  }
  CHECK(IntegrityCheck(*reader) == "ok");
}

TEST_CASE("a transaction larger than the cache writes nothing before it commits", "[wal_gather]") {
  test::TempDir dir;
  auto db = Open(dir.File("g.db"), true, /*cache_kib=*/256);
  Sql(*db).exec("CREATE TABLE t (n INTEGER, v BLOB)");
  auto before = storage::WalGatherTotals();
  Sql(*db).exec("BEGIN");
  Insert(*db, 4000, 2000);                                    // 8 MB through a 256 KiB cache
  CHECK(storage::WalGatherTotals().writes == before.writes);  // nothing spilled
  CHECK(Count(*db) == 4000);
  CHECK(Total(*db) == 4000LL * 2000 + 3999LL * 4000 / 2);
  Sql(*db).exec("ROLLBACK");
  CHECK(Count(*db) == 0);
  Sql(*db).exec("BEGIN");
  Insert(*db, 5, 100);
  Sql(*db).exec("COMMIT");
  auto reader = Open(dir.File("g.db"), false);
  CHECK(Count(*reader) == 5);
  CHECK(IntegrityCheck(*reader) == "ok");
}

TEST_CASE("a large rollback leaves nothing to overwrite another connection's commit",
          "[wal_gather]") {
  test::TempDir dir;
  auto a = Open(dir.File("g.db"), true, /*cache_kib=*/256);
  Sql(*a).exec("CREATE TABLE t (n INTEGER, v BLOB)");
  Sql(*a).exec("BEGIN");
  Insert(*a, 500, 2000);  // 1 MB, past a's cache and within one gathering buffer
  Sql(*a).exec("ROLLBACK");
  auto b = Open(dir.File("g.db"), true);
  Sql(*b).exec("BEGIN");
  Insert(*b, 500, 3000);  // over every offset a wrote
  Sql(*b).exec("COMMIT");
  // a reads b's pages from the WAL, then closes: whatever a's file held
  // is written out by now.
  CHECK(Count(*a) == 500);
  a.reset();
  CHECK(Total(*b) == 500LL * 3000 + 499LL * 500 / 2);
  CHECK(IntegrityCheck(*b) == "ok");
  b.reset();
  auto reopened = Open(dir.File("g.db"), false);  // recovers the WAL from the file
  CHECK(Count(*reopened) == 500);
  CHECK(Total(*reopened) == 500LL * 3000 + 499LL * 500 / 2);
  CHECK(IntegrityCheck(*reopened) == "ok");
}

TEST_CASE("checkpoints, a truncated WAL and a reopened file keep every row", "[wal_gather]") {
  test::TempDir dir;
  std::string path = dir.File("g.db");
  {
    auto db = Open(path, true);
    Sql(*db).exec("CREATE TABLE t (n INTEGER, v BLOB)");
    for (int i = 0; i < 30; ++i) {
      Sql(*db).exec("BEGIN");
      Insert(*db, 20, 500);
      Sql(*db).exec("COMMIT");
      if (i % 10 == 9) Sql(*db).exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    Sql(*db).exec("BEGIN");
    Insert(*db, 20, 500);
    Sql(*db).exec("COMMIT");
  }
  auto db = Open(path, false);
  CHECK(Count(*db) == 620);
  CHECK(IntegrityCheck(*db) == "ok");
}

TEST_CASE("without powersafe overwrite nothing is gathered", "[wal_gather]") {
  test::TempDir dir;
  // SQLite then pads each commit to a sector and writes past its sync.
  SQLite::Database db("file:" + dir.File("g.db") + "?psow=0",
                      SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_URI, 0,
                      storage::WalGatheringVfs());
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=FULL");
  db.exec("CREATE TABLE t (n INTEGER, v BLOB)");
  auto before = storage::WalGatherTotals();
  db.exec("INSERT INTO t (n, v) VALUES (1, randomblob(20000))");
  CHECK(storage::WalGatherTotals().writes == before.writes);
  auto reader = Open(dir.File("g.db"), false);
  CHECK(Count(*reader) == 1);
}
