// Copies committed WAL frames into the database file on a thread and a
// connection of its own, so that no commit waits for it. Left to SQLite, the
// commit that makes the WAL reach 1,000 frames runs the checkpoint itself
// (hundreds of scattered page writes and an fsync of the database file):
// every callback in that group waited several milliseconds, which set the
// p99 of the callback latency (bench/RESULTS.md).
//
// The Writer asks for a checkpoint after its commits (Request()); one runs
// at a time, in PASSIVE mode: it never waits for the writer or for readers,
// and copies what no reader still needs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace scrm::storage {

class Db;

class Checkpointer {
 public:
  explicit Checkpointer(std::unique_ptr<Db> db);
  ~Checkpointer();  // Stop()
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // What the last completed checkpoint left: it was asked for with `tag`
  // and found `copied` WAL frames in the database file when it was done
  // (-1: none yet).
  struct Progress {
    std::uint64_t tag = 0;
    int copied = -1;
    bool operator==(const Progress&) const = default;
  };

  // Any thread; cheap when a checkpoint is already due. `tag` comes back in
  // the Progress of the checkpoint that serves this request (the Writer
  // passes the WAL's generation, so that it can tell a checkpoint of the
  // current WAL from one of the WAL before it started over).
  void Request(std::uint64_t tag);
  Progress last() const;
  // Finishes the checkpoint under way, then joins the thread.
  void Stop();
  // Checkpoints completed so far.
  std::uint64_t done() const;
  // Waits until `count` checkpoints have completed (false on timeout).
  bool WaitForDone(std::uint64_t count, std::chrono::milliseconds timeout);
  // Waits until no checkpoint is running or asked for (false on timeout).
  bool WaitForIdle(std::chrono::milliseconds timeout);

 private:
  void Run();

  std::unique_ptr<Db> db_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;  // guarded by mu_
  bool running_ = false;    // guarded by mu_
  std::uint64_t tag_ = 0;   // guarded by mu_: of the latest request
  Progress last_;           // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::uint64_t done_ = 0;  // guarded by mu_
  std::thread thread_;
};

}  // namespace scrm::storage
