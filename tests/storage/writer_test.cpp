#include "storage/writer.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/connection.h"
#include "storage/db.h"
#include "storage/inbox.h"
#include "tests/support/catch_result.h"
#include "tests/support/migrated_db.h"
#include "tests/support/temp_dir.h"

using namespace scrm;

namespace {

storage::InboxRecord Record(const std::string& key) {
  return {key, "text", "zhangsan", "<xml/>", 1700000000};
}

// Collects completions from the writer thread.
struct Completions {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<storage::Result<int>> results;

  storage::Writer::Done Callback() {
    return [this](storage::Result<int> r) {
      std::lock_guard lock(mu);
      results.push_back(r);
      cv.notify_all();
    };
  }
  // Fails (rather than hangs) if they do not come within a minute.
  void WaitFor(size_t n) {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return results.size() >= n; }));
  }
};

}  // namespace

TEST_CASE("the writer commits every job and reports duplicates", "[writer]") {
  test::TempDir dir;
  std::string path = dir.File("w.db");
  Completions done;
  {
    storage::Writer writer(test::MigratedDb(path));
    for (int i = 0; i < 500; ++i) {
      writer.Submit(storage::InsertInboxJob(Record("k" + std::to_string(i % 400))),
                    done.Callback());
    }
    done.WaitFor(500);
    auto stats = writer.stats();
    CHECK(stats.jobs == 500);
    CHECK(stats.failures == 0);
    CHECK(stats.groups >= 1);
    CHECK(stats.groups <= 500);
  }
  int inserted = 0, duplicates = 0;
  for (auto& r : done.results) {
    REQUIRE(r);
    (*r == static_cast<int>(storage::InboxOutcome::kInserted) ? inserted : duplicates)++;
  }
  CHECK(inserted == 400);
  CHECK(duplicates == 100);
  auto reader = storage::Db::Open({path});
  REQUIRE(reader);
  CHECK(*storage::CountInbox(**reader) == 400);
}

TEST_CASE("the writer thread runs nicer than the thread that started it", "[writer]") {
  test::TempDir dir;
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  REQUIRE(errno == 0);
  Completions done;
  storage::Writer writer(test::MigratedDb(dir.File("w.db")));
  writer.Submit([](storage::Connection&) { return getpriority(PRIO_PROCESS, 0); }, done.Callback(),
                storage::Writer::Atomicity::kSingleStatement);
  done.WaitFor(1);
  REQUIRE(done.results[0]);
  CHECK(*done.results[0] == std::min(own + storage::kWriterNice, 19));
  // The starting thread keeps its own.
  CHECK(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())) == own);
}

TEST_CASE("the writer keeps savepoint journals and temporaries in memory", "[writer]") {
  test::TempDir dir;
  Completions done;
  storage::Writer writer(test::MigratedDb(dir.File("w.db")));
  writer.Submit(
      [](storage::Connection& c) {
        SQLite::Statement q(c.db, "PRAGMA temp_store");
        return q.executeStep() ? q.getColumn(0).getInt() : -1;
      },
      done.Callback());
  done.WaitFor(1);
  REQUIRE(done.results[0]);
  CHECK(*done.results[0] == 2);  // MEMORY
}

TEST_CASE("jobs queued together share one transaction", "[writer]") {
  test::TempDir dir;
  Completions done;
  storage::Writer writer(test::MigratedDb(dir.File("g.db")), 64);
  // The first job blocks the writer thread until the rest are queued.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  writer.Submit(
      [&](storage::Connection&) {
        std::unique_lock lock(gate_mu);
        gate_cv.wait(lock, [&] { return open; });
        return 0;
      },
      done.Callback());
  for (int i = 0; i < 64; ++i) {
    writer.Submit(storage::InsertInboxJob(Record("g" + std::to_string(i))), done.Callback());
  }
  {
    std::lock_guard lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  done.WaitFor(65);
  // The blocking job's group (it alone, or with the first few queued), then
  // everything queued behind it: 64 at most, so one transaction.
  CHECK(writer.stats().groups == 2);
  CHECK(writer.stats().jobs == 65);
}

