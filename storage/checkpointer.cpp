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

void Checkpointer::Request(std::uint64_t tag) {
  std::lock_guard lock(mu_);
  tag_ = tag;
  if (requested_) return;
  requested_ = true;
  cv_.notify_all();
}

Checkpointer::Progress Checkpointer::last() const {
  std::lock_guard lock(mu_);
  return last_;
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

bool Checkpointer::WaitForIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return !requested_ && !running_; });
}

bool Checkpointer::WaitForDone(std::uint64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done_ >= count; });
}

void Checkpointer::Run() {
  sqlite3* handle = db_->connection().db.getHandle();
  for (;;) {
    std::uint64_t tag = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || requested_; });
      if (stopping_) return;
      requested_ = false;
      running_ = true;
      tag = tag_;
    }
    // SQLITE_BUSY (another checkpoint under way) is fine: the next request
    // picks up what this one would have copied.
    int copied = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied);
    std::lock_guard lock(mu_);
    running_ = false;
    if (rc == SQLITE_OK) {
      ++done_;
      last_ = {tag, copied};
    }
    cv_.notify_all();
  }
}

}  // namespace scrm::storage
