// Commits written with direct I/O and read back from the process's mirror:
// every connection, in this process or another, reads what was committed.
#include "storage/wal_mirror.h"

#include <catch2/catch.hpp>
#include <string>

#include "storage/connection.h"
#include "storage/db.h"
#include "tests/support/temp_dir.h"

using namespace scrm;

namespace {

// `direct`: the bot's connections. Otherwise a connection through SQLite's
// own VFS, which writes and reads the WAL as another process would: past
// the mirror.
std::unique_ptr<storage::Db> Open(const std::string& path, bool direct) {
  storage::DbOptions options;
  options.path = path;
  options.gather_wal_writes = direct;
  options.direct_wal_writes = direct;
  auto db = storage::Db::Open(options);
  REQUIRE(db);
  return std::move(*db);
}

SQLite::Database& Sql(storage::Db& db) { return db.connection().db; }

// Adds `rows` rows with values from `first` on, in one transaction.
void Insert(storage::Db& db, int first, int rows) {
  Sql(db).exec("BEGIN IMMEDIATE");
  SQLite::Statement q(Sql(db), "INSERT INTO t (n, v) VALUES (?, printf('%0500d', ?))");
  for (int i = first; i < first + rows; ++i) {
    q.bind(1, i);
    q.bind(2, i);
    q.exec();
    q.reset();
  }
  Sql(db).exec("COMMIT");
}

// How many rows there are, and whether each row's value is its own.
std::pair<std::int64_t, std::int64_t> CountAndMismatches(storage::Db& db) {
  SQLite::Statement q(Sql(db),
                      "SELECT count(*), coalesce(sum(v != printf('%0500d', n)), 0) FROM t");
  REQUIRE(q.executeStep());
  return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
}

std::string IntegrityCheck(storage::Db& db) {
  return Sql(db).execAndGet("PRAGMA integrity_check").getString();
}

}  // namespace

TEST_CASE("commits go to the disk directly and readers read them from the mirror", "[wal_mirror]") {
  test::TempDir dir;
  std::string path = dir.File("m.db");
  auto before = storage::WalMirror::Totals();
  {
    auto writer = Open(path, true);
    auto reader = Open(path, true);
    Sql(*writer).exec("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)");
    for (int i = 0; i < 40; ++i) {
      Insert(*writer, i * 25, 25);
      CHECK(CountAndMismatches(*reader) ==
            std::make_pair<std::int64_t, std::int64_t>(i * 25 + 25, 0));
      // Checkpoints copy frames from the mirror; a full one lets the next
      // commit start the WAL over (a new generation).
      if (i % 10 == 4) Sql(*reader).exec("PRAGMA wal_checkpoint(PASSIVE)");
      if (i % 10 == 9) Sql(*reader).exec("PRAGMA wal_checkpoint(RESTART)");
    }
    CHECK(IntegrityCheck(*reader) == "ok");
  }
  auto after = storage::WalMirror::Totals();
  CHECK(after.direct_writes - before.direct_writes >= 40);
  CHECK(after.reads > before.reads);
  // What is on the disk, read by a connection that never saw the mirror.
  auto plain = Open(path, false);
  CHECK(CountAndMismatches(*plain) == std::make_pair<std::int64_t, std::int64_t>(1000, 0));
  CHECK(IntegrityCheck(*plain) == "ok");
}

TEST_CASE("frames another process writes are read from the file, also after it starts the WAL over",
          "[wal_mirror]") {
  test::TempDir dir;
  std::string path = dir.File("o.db");
  auto writer = Open(path, true);
  auto reader = Open(path, true);
  auto other = Open(path, false);
  Sql(*writer).exec("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)");
  int next = 0;
  auto insert = [&](storage::Db& db, int rows) {
    Insert(db, next, rows);
    next += rows;
  };
  // Interleaved in one WAL generation: the other's frames sit between ours.
  for (int i = 0; i < 6; ++i) {
    insert(*writer, 30);
    insert(*other, 30);
    CHECK(CountAndMismatches(*reader) == std::make_pair<std::int64_t, std::int64_t>(next, 0));
  }
  // The other process copies everything into the database and starts the
  // WAL over: its next frames go where the mirror still holds ours.
  Sql(*other).exec("PRAGMA wal_checkpoint(RESTART)");
  insert(*other, 200);
  CHECK(CountAndMismatches(*reader) == std::make_pair<std::int64_t, std::int64_t>(next, 0));
  CHECK(IntegrityCheck(*reader) == "ok");
  // Then ours again, after the other's, in that new generation.
  insert(*writer, 30);
  insert(*other, 10);
  CHECK(CountAndMismatches(*reader) == std::make_pair<std::int64_t, std::int64_t>(next, 0));
  CHECK(CountAndMismatches(*other) == std::make_pair<std::int64_t, std::int64_t>(next, 0));
  Sql(*reader).exec("PRAGMA wal_checkpoint(PASSIVE)");
  CHECK(IntegrityCheck(*other) == "ok");
  CHECK(IntegrityCheck(*reader) == "ok");
}