TEST_CASE("notifications deferred to the group end run after all of its completions", "[writer]") {
  test::TempDir dir;
  storage::Writer writer(test::MigratedDb(dir.File("e.db")));
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> log;
  auto note = [&](std::string what) {
    std::lock_guard lock(mu);
    log.push_back(std::move(what));
    cv.notify_all();
  };
  // One batch: the writer takes the three jobs as one group.
  std::vector<storage::Writer::Request> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back({[](storage::Connection&) { return 0; },
                     [&, i](storage::Result<int>) {
                       note("done " + std::to_string(i));
                       storage::AtGroupEnd([&, i] { note("end " + std::to_string(i)); });
                     }});
  }
  writer.SubmitBatch(std::move(batch));
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return log.size() == 6; });
  }
  CHECK(log == std::vector<std::string>{"done 0", "done 1", "done 2", "end 0", "end 1", "end 2"});
  CHECK(writer.stats().groups == 1);
  // Outside a group's completions it runs at once.
  bool ran = false;
  storage::AtGroupEnd([&] { ran = true; });
  CHECK(ran);
}

TEST_CASE("a failing job is rolled back alone", "[writer]") {
  test::TempDir dir;
  std::string path = dir.File("f.db");
  Completions done;
  std::vector<std::string> failures_logged;  // read once the writer is gone
  {
    storage::Writer writer(test::MigratedDb(path), 256, nullptr,
                           [&](const std::string& why) { failures_logged.push_back(why); });
    writer.Submit(storage::InsertInboxJob(Record("a")), done.Callback());
    writer.Submit(
        [](storage::Connection& c) -> int {
          c.db.exec(
              "INSERT INTO inbox (dedup_key, kind, payload, received_at) "
              "VALUES ('half', 'x', '', 1)");
          c.db.exec("INSERT INTO no_such_table VALUES (1)");
          return 0;
        },
        done.Callback());
    writer.Submit(storage::InsertInboxJob(Record("b")), done.Callback());
    done.WaitFor(3);
  }
  int failures = 0;
  for (auto& r : done.results) failures += r ? 0 : 1;
  CHECK(failures == 1);
  // The caller gets kQueryFailed; the log gets SQLite's reason.
  REQUIRE(failures_logged.size() == 1);
  CHECK(failures_logged[0].find("a write failed: no such table: no_such_table") !=
        std::string::npos);
  auto reader = storage::Db::Open({path});
  REQUIRE(reader);
  CHECK(*storage::CountInbox(**reader) == 2);
  CHECK_FALSE(storage::FindInbox(**reader, "half")->has_value());
}

TEST_CASE("stop drains queued work, later submissions are refused", "[writer]") {
  test::TempDir dir;
  std::string path = dir.File("s.db");
  Completions done;
  auto writer = std::make_unique<storage::Writer>(test::MigratedDb(path));
  for (int i = 0; i < 100; ++i) {
    writer->Submit(storage::InsertInboxJob(Record("s" + std::to_string(i))), done.Callback());
  }
  writer->Stop();
  CHECK(done.results.size() == 100);
  writer->Submit(storage::InsertInboxJob(Record("late")), done.Callback());
  REQUIRE(done.results.size() == 101);
  CHECK(done.results.back().error() == storage::Errc::kShuttingDown);
  writer.reset();
  auto reader = storage::Db::Open({path});
  REQUIRE(reader);
  CHECK(*storage::CountInbox(**reader) == 100);
}

