#include "storage/writer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>
#include <vector>

#include "storage/connection.h"
#include "storage/db.h"

namespace scrm::storage {
namespace {

// Lowers the calling thread's priority by kWriterNice (on Linux the nice
// value belongs to each thread). Left as it is if it cannot be read.
void LowerPriority() {
  const pid_t self = gettid();
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(self));
  if (errno != 0) return;
  setpriority(PRIO_PROCESS, static_cast<id_t>(self), std::min(nice + kWriterNice, 19));
}

// A job's savepoint keeps the pages it changes (its sub-journal, for a
// rollback to it), and SQLite moves that copy to a temporary file past
// 64 KiB: a job that dispatches a batch of callbacks passes it, and wrote
// and grew such a file (from a quarter to two fifths of the writer's time
// per rep message, more as the database grew; bench/RESULTS.md). In memory
// it costs what the job changed. Only on the writer's connection: readers'
// large sorts may still use files. Left as it is if refused.
void KeepTemporariesInMemory(Db& db) {
  try {
    db.connection().db.exec("PRAGMA temp_store=MEMORY");
  } catch (const SQLite::Exception&) {
  }
}

// Set on the writer thread while a group's completions run.
thread_local std::vector<std::function<void()>>* t_group_end = nullptr;

// Collects what the completions defer while it lives, then runs it.
class GroupEnd {
 public:
  GroupEnd() { t_group_end = &deferred_; }
  ~GroupEnd() {
    t_group_end = nullptr;
    for (auto& notify : deferred_) notify();
  }
  GroupEnd(const GroupEnd&) = delete;
  GroupEnd& operator=(const GroupEnd&) = delete;

 private:
  std::vector<std::function<void()>> deferred_;
};

}  // namespace

void AtGroupEnd(std::function<void()> notify) {
  if (t_group_end != nullptr) {
    t_group_end->push_back(std::move(notify));
  } else {
    notify();
  }
}

Writer::Writer(std::unique_ptr<Db> db, std::size_t max_group, std::unique_ptr<Db> checkpoint_db,
               FailureLog failure_log)
    : db_(std::move(db)),
      max_group_(max_group == 0 ? 1 : max_group),
      failure_log_(std::move(failure_log)) {
  KeepTemporariesInMemory(*db_);
  if (checkpoint_db) {
    checkpointer_ = std::make_unique<Checkpointer>(std::move(checkpoint_db));
    // Replaces SQLite's automatic checkpoint, which uses the same hook.
    sqlite3_wal_hook(db_->connection().db.getHandle(), &Writer::AfterCommit, this);
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "scrm-writer");
    LowerPriority();
    Run();
  });
}

Writer::~Writer() { Stop(); }

void Writer::Submit(Job job, Done done, Atomicity atomicity) {
  std::vector<Request> one;
  one.push_back({std::move(job), std::move(done), atomicity});
  SubmitBatch(std::move(one));
}

void Writer::SubmitBatch(std::vector<Request> batch) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      for (Request& r : batch) queue_.push_back(std::move(r));
      // A busy writer takes the whole queue when it finishes its group;
      // only a sleeping one needs the (system call) wake-up.
      if (idle_) cv_.notify_one();
      return;
    }
  }
  for (Request& r : batch) r.done(Errc::kShuttingDown);
}

void Writer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (checkpointer_) {
    checkpointer_->Stop();
    sqlite3_wal_hook(db_->connection().db.getHandle(), nullptr, nullptr);
  }
}

bool Writer::WaitForBackgroundCheckpoints(std::uint64_t count, std::chrono::milliseconds timeout) {
  return checkpointer_ && checkpointer_->WaitForDone(count, timeout);
}

bool FinishCheckpointDue(int frames, std::uint64_t generation, Checkpointer::Progress last,
                         Checkpointer::Progress tried) {
  return frames >= kCatchUpFrames && last.tag == generation && last.copied >= 0 &&
         frames - last.copied <= kFinishFrames && last != tried;
}

