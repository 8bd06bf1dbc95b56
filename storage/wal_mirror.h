// A process's copy of the WAL frames it committed, so that its commits can
// go to the disk with direct I/O (O_DIRECT) and its readers still read them
// from memory. Part of the WAL-gathering VFS (storage/wal_gather.h).
//
// Why: a commit written through the page cache costs, per 4 KiB page, the
// copy into the cache, marking it dirty, and at the sync the writeback of
// every page; written directly, the pages go to the disk in one request and
// the sync only flushes the disk's cache. But a direct write drops the
// file's pages from the cache, so readers (the checkpointer copying frames
// into the database, the threads reading new rows) would then read the
// frames from the disk. The mirror gives them the bytes instead.
//
// What the mirror answers for, and nothing more: byte ranges of the current
// WAL generation that this process wrote as a commit and SQLite published
// (checked in the wal-index when the write transaction ends: a commit can
// still fail after its frames are written, and another process may then
// write other frames in their place). Another
// process may write the same database (the command-line tools do, while the
// server runs): its frames are read from the file. Committed frames never
// change within a WAL generation, and a new generation (the WAL started
// over from its first frame, by whichever process) is seen by comparing the
// salts in the WAL header with the wal-index in shared memory: on a
// mismatch nothing is read from the mirror until this process commits in
// the new generation.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace scrm::storage {

class WalMirror {
 public:
  // The mirror of the WAL at `wal_path`, shared by the process's
  // connections; nullptr where direct I/O is not available (a file system
  // without O_DIRECT). It lives while a connection holds it.
  static std::shared_ptr<WalMirror> ForWal(const std::string& wal_path);

  // A connection to the database at `db_path` mapped the first region of
  // its wal-index at `region`, or is about to unmap it: the generation check
  // reads the salts there while at least one connection has it mapped.
  static void IndexMapped(const std::string& db_path, const volatile void* region);
  static void IndexUnmapped(const std::string& db_path, const volatile void* region);

  // A connection to the database at `db_path` is about to release the
  // WAL's write lock: its transaction has ended, committed or not.
  static void WriteLockReleasing(const std::string& db_path);

  ~WalMirror();
  WalMirror(const WalMirror&) = delete;
  WalMirror& operator=(const WalMirror&) = delete;

  // Reads `size` bytes at `offset` from the file, bypassing the mirror.
  using FileReader = int (*)(void* file, void* out, int size, std::int64_t offset);

  // Writes a commit's bytes [offset, offset + size) to the file with
  // direct I/O, in whole 4 KiB blocks. The start of the first block, when
  // the mirror does not hold it, is read from the file first (`read`, on
  // `file`). The mirror holds the bytes once the transaction ends with
  // SQLite having published them (WriteLockReleasing). False if the write
  // failed or the bytes do not fit the mirror: write them through the page
  // cache then.
  bool WriteCommit(const char* data, int size, std::int64_t offset, FileReader read, void* file);

  // The commit being written failed (its sync did): its bytes are not held.
  void Abandon();

  // Forgets bytes written outside WriteCommit (by the caller, through the
  // page cache) over [offset, offset + size).
  void Forget(std::int64_t offset, std::int64_t size);

  // Copies [offset, offset + size) into `out` if the mirror holds those
  // bytes for the WAL's current generation; false otherwise (read the file).
  bool Read(void* out, int size, std::int64_t offset);

  // The file was truncated to `size` bytes.
  void Truncate(std::int64_t size);

  struct Stats {
    std::uint64_t direct_writes = 0;  // commits written with direct I/O
    std::uint64_t reads = 0;          // reads answered from the mirror
  };
  static Stats Totals();

 private:
  WalMirror(int fd, char* base, std::size_t capacity);
  // The wal-index's salts, if a connection has it mapped (mu_ held).
  bool IndexSalts(unsigned char out[8]) const;
  // Whether the wal-index's salts are `salts_` (mu_ held).
  bool CurrentGeneration() const;
  bool Holds(std::int64_t begin, std::int64_t end) const;  // mu_ held
  void Keep(std::int64_t begin, std::int64_t end);         // mu_ held
  void Drop(std::int64_t begin, std::int64_t end);         // mu_ held
  void Publish();                                          // mu_ held
  // Where the wal-index says the next commit's frames go (0 when the WAL
  // has no frames: its header first); -1 if unknown (mu_ held).
  std::int64_t StartOfNextCommit() const;
  void Retire();  // mu_ held

  struct Range {
    std::int64_t begin = -1;
    std::int64_t end = -1;
  };

  const int fd_;  // O_DIRECT, write only
  char* const base_;
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::map<std::int64_t, std::int64_t> held_;  // begin -> end, disjoint, not adjacent
  unsigned char salts_[8] = {};                // of the generation held_ is in
  bool salts_known_ = false;
  // The wal-index's first region while a connection has it mapped; set by
  // the registry under mu_.
  const volatile unsigned char* index_ = nullptr;
  // What the write transaction in progress wrote directly, until it ends.
  Range pending_;
  std::atomic<bool> failed_{
      false};  // direct writes refused: every commit goes through the page cache
};

}  // namespace scrm::storage