TEST_CASE("a group whose commit fails is undone whole and the writer goes on", "[writer]") {
  test::TempDir dir;
  std::string path = dir.File("c.db");
  Completions done;
  std::vector<std::string> failures_logged;
  {
    storage::Writer writer(test::MigratedDb(path), 256, nullptr,
                           [&](const std::string& why) { failures_logged.push_back(why); });
    // A deferred foreign key is checked only at COMMIT, so this group's
    // jobs all succeed and its COMMIT fails.
    std::vector<storage::Writer::Request> group;
    group.push_back({storage::InsertInboxJob(Record("a")), done.Callback()});
    group.push_back({[](storage::Connection& c) -> int {
                       c.db.exec(
                           "CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY);"
                           "CREATE TABLE IF NOT EXISTS child (p INTEGER REFERENCES parent (id) "
                           "DEFERRABLE INITIALLY DEFERRED)");
                       c.db.exec("INSERT INTO child (p) VALUES (42)");
                       return 0;
                     },
                     done.Callback()});
    writer.SubmitBatch(std::move(group));
    done.WaitFor(2);
    writer.Submit(storage::InsertInboxJob(Record("b")), done.Callback());
    done.WaitFor(3);
  }
  REQUIRE(done.results.size() == 3);
  CHECK_FALSE(done.results[0]);  // committed with the failed group: not stored
  CHECK_FALSE(done.results[1]);
  CHECK(done.results[2]);  // the next group starts a transaction of its own
  REQUIRE(failures_logged.size() == 1);
  CHECK(failures_logged[0].find("a group of 2 writes was not committed: FOREIGN KEY") !=
        std::string::npos);
  auto reader = storage::Db::Open({path});
  REQUIRE(reader);
  CHECK(*storage::CountInbox(**reader) == 1);
  CHECK(storage::FindInbox(**reader, "b")->has_value());
  CHECK_FALSE(storage::FindInbox(**reader, "a")->has_value());
}

TEST_CASE("a job after which SQLite rolled the transaction back fails its whole group",
          "[writer]") {
  test::TempDir dir;
  std::string path = dir.File("r.db");
  Completions done;
  {
    storage::Writer writer(test::MigratedDb(path));
    // What SQLite does on an I/O error or a full disk in some statements:
    // the transaction is gone when the statement fails.
    auto rolled_back = [](storage::Connection& c) -> int {
      c.db.exec("ROLLBACK");
      throw std::runtime_error("disk I/O error");
    };
    std::vector<storage::Writer::Request> group;
    group.push_back({storage::InsertInboxJob(Record("a")), done.Callback(),
                     storage::Writer::Atomicity::kSingleStatement});
    group.push_back({rolled_back, done.Callback(), storage::Writer::Atomicity::kSingleStatement});
    group.push_back({storage::InsertInboxJob(Record("b")), done.Callback(),
                     storage::Writer::Atomicity::kSingleStatement});
    writer.SubmitBatch(std::move(group));
    done.WaitFor(3);
    writer.Submit(storage::InsertInboxJob(Record("c")), done.Callback());
    done.WaitFor(4);
  }
  REQUIRE(done.results.size() == 4);
  CHECK_FALSE(done.results[0]);  // undone with the transaction
  CHECK_FALSE(done.results[1]);
  CHECK_FALSE(done.results[2]);  // not committed on its own
  CHECK(done.results[3]);
  auto reader = storage::Db::Open({path});
  REQUIRE(reader);
  CHECK(*storage::CountInbox(**reader) == 1);
  CHECK(storage::FindInbox(**reader, "c")->has_value());
}

TEST_CASE("a cached statement whose step failed is handed out clean", "[writer]") {
  test::TempDir dir;
  auto db = test::MigratedDb(dir.File("s.db"));
  storage::Connection& c = db->connection();
  constexpr const char* kInsert =
      "INSERT INTO inbox (dedup_key, kind, payload, received_at) VALUES (?, 'x', '', 1)";
  auto insert = [&](const char* key) {
    storage::Use q(c, kInsert);
    q->bind(1, key);
    return q->exec();
  };
  CHECK(insert("k1") == 1);
  // The unique key refuses the second row; the guard's reset must not
  // throw that error again (from a destructor, that would terminate).
  CHECK_THROWS_AS(insert("k1"), SQLite::Exception);
  // The next use must not inherit the old error either.
  CHECK(insert("k2") == 1);
  CHECK(*storage::CountInbox(*db) == 2);
}

