// A database at `path` (a file, or ":memory:") with every migration applied.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "storage/db.h"
#include "storage/migrate.h"

namespace scrm::test {

inline std::unique_ptr<storage::Db> MigratedDb(const std::string& path) {
  auto db = storage::Db::Open({path});
  REQUIRE(db);
  REQUIRE(storage::Migrate(**db, 1700000000));
  return std::move(*db);
}

}  // namespace scrm::test
