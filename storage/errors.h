// Error codes of the storage layer. SQLite exceptions never leave storage/:
// they are caught and mapped to one of these.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <exception>
#include <type_traits>

namespace scrm::storage {

enum class Errc {
  kOk = 0,
  kOpenFailed = 1,    // cannot open or create the database file
  kQueryFailed = 2,   // a statement failed (disk full, I/O error, corruption)
  kSchemaTooNew = 3,  // the database was migrated by a newer scrm-bot
  kMigrationFailed = 4,
  kShuttingDown = 5,  // the writer no longer accepts work
};

const boost::system::error_category& StorageCategory();

inline boost::system::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), StorageCategory()};
}

template <class T>
using Result = boost::system::result<T>;

// Whether a failure inside a writer job says nothing about the job itself
// (a busy or locked database, an I/O error, a full disk, no memory), so
// that the same job may well succeed later.
bool IsTransient(const std::exception& e);

}  // namespace scrm::storage

template <>
struct boost::system::is_error_code_enum<scrm::storage::Errc> : std::true_type {};