namespace {

// A job that writes `rows` rows of 1,000 bytes: about rows / 4 pages.
storage::Writer::Job Bulk(int rows) {
  return [rows](storage::Connection& c) {
    SQLite::Statement q(c.db, "INSERT INTO bulk (v) VALUES (randomblob(1000))");
    for (int i = 0; i < rows; ++i) {
      q.exec();
      q.reset();
    }
    return rows;
  };
}

// The WAL's frames and those already copied into the database file, from a
// passive checkpoint on `db` that itself copies whatever it can.
std::pair<int, int> WalFrames(storage::Db& db) {
  int log = 0;
  int copied = 0;
  sqlite3_wal_checkpoint_v2(db.connection().db.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                            &log, &copied);
  return {log, copied};
}

// A writer with a background checkpointer, on a fresh database with a table
// `bulk`. Members are destroyed in reverse: the writer first.
struct CheckpointedWriter {
  test::TempDir dir;
  std::string path = dir.File("c.db");
  Completions done;
  std::size_t submitted = 0;
  std::unique_ptr<storage::Writer> writer;

  CheckpointedWriter() {
    auto db = test::MigratedDb(path);
    db->connection().db.exec("CREATE TABLE bulk (v BLOB)");
    auto checkpoint_db = storage::Db::Open({path});
    REQUIRE(checkpoint_db);
    writer = std::make_unique<storage::Writer>(std::move(db), 256, std::move(*checkpoint_db));
  }
  // Commits `rows` rows of 1,000 bytes and waits for it.
  void Write(int rows) {
    writer->Submit(Bulk(rows), done.Callback());
    done.WaitFor(++submitted);
  }
  // A connection holding a read snapshot taken now, which keeps checkpoints
  // from copying the frames after it until it runs COMMIT.
  std::unique_ptr<storage::Db> HoldSnapshot(int rows) {
    auto db = storage::Db::Open({path});
    REQUIRE(db);
    SQLite::Database& sql = (*db)->connection().db;
    sql.exec("BEGIN");
    CHECK(sql.execAndGet("SELECT count(*) FROM bulk").getInt() == rows);
    return std::move(*db);
  }
};

}  // namespace

