#include "storage/writer.h"

#include <vector>

#include "storage/connection.h"
#include "storage/db.h"

namespace scrm::storage {

Writer::Writer(std::unique_ptr<Db> db, std::size_t max_group)
    : db_(std::move(db)), max_group_(max_group == 0 ? 1 : max_group) {
  thread_ = std::thread([this] { Run(); });
}

Writer::~Writer() { Stop(); }

void Writer::Submit(Job job, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back({std::move(job), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(Errc::kShuttingDown);
}

void Writer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Writer::Run() {
  for (;;) {
    std::deque<Item> group;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && group.size() < max_group_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(group);
  }
}

void Writer::CommitGroup(std::deque<Item>& group) {
  SQLite::Database& sql = db_->connection().db;
  std::vector<Result<int>> results;
  results.reserve(group.size());
  bool committed = false;
  try {
    SQLite::Transaction tx(sql, SQLite::TransactionBehavior::IMMEDIATE);
    for (Item& item : group) {
      sql.exec("SAVEPOINT job");
      try {
        int value = item.job(db_->connection());
        sql.exec("RELEASE job");
        results.emplace_back(value);
      } catch (const std::exception&) {
        sql.exec("ROLLBACK TO job");
        sql.exec("RELEASE job");
        results.emplace_back(Errc::kQueryFailed);
      }
    }
    tx.commit();
    committed = true;
  } catch (const SQLite::Exception&) {
    committed = false;
  }
  if (!committed) results.assign(group.size(), Result<int>(Errc::kQueryFailed));
  {
    std::lock_guard lock(mu_);
    stats_.jobs += group.size();
    for (const auto& r : results) stats_.failures += r ? 0 : 1;
    if (committed) ++stats_.groups;
  }
  for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(results[i]));
}

}  // namespace scrm::storage
