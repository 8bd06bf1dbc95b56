// A SQLite connection opened with the project's pragmas: WAL journal,
// foreign keys on, a busy timeout, and the configured fsync policy.
//
// A Db is used by one thread at a time (SQLite connections are not shared);
// open one per reader thread and let the Writer own the write connection.
#pragma once

#include <memory>
#include <string>

#include "storage/errors.h"

namespace scrm::storage {

struct DbOptions {
  std::string path;  // file path, or ":memory:"
  bool read_only = false;
  // FULL: a commit is on disk when it returns (survives power loss).
  // NORMAL: survives a process crash, may lose the last commits on power loss.
  bool full_sync = true;
  int busy_timeout_ms = 5000;
  // With full_sync, a commit's WAL writes reach the kernel in a few large
  // writes (storage/wal_gather.h) instead of two per page.
  bool gather_wal_writes = true;
  // With gathered writes, a commit's frames go to the disk with direct I/O
  // and readers in this process read them from memory (storage/wal_mirror.h);
  // through the page cache where the file system refuses direct I/O.
  bool direct_wal_writes = true;
  // Page cache. Profiles under load show SQLite walking the whole cache
  // when a writer's transaction ends and when a reader starts after another
  // connection wrote, so a large cache costs time on every transaction: at
  // 32 MiB the writer spent a fifth of its time there (with an outbox
  // backlog), while bench/crm.sh's commands run as fast at 8 MiB
  // (bench/RESULTS.md). Readers keep theirs small.
  int cache_kib = 8192;
};

// The page cache for a connection that mostly reads what others write.
inline constexpr int kReaderCacheKib = 2048;

class Connection;  // storage-internal wrapper around the SQLite handle

class Db {
 public:
  // Opens (creating parent directories and the file when writable).
  static Result<std::unique_ptr<Db>> Open(const DbOptions& options);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Connection& connection() { return *conn_; }
  const std::string& path() const { return path_; }

 private:
  Db(std::unique_ptr<Connection> conn, std::string path);
  std::unique_ptr<Connection> conn_;
  std::string path_;
};

}  // namespace scrm::storage
