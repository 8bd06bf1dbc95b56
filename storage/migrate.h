// Versioned schema migrations, compiled in from storage/migrations/NNN_*.sql.
// The schema version lives in PRAGMA user_version; each migration runs in its
// own transaction together with the version bump, so a crash leaves the
// database at the last complete version.
#pragma once

#include <string>
#include <vector>

#include "storage/errors.h"

namespace scrm::storage {

class Db;

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// All migrations, ascending by version.
const std::vector<Migration>& Migrations();

// Applies every migration newer than the database's version and returns the
// number applied. kSchemaTooNew if the database is ahead of this binary.
// `now_unix` is recorded as the applied_at time.
Result<int> Migrate(Db& db, long long now_unix);

// The schema version currently recorded in the database.
Result<int> SchemaVersion(Db& db);

}  // namespace scrm::storage
