#include "bot/async_writer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <catch2/catch.hpp>
#include <future>

#include "storage/db.h"
#include "storage/inbox.h"
#include "tests/support/migrated_db.h"
#include "tests/support/temp_dir.h"

using namespace scrm;
namespace net = boost::asio;

namespace {

storage::Writer::Job Insert(const std::string& key) {
  return storage::InsertInboxJob(storage::InboxRecord{key, "text", "u", "<xml/>", 1700000000});
}

}  // namespace

TEST_CASE("awaited writes resume their coroutines with the job's value", "[async_writer]") {
  test::TempDir dir;
  storage::Writer writer(test::MigratedDb(dir.File("a.db")));
  net::io_context io{1};
  auto waits = std::make_shared<bot::AsyncWriter>(io, writer, std::chrono::seconds(30));
  std::vector<int> values;
  for (int i = 0; i < 50; ++i) {
    net::co_spawn(
        io,
        [&, i]() -> net::awaitable<void> {
          // Named first: GCC 12 may destroy a ?: temporary inside a
          // co_await expression twice.
          std::string key = i % 10 == 0 ? "dup" : "k" + std::to_string(i);
          auto r = co_await waits->Run(Insert(key), storage::Writer::Atomicity::kSingleStatement);
          values.push_back(r ? *r : -1);
        },
        net::detached);
  }
  io.run();
  REQUIRE(values.size() == 50);
  int inserted = 0;
  int duplicates = 0;
  for (int v : values) {
    inserted += v == static_cast<int>(storage::InboxOutcome::kInserted);
    duplicates += v == static_cast<int>(storage::InboxOutcome::kDuplicate);
  }
  // 45 distinct keys plus the first "dup"; the other four "dup" are
  // duplicates. Every coroutine got its own job's answer.
  CHECK(inserted == 46);
  CHECK(duplicates == 4);
}

TEST_CASE("a write unfinished at its deadline is answered with an error", "[async_writer]") {
  test::TempDir dir;
  std::string path = dir.File("d.db");
  storage::Writer writer(test::MigratedDb(path));
  net::io_context io{1};
  auto waits = std::make_shared<bot::AsyncWriter>(io, writer, std::chrono::milliseconds(50));
  // Hold the writer thread until the late answer has been given.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  writer.Submit(
      [released](storage::Connection&) {
        released.wait();
        return 0;
      },
      [](storage::Result<int>) {});
  std::optional<storage::Result<int>> late;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        late = co_await waits->Run(Insert("late"), storage::Writer::Atomicity::kSingleStatement);
        release.set_value();
        // The next write, once the writer is free, is answered normally (on
        // a loaded machine the writer may take more than 50 ms to get free:
        // asked again, as WeCom would).
        storage::Result<int> next = storage::Errc::kQueryFailed;
        for (int i = 0; i < 600 && !next; ++i) next = co_await waits->Run(Insert("next"));
        CHECK(next);
      },
      net::detached);
  io.run();
  REQUIRE(late.has_value());
  CHECK_FALSE(*late);
  writer.Stop();
  // The late row still landed: a retry of it would be a duplicate.
  auto reader = storage::Db::Open({path});
  REQUIRE(reader);
  CHECK(storage::FindInbox(**reader, "late")->has_value());
  CHECK(storage::FindInbox(**reader, "next")->has_value());
}

TEST_CASE("once every write is answered, nothing waits for a deadline", "[async_writer]") {
  test::TempDir dir;
  storage::Writer writer(test::MigratedDb(dir.File("n.db")));
  net::io_context io{1};
  // A deadline far away: a timer left for it would keep the io_context busy
  // (and a server's shutdown waiting) for an hour.
  auto waits = std::make_shared<bot::AsyncWriter>(io, writer, std::chrono::hours(1));
  int answered = 0;
  for (int i = 0; i < 3; ++i) {
    net::co_spawn(
        io,
        [&, i]() -> net::awaitable<void> {
          std::string key = "k" + std::to_string(i);
          auto r = co_await waits->Run(Insert(key), storage::Writer::Atomicity::kSingleStatement);
          CHECK(r);
          ++answered;
        },
        net::detached);
  }
  while (answered < 3) io.run_one();
  io.poll();
  CHECK(io.stopped());
}