// Runs on the writer thread inside each COMMIT, with the WAL's size. A
// checkpoint the writer runs itself waits until the group's completions
// have been called (CommitGroup): no answered callback waits for it.
int Writer::AfterCommit(void* self, sqlite3*, const char*, int frames) {
  auto* writer = static_cast<Writer*>(self);
  // One request per kCheckpointFrames new frames, counted again from the
  // start when the WAL was restarted; past kCatchUpFrames one per commit, so
  // that the background thread catches up and the WAL restarts before the
  // writer has to checkpoint itself.
  if (frames < writer->wal_frames_) {
    ++writer->wal_generation_;
    writer->next_checkpoint_at_ = kCheckpointFrames;
  }
  writer->wal_frames_ = frames;
  if (frames >= kInlineCheckpointFrames) {
    writer->checkpoint_due_ = &WriterStats::inline_checkpoints;
  } else if (writer->FinishCycleNow(frames)) {
    // A few frames to copy: cheaper here than more background rounds, each
    // with two fsyncs, that the next commits leave unfinished again.
    writer->checkpoint_due_ = &WriterStats::finishing_checkpoints;
  } else if (frames >= writer->next_checkpoint_at_ || frames >= kCatchUpFrames) {
    writer->checkpointer_->Request(writer->wal_generation_);
    writer->next_checkpoint_at_ = frames + kCheckpointFrames;
  }
  return SQLITE_OK;
}

bool Writer::FinishCycleNow(int frames) {
  if (frames < kCatchUpFrames) return false;  // without asking the checkpointer
  Checkpointer::Progress last = checkpointer_->last();
  if (!FinishCheckpointDue(frames, wal_generation_, last, finish_tried_)) return false;
  finish_tried_ = last;
  return true;
}

void Writer::CheckpointHere(std::uint64_t WriterStats::*counter) {
  sqlite3* db = db_->connection().db.getHandle();
  int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  std::lock_guard lock(mu_);
  if (rc == SQLITE_OK) ++(stats_.*counter);
}

bool Writer::WaitForCheckpointerIdle(std::chrono::milliseconds timeout) {
  return checkpointer_ && checkpointer_->WaitForIdle(timeout);
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  WriterStats stats = stats_;
  if (checkpointer_) stats.background_checkpoints = checkpointer_->done();
  return stats;
}

void Writer::Run() {
  for (;;) {
    std::deque<Item> group;
    {
      std::unique_lock lock(mu_);
      idle_ = true;
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      idle_ = false;
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
  auto start = std::chrono::steady_clock::now();
  std::vector<Result<int>> results;
  results.reserve(group.size());
  bool committed = false;
  Connection& conn = db_->connection();
  auto run = [&conn](const char* statement) {
    SQLite::Statement& s = conn.Cached(statement);
    s.exec();
    s.reset();
  };
  try {
    run("BEGIN IMMEDIATE");
    for (Item& item : group) {
      bool savepoint = item.atomicity == Atomicity::kSavepoint;
      if (savepoint) run("SAVEPOINT job");
      try {
        int value = item.job(conn);
        if (savepoint) run("RELEASE job");
        results.emplace_back(value);
      } catch (const std::exception& e) {
        if (failure_log_) failure_log_(std::string("a write failed: ") + e.what());
        // Some errors (an I/O error, a full disk, out of memory) make SQLite
        // roll the whole transaction back: the group's earlier jobs are
        // undone, and later ones would each commit on their own.
        if (!InTransaction(conn)) {
          throw SQLite::Exception("the group's transaction was rolled back", SQLITE_ABORT);
        }
        if (savepoint) {
          run("ROLLBACK TO job");
          run("RELEASE job");
        }
        results.emplace_back(Errc::kQueryFailed);
      }
    }
    run("COMMIT");
    committed = true;
  } catch (const SQLite::Exception& e) {
    committed = false;
    if (failure_log_) {
      std::string what = "a group of ";
      what += std::to_string(group.size());
      what += " writes was not committed: ";
      what += e.what();
      failure_log_(what);
    }
    // Undo whatever the group left open (a failed BEGIN opened nothing).
    if (InTransaction(conn)) {
      try {
        run("ROLLBACK");
      } catch (const SQLite::Exception&) {
        // The connection is unusable; the next group reports the error.
      }
    }
  }
  if (!committed) results.assign(group.size(), Result<int>(Errc::kQueryFailed));
  {
    std::lock_guard lock(mu_);
    stats_.jobs += group.size();
    for (const auto& r : results) stats_.failures += r ? 0 : 1;
    if (committed) ++stats_.groups;
    stats_.busy_ns +=
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count());
  }
  {
    GroupEnd end;
    for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(results[i]));
  }
  if (checkpoint_due_ != nullptr) CheckpointHere(std::exchange(checkpoint_due_, nullptr));
}

}  // namespace scrm::storage
