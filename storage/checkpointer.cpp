#include "storage/checkpointer.h"

#include <pthread.h>
#include <sqlite3.h>

#include "storage/connection.h"
#include "storage/db.h"

namespace scrm::storage {

Checkpointer::Checkpointer(std::unique_ptr<Db> db) : db_(std::move(db)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "scrm-checkpoint");
    Run();
  });
}

Checkpointer::~Checkpointer() { Stop(); }

void Checkpointer::Request() {
  std::lock_guard lock(mu_);
  if (requested_) return;
  requested_ = true;
  cv_.notify_all();
}

void Checkpointer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Checkpointer::done() const {
  std::lock_guard lock(mu_);
  return done_;
}

bool Checkpointer::WaitForDone(std::uint64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done_ >= count; });
}

void Checkpointer::Run() {
  sqlite3* handle = db_->connection().db.getHandle();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || requested_; });
      if (stopping_) return;
      requested_ = false;
    }
    // SQLITE_BUSY (another checkpoint under way) is fine: the next request
    // picks up what this one would have copied.
    int rc =
        sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::lock_guard lock(mu_);
    if (rc == SQLITE_OK) ++done_;
    cv_.notify_all();
  }
}

}  // namespace scrm::storage
