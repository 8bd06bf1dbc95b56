#include "storage/errors.h"

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

const boost::system::error_category& StorageCategory() {
  static const Category category;
  return category;
}

}  // namespace scrm::storage
