#include "storage/db.h"

#include <sqlite3.h>

#include <filesystem>
#include <mutex>

#include "storage/connection.h"
#include "storage/page_cache.h"
#include "storage/wal_gather.h"

namespace scrm::storage {

bool InTransaction(Connection& c) { return sqlite3_get_autocommit(c.db.getHandle()) == 0; }
namespace {

// Process-wide settings, before SQLite is first used (if something
// initialised SQLite first, both are refused and SQLite's defaults stay:
// slower, not wrong). Memory statistics (on by default) put one global
// mutex around every SQLite allocation, and Debian's SQLite has no
// lookaside allocator, so that is every small one: the writer, the
// checkpointer and the readers would take turns at it. The page cache is
// SQLite's own, wrapped (storage/page_cache.h).
void ConfigureSqlite() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    InstallPageCache();
  });
}

}  // namespace

Db::Db(std::unique_ptr<Connection> conn, std::string path)
    : conn_(std::move(conn)), path_(std::move(path)) {}

Db::~Db() = default;

Result<std::unique_ptr<Db>> Db::Open(const DbOptions& options) {
  ConfigureSqlite();
  try {
    if (!options.read_only && options.path != ":memory:") {
      auto parent = std::filesystem::path(options.path).parent_path();
      std::error_code ec;
      if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    }
    int flags =
        options.read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
    // Each connection is used by one thread at a time: no SQLite mutexes.
    bool gather = options.gather_wal_writes && options.full_sync && !options.read_only &&
                  options.path != ":memory:";
    SQLite::Database db(options.path, flags | SQLite::OPEN_NOMUTEX, options.busy_timeout_ms,
                        gather ? WalGatheringVfs(options.direct_wal_writes) : "");
    if (!options.read_only) db.exec("PRAGMA journal_mode=WAL");
    db.exec(options.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    db.exec("PRAGMA foreign_keys=ON");
    // Index pages stay in memory instead of being read again from the OS.
    db.exec("PRAGMA cache_size=-" + std::to_string(options.cache_kib));  // KiB
    // With the gathering VFS, WAL frames are written only at a commit, right
    // before its sync: none wait in its buffer across a rollback. A
    // transaction then keeps the pages it changed in memory until it ends: a
    // few MB for a group of callbacks, the size of a table or index that a
    // migration rebuilds.
    if (gather) db.exec("PRAGMA cache_spill=false");
    auto conn = std::make_unique<Connection>(std::move(db));
    return std::unique_ptr<Db>(new Db(std::move(conn), options.path));
  } catch (const SQLite::Exception&) {
    return Errc::kOpenFailed;
  }
}

}  // namespace scrm::storage