TEST_CASE("checkpoints run on their own thread, not inside the writer's commits", "[writer]") {
  CheckpointedWriter w;
  // 60 commits of about 100 pages: the WAL passes 1,000 frames several times.
  for (int i = 0; i < 60; ++i) w.Write(400);
  REQUIRE(w.writer->WaitForBackgroundCheckpoints(1, std::chrono::seconds(30)));
  auto stats = w.writer->stats();
  CHECK(stats.background_checkpoints >= 1);
  // One request per 1,000 new WAL frames (about 6,000 here), not one per
  // commit once the WAL is past 1,000.
  CHECK(stats.background_checkpoints <= 10);
  CHECK(stats.inline_checkpoints == 0);
  auto reader = storage::Db::Open({w.path, true});
  REQUIRE(reader);
  CHECK((*reader)->connection().db.execAndGet("SELECT count(*) FROM bulk").getInt() == 24000);
  CHECK((*reader)->connection().db.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("the writer checkpoints itself when the WAL grows past its limit", "[writer]") {
  CheckpointedWriter w;
  w.Write(10);
  // A reader holding its snapshot keeps every checkpoint from copying the
  // frames after it, so the WAL keeps growing.
  auto reader = w.HoldSnapshot(10);
  for (int i = 0; i < 110; ++i) w.Write(400);
  CHECK(w.writer->stats().inline_checkpoints >= 1);
  auto probe = storage::Db::Open({w.path});
  REQUIRE(probe);
  CHECK(WalFrames(**probe).first >= storage::kInlineCheckpointFrames);
  // Once the reader lets go, a checkpoint copies everything.
  reader->connection().db.exec("COMMIT");
  auto [log, copied] = WalFrames(**probe);
  CHECK(log > 0);
  CHECK(copied == log);
}

TEST_CASE("the writer ends a WAL cycle itself only after a background checkpoint came close",
          "[writer]") {
  using Progress = storage::Checkpointer::Progress;
  const int past = storage::kCatchUpFrames + 500;
  const Progress close{3, past - storage::kFinishFrames};
  CHECK(storage::FinishCheckpointDue(past, 3, close, {}));
  // Below the catch-up mark the background thread is left to it.
  CHECK_FALSE(storage::FinishCheckpointDue(storage::kCatchUpFrames - 1, 3,
                                           {3, storage::kCatchUpFrames - 10}, {}));
  // Too far behind: another background round first.
  CHECK_FALSE(storage::FinishCheckpointDue(past, 3, {3, past - storage::kFinishFrames - 1}, {}));
  // A checkpoint of the WAL before it started over says nothing of this one.
  CHECK_FALSE(storage::FinishCheckpointDue(past, 4, close, {}));
  // No background checkpoint yet.
  CHECK_FALSE(storage::FinishCheckpointDue(past, 0, Progress{}, {}));
  // Tried after this background checkpoint already (a reader held it back).
  CHECK_FALSE(storage::FinishCheckpointDue(past, 3, close, close));
  CHECK(storage::FinishCheckpointDue(past, 3, {3, past - 1}, close));
}

TEST_CASE("the writer copies the last frames itself and the WAL starts over", "[writer]") {
  CheckpointedWriter w;
  w.Write(10);
  // A reader from the start keeps the background thread from copying
  // anything while the WAL passes the catch-up mark.
  auto early = w.HoldSnapshot(10);
  for (int i = 0; i < 75; ++i) w.Write(400);  // about 7,500 frames
  // Nothing under way: the next background checkpoint starts after the
  // first reader lets go.
  REQUIRE(w.writer->WaitForCheckpointerIdle(std::chrono::seconds(30)));
  // A second reader at the end of the WAL: once the first lets go, a
  // background checkpoint copies everything up to it and no further.
  auto late = w.HoldSnapshot(30010);
  early->connection().db.exec("COMMIT");
  std::uint64_t background = w.writer->stats().background_checkpoints;
  w.Write(1);  // asks for a background checkpoint, past the catch-up mark
  REQUIRE(w.writer->WaitForBackgroundCheckpoints(background + 1, std::chrono::seconds(30)));
  CHECK(w.writer->stats().finishing_checkpoints == 0);
  late->connection().db.exec("COMMIT");
  // A few frames past the background checkpoint: the writer copies them
  // itself once this commit's job has been answered, not before.
  std::uint64_t at_completion = 99;
  storage::Writer::Done counted = w.done.Callback();
  w.writer->Submit(Bulk(1), [&w, &at_completion, counted](storage::Result<int> r) {
    at_completion = w.writer->stats().finishing_checkpoints;
    counted(r);
  });
  w.done.WaitFor(++w.submitted);
  CHECK(at_completion == 0);
  // Everything was copied, so the next commit starts the WAL over.
  w.Write(1);
  auto stats = w.writer->stats();
  CHECK(stats.finishing_checkpoints == 1);
  CHECK(stats.inline_checkpoints == 0);
  auto probe = storage::Db::Open({w.path});
  REQUIRE(probe);
  CHECK(WalFrames(**probe).first < storage::kFinishFrames);
  CHECK((*probe)->connection().db.execAndGet("SELECT count(*) FROM bulk").getInt() == 30013);
}

TEST_CASE("a full disk, a busy database or no memory is a passing failure; a broken rule is not",
          "[writer]") {
  auto db = storage::Db::Open({":memory:"});
  REQUIRE(db);
  auto& sql = (*db)->connection().db;
  sql.exec("CREATE TABLE t (x TEXT UNIQUE)");
  sql.exec("INSERT INTO t VALUES ('a')");
  auto failure = [&](const char* statement) -> std::string {
    try {
      sql.exec(statement);
    } catch (const std::exception& e) {
      return storage::IsTransient(e) ? "transient" : "lasting";
    }
    return "none";
  };
  CHECK(failure("INSERT INTO t VALUES ('a')") == "lasting");  // a duplicate
  CHECK(failure("SELECT nothing FROM t") == "lasting");       // a wrong statement
  // The database may not grow past its pages: SQLITE_FULL, as a full disk.
  sql.exec("PRAGMA max_page_count = " +
           std::to_string(sql.execAndGet("PRAGMA page_count").getInt()));
  CHECK(failure("INSERT INTO t SELECT hex(randomblob(4000)) FROM (VALUES (1), (2), (3))") ==
        "transient");
  CHECK(storage::IsTransient(std::bad_alloc()));
  CHECK_FALSE(storage::IsTransient(std::runtime_error("a bad row")));
}
