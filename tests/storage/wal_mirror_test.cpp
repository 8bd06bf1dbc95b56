// Commits written with direct I/O and read back from the process's mirror:
// every connection, in this process or another, reads what was committed.
#include "storage/wal_mirror.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
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

// Whether files in `dir` can be opened for direct I/O (not every file
// system can: tmpfs before Linux 6.6, for one).
bool DirectIoIn(const test::TempDir& dir) {
  std::string probe = dir.File("direct-io-probe");
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

std::string IntegrityCheck(storage::Db& db) {
  return Sql(db).execAndGet("PRAGMA integrity_check").getString();
}

// The bot's writer and one of its readers, and a connection that writes as
// another process would; the table made.
struct Connections {
  explicit Connections(const std::string& path)
      : writer(Open(path, true)), reader(Open(path, true)), other(Open(path, false)) {
    Sql(*writer).exec("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)");
  }
  std::unique_ptr<storage::Db> writer;
  std::unique_ptr<storage::Db> reader;
  std::unique_ptr<storage::Db> other;
};

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
  if (DirectIoIn(dir)) {
    CHECK(after.direct_writes - before.direct_writes >= 40);
    CHECK(after.reads > before.reads);
  } else {
    // Commits went through the page cache, the mirror unused.
    WARN("no O_DIRECT in " << dir.File("") << ": the fallback was tested");
    CHECK(after.direct_writes == before.direct_writes);
    CHECK(after.reads == before.reads);
  }
  // What is on the disk, read by a connection that never saw the mirror.
  auto plain = Open(path, false);
  CHECK(CountAndMismatches(*plain) == std::make_pair<std::int64_t, std::int64_t>(1000, 0));
  CHECK(IntegrityCheck(*plain) == "ok");
}

TEST_CASE("frames another process writes are read from the file, also after it starts the WAL over",
          "[wal_mirror]") {
  test::TempDir dir;
  Connections c(dir.File("o.db"));
  auto& writer = c.writer;
  auto& reader = c.reader;
  auto& other = c.other;
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

namespace {

// SQLite's own pwrite, and one that refuses the 1-byte writes with which
// SQLite grows the wal-index file: a commit then fails after its frames
// were written and synced, when it adds them to the wal-index.
sqlite3_syscall_ptr g_pwrite = nullptr;

ssize_t RefuseOneByteWrites(int fd, const void* data, size_t size, off_t offset) {
  if (size == 1) {
    errno = ENOSPC;
    return -1;
  }
  return reinterpret_cast<ssize_t (*)(int, const void*, size_t, off_t)>(g_pwrite)(fd, data, size,
                                                                                  offset);
}

std::int64_t WalFrames(const std::string& path) {
  std::ifstream wal(path + "-wal", std::ios::binary | std::ios::ate);
  return wal ? (static_cast<std::int64_t>(wal.tellg()) - 32) / (4096 + 24) : 0;
}

}  // namespace

TEST_CASE("frames of a commit that failed after they were written are never read from the mirror",
          "[wal_mirror]") {
  test::TempDir dir;
  std::string path = dir.File("f.db");
  Connections c(path);
  auto& writer = c.writer;
  auto& reader = c.reader;
  auto& other = c.other;
  for (auto* db : {writer.get(), reader.get(), other.get()}) {
    Sql(*db).exec("PRAGMA wal_autocheckpoint=0");
  }
  // Fill the wal-index's first region (4,062 frames) almost to its end.
  int next = 0;
  while (WalFrames(path) < 4000) {
    Insert(*writer, next, 100);
    next += 100;
  }
  sqlite3_vfs* unix_vfs = sqlite3_vfs_find("unix");
  REQUIRE(unix_vfs != nullptr);
  // "pwrite64" where SQLite was built with 64-bit offsets (Debian's is).
  const char* name = unix_vfs->xGetSystemCall(unix_vfs, "pwrite64") ? "pwrite64" : "pwrite";
  g_pwrite = unix_vfs->xGetSystemCall(unix_vfs, name);
  REQUIRE(g_pwrite != nullptr);
  REQUIRE(unix_vfs->xSetSystemCall(unix_vfs, name,
                                   reinterpret_cast<sqlite3_syscall_ptr>(RefuseOneByteWrites)) ==
          SQLITE_OK);
  // Our commit's frames go to the disk and into the mirror, then the
  // wal-index cannot grow: the commit fails.
  bool failed = false;
  try {
    Insert(*writer, next, 2000);
  } catch (const SQLite::Exception&) {
    failed = true;
    if (sqlite3_get_autocommit(Sql(*writer).getHandle()) == 0) Sql(*writer).exec("ROLLBACK");
  }
  unix_vfs->xSetSystemCall(unix_vfs, name, g_pwrite);
  REQUIRE(failed);
  // Another process writes other rows where those frames were.
  Insert(*other, next + 1000, 150);
  CHECK(CountAndMismatches(*reader) == std::make_pair<std::int64_t, std::int64_t>(next + 150, 0));
  // And our next commit starts in the block where the other's frames end.
  Insert(*writer, next + 2000, 10);
  CHECK(CountAndMismatches(*reader) == std::make_pair<std::int64_t, std::int64_t>(next + 160, 0));
  CHECK(CountAndMismatches(*other) == std::make_pair<std::int64_t, std::int64_t>(next + 160, 0));
  CHECK(IntegrityCheck(*other) == "ok");
  CHECK(IntegrityCheck(*reader) == "ok");
}
