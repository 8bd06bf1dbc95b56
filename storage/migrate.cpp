#include "storage/migrate.h"

#include "storage/connection.h"
#include "storage/db.h"

namespace scrm::storage {

Result<int> SchemaVersion(Db& db) {
  try {
    return db.connection().db.execAndGet("PRAGMA user_version").getInt();
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

Result<int> Migrate(Db& db, long long now_unix) {
  auto current = SchemaVersion(db);
  if (!current) return current.error();
  const auto& all = Migrations();
  int latest = all.empty() ? 0 : all.back().version;
  if (*current > latest) return Errc::kSchemaTooNew;
  int applied = 0;
  SQLite::Database& sql = db.connection().db;
  for (const Migration& m : all) {
    if (m.version <= *current) continue;
    try {
      SQLite::Transaction tx(sql, SQLite::TransactionBehavior::IMMEDIATE);
      // Another process starting on the same database (the server and a
      // scheduled command) may have applied it since the version was read.
      if (sql.execAndGet("PRAGMA user_version").getInt() >= m.version) continue;
      sql.exec(m.sql);
      SQLite::Statement record(sql,
                               "INSERT INTO schema_migrations (version, name, applied_at) "
                               "VALUES (:v, :n, :t)");
      record.bind(":v", m.version);
      record.bind(":n", m.name);
      record.bind(":t", static_cast<int64_t>(now_unix));
      record.exec();
      sql.exec("PRAGMA user_version = " + std::to_string(m.version));
      tx.commit();
      ++applied;
    } catch (const SQLite::Exception&) {
      return Errc::kMigrationFailed;
    }
  }
  return applied;
}

}  // namespace scrm::storage
