// SQLite's page cache with split pages parked near the end of the database.
#include "storage/page_cache.h"

#include <catch2/catch.hpp>
#include <random>

#include "storage/connection.h"
#include "storage/db.h"
#include "tests/support/temp_dir.h"

using namespace scrm;

TEST_CASE("B-tree splits park pages near the end and the database stays sound", "[page_cache]") {
  test::TempDir dir;
  auto db = storage::Db::Open({dir.File("split.db")});  // installs the cache first
  REQUIRE(db);
  REQUIRE(storage::InstallPageCache());  // in place, and installing again is harmless
  auto& sql = (*db)->connection().db;
  sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v TEXT NOT NULL)");
  std::mt19937_64 random(20261128);
  std::uint64_t parked_before = storage::ParkedPages();
  // Random keys split index pages all over the tree; several transactions,
  // so that pages are parked, moved back and the cache truncated at commits.
  constexpr int kRounds = 20;
  constexpr int kPerRound = 500;
  for (int round = 0; round < kRounds; ++round) {
    sql.exec("BEGIN");
    SQLite::Statement insert(sql, "INSERT INTO t (k, v) VALUES (?, ?)");
    for (int i = 0; i < kPerRound; ++i) {
      insert.bind(1, std::to_string(random()) + "-" + std::to_string(round * kPerRound + i));
      insert.bind(2, std::string(200, static_cast<char>('a' + i % 26)));
      insert.exec();
      insert.reset();
    }
    if (round % 3 == 2) sql.exec("DELETE FROM t WHERE id % 7 = 0");  // and merges
    sql.exec("COMMIT");
  }
  CHECK(storage::ParkedPages() > parked_before);
  CHECK(sql.execAndGet("PRAGMA integrity_check").getString() == "ok");
  // Every row is found through the index and through the table.
  int rows = sql.execAndGet("SELECT count(*) FROM t").getInt();
  CHECK(rows == sql.execAndGet("SELECT count(*) FROM t INDEXED BY sqlite_autoindex_t_1 "
                               "WHERE k > ''")
                    .getInt());
  CHECK(rows > kRounds * kPerRound / 2);
  // A second connection reads the same, from its own cache.
  auto other = storage::Db::Open({dir.File("split.db")});
  REQUIRE(other);
  CHECK((*other)->connection().db.execAndGet("SELECT count(*) FROM t").getInt() == rows);
}
