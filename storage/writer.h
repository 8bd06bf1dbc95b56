// The single writer: one thread owns the write connection and runs submitted
// jobs in group transactions (many jobs, one COMMIT, one fsync).
//
// Each job runs inside its own SAVEPOINT, so a failing job is rolled back
// alone; the others in the group still commit. A job made of one SQL
// statement may skip the savepoint (kSingleStatement): SQLite already undoes
// a failed statement by itself, and the savepoint's journal is the largest
// per-job cost. A job's completion is called
// on the writer thread only after the group's COMMIT returned, with the job's
// value, or with an error if the job or the commit failed.
//
// Submit() is thread-safe. Stop() drains everything already submitted, then
// joins the thread; later submissions complete with kShuttingDown.
//
// Given a second connection, the Writer leaves WAL checkpoints to a
// Checkpointer thread instead of running them inside its commits. It runs
// one itself, after calling the group's completions, in two cases: to end a
// WAL cycle when the background thread has copied all but the last few
// frames (under a steady stream of commits a background checkpoint rarely
// ends with nothing left, and the WAL starts over only after one that
// does), and when the WAL has grown past kInlineCheckpointFrames all the
// same (the background one cannot keep up, or readers hold it back).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/checkpointer.h"
#include "storage/errors.h"

struct sqlite3;

namespace scrm::storage {

class Connection;
class Db;

struct WriterStats {
  std::uint64_t jobs = 0;                    // completed jobs (committed or failed)
  std::uint64_t groups = 0;                  // transactions committed
  std::uint64_t failures = 0;                // jobs completed with an error
  std::uint64_t busy_ns = 0;                 // time spent running jobs and committing
  std::uint64_t background_checkpoints = 0;  // by the Checkpointer
  std::uint64_t inline_checkpoints = 0;      // by the writer, past the WAL limit
  std::uint64_t finishing_checkpoints = 0;   // by the writer, ending a WAL cycle
};

// WAL sizes (frames): a checkpoint is asked for every kCheckpointFrames
// new frames (SQLite's own default interval), after every commit from
// kCatchUpFrames on, and the writer runs one itself at kInlineCheckpointFrames.
inline constexpr int kCheckpointFrames = 1000;
inline constexpr int kCatchUpFrames = 7000;
inline constexpr int kInlineCheckpointFrames = 10000;
// Past kCatchUpFrames, the writer copies the rest itself once a background
// checkpoint of the current WAL has left at most this many frames.
inline constexpr int kFinishFrames = 100;

// The writer thread runs this much nicer than the thread that starts it.
// Woken by the disk at the end of a commit, it then waits for the io thread
// to stop or yield rather than preempting it midway through a group's
// responses and the requests that follow them; those are what the next
// commit needs. `bench/run.sh`: about 5 % more callbacks per second at
// 32 connections, with 2 to 5 better than 0 and 8 (bench/RESULTS.md).
inline constexpr int kWriterNice = 3;

// Whether the commit that brought the WAL to `frames` (in WAL generation
// `generation`) should end the cycle with a checkpoint of its own: past
// kCatchUpFrames, the background thread's last checkpoint was of this WAL
// and left at most kFinishFrames behind, and the writer has not already
// tried after that checkpoint (`tried`; a reader holding an old snapshot can
// make a try copy less than everything, and the next try waits for the
// background thread to get further).
bool FinishCheckpointDue(int frames, std::uint64_t generation, Checkpointer::Progress last,
                         Checkpointer::Progress tried);

// Runs `notify` once the completions of the group being completed have all
// run, when called from one of them on the writer thread; at once otherwise.
// A completion that hands its result to another thread defers the wake-up
// with it, so that a group wakes that thread once rather than once per job
// (each wake-up of a thread on the writer's vCPU preempts the writer).
void AtGroupEnd(std::function<void()> notify);

class Writer {
 public:
  // Runs inside the group transaction. Throwing fails only this job.
  using Job = std::function<int(Connection&)>;
  using Done = std::function<void(Result<int>)>;
  enum class Atomicity { kSavepoint, kSingleStatement };

  // Why a job or a group's transaction failed (SQLite's message), on the
  // writer thread: the jobs' callers get only kQueryFailed.
  using FailureLog = std::function<void(const std::string&)>;

  // Takes ownership of `db`; at most `max_group` jobs per transaction.
  // `checkpoint_db`, a second connection to the same file, moves WAL
  // checkpoints off the writer's commits.
  explicit Writer(std::unique_ptr<Db> db, std::size_t max_group = 256,
                  std::unique_ptr<Db> checkpoint_db = nullptr, FailureLog failure_log = {});
  ~Writer();  // Stop()
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  struct Request {
    Job job;
    Done done;
    Atomicity atomicity = Atomicity::kSavepoint;
  };

  void Submit(Job job, Done done, Atomicity atomicity = Atomicity::kSavepoint);
  // Queues several jobs at once, in order: one lock, at most one wake-up.
  void SubmitBatch(std::vector<Request> batch);
  void Stop();
  WriterStats stats() const;
  // Waits until the Checkpointer has completed `count` checkpoints (false on
  // timeout, or without a Checkpointer).
  bool WaitForBackgroundCheckpoints(std::uint64_t count, std::chrono::milliseconds timeout);
  // Waits until the Checkpointer has nothing running or asked for (false on
  // timeout, or without a Checkpointer).
  bool WaitForCheckpointerIdle(std::chrono::milliseconds timeout);

 private:
  using Item = Request;
  void Run();
  void CommitGroup(std::deque<Item>& group);
  static int AfterCommit(void* self, sqlite3* db, const char* name, int frames);
  // Whether this commit ends the WAL cycle (FinishCheckpointDue); remembers
  // the try.
  bool FinishCycleNow(int frames);
  // A PASSIVE checkpoint on the write connection, counted in `counter`.
  void CheckpointHere(std::uint64_t WriterStats::*counter);

  std::unique_ptr<Db> db_;
  const std::size_t max_group_;
  const FailureLog failure_log_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  bool idle_ = false;       // guarded by mu_: the thread waits on cv_
  WriterStats stats_;       // guarded by mu_
  std::unique_ptr<Checkpointer> checkpointer_;
  int wal_frames_ = 0;                          // writer thread only
  int next_checkpoint_at_ = kCheckpointFrames;  // writer thread only
  std::uint64_t wal_generation_ = 0;            // writer thread only: WAL restarts seen
  Checkpointer::Progress finish_tried_;         // writer thread only
  // Writer thread only: the checkpoint AfterCommit decided on, run after the
  // group's completions.
  std::uint64_t WriterStats::*checkpoint_due_ = nullptr;
  std::thread thread_;
};

}  // namespace scrm::storage
