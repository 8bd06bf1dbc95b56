// Storage-internal: exposes the SQLiteCpp handle behind Db and Writer. Only
// storage/*.cpp and storage tests include this header.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

namespace scrm::storage {

class Connection {
 public:
  explicit Connection(SQLite::Database database) : db(std::move(database)) {}
  SQLite::Database db;
};

}  // namespace scrm::storage
