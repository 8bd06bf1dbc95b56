// The SQLiteCpp handle behind Db and Writer. Included by storage/*.cpp, by
// the bot code that opens a transaction around writer jobs or commands
// (dispatch savepoints, sync-org, digest), and by tests and benchmarks; the
// SQL itself stays in storage/.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <unordered_map>

namespace scrm::storage {

class Connection {
 public:
  explicit Connection(SQLite::Database database) : db(std::move(database)) {}

  // A prepared statement for `sql`, compiled once per connection and reset
  // (bindings cleared) before it is handed out. `sql` must be a string
  // literal or otherwise outlive the connection: it is the cache key.
  SQLite::Statement& Cached(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(db, sql)).first;
    } else {
      // tryReset: reset() would throw the previous step's error again.
      it->second->tryReset();
      it->second->clearBindings();
    }
    return *it->second;
  }

  SQLite::Database db;

 private:
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

// Whether a transaction is open on `c` (SQLite ends one by itself after
// some errors: an I/O error, a full disk, no memory).
bool InTransaction(Connection& c);

// A cached statement for one use: reset, with its bindings cleared, however
// the use ends (so a failed step does not hold a read snapshot open).
class Use {
 public:
  Use(Connection& c, const char* sql) : q_(c.Cached(sql)) {}
  ~Use() {
    q_.tryReset();  // never throws, even after a failed step
    q_.clearBindings();
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  SQLite::Statement* operator->() { return &q_; }
  SQLite::Statement& operator*() { return q_; }

 private:
  SQLite::Statement& q_;
};

}  // namespace scrm::storage
