#include "storage/errors.h"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <new>
#include <string>

namespace scrm::storage {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "storage"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::kOk:
        return "ok";
      case Errc::kOpenFailed:
        return "cannot open database";
      case Errc::kQueryFailed:
        return "database statement failed";
      case Errc::kSchemaTooNew:
        return "database schema is newer than this scrm-bot";
      case Errc::kMigrationFailed:
        return "migration failed";
      case Errc::kShuttingDown:
        return "writer is shutting down";
    }
    return "storage error " + std::to_string(ev);
  }
};

}  // namespace

bool IsTransient(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) return true;
  const auto* sql = dynamic_cast<const SQLite::Exception*>(&e);
  if (sql == nullptr) return false;
  switch (sql->getErrorCode() & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_INTERRUPT:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

const boost::system::error_category& StorageCategory() {
  static const Category category;
  return category;
}

}  // namespace scrm::storage
