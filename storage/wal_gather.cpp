#include "storage/wal_gather.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace scrm::storage {
namespace {

constexpr int kFirstCapacity = 64 * 1024;
// The unix VFS writes at most 128 KiB - 1 bytes per call (larger writes come
// back short, as "disk full"): gathered bytes go out in pieces of 124 KiB.
constexpr int kMaxWrite = 124 * 1024;
constexpr int kMaxGathered = 4 * 1024 * 1024;  // larger runs are written as they come

sqlite3_vfs* g_default = nullptr;  // the wrapped VFS
sqlite3_vfs g_vfs;                 // this one
std::atomic<std::uint64_t> g_writes{0};
std::atomic<std::uint64_t> g_flushes{0};

// A WAL file: the default VFS's file object lives right after this header,
// in the same allocation.
struct GatherFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool gather;  // false: every write goes straight through
  char* buffer;
  int used;
  int capacity;
  sqlite3_int64 start;  // file offset of buffer[0]
};

constexpr int kHeaderSize = static_cast<int>((sizeof(GatherFile) + alignof(std::max_align_t) - 1) /
                                             alignof(std::max_align_t) * alignof(std::max_align_t));

GatherFile* Of(sqlite3_file* f) { return reinterpret_cast<GatherFile*>(f); }

// Writes out what is gathered. On failure the gathered bytes are dropped:
// SQLite gets the error from the call that asked for the flush and treats
// the transaction as failed.
int Flush(GatherFile* g) {
  int rc = SQLITE_OK;
  for (int done = 0; done < g->used && rc == SQLITE_OK; done += kMaxWrite) {
    int size = std::min(kMaxWrite, g->used - done);
    rc = g->real->pMethods->xWrite(g->real, g->buffer + done, size, g->start + done);
    g_flushes.fetch_add(1, std::memory_order_relaxed);
  }
  g->used = 0;
  return rc;
}

// Room for `more` bytes after what is gathered; false if that would pass
// the limit (or memory ran out).
bool Reserve(GatherFile* g, int more) {
  if (g->used + more > kMaxGathered) return false;
  if (g->used + more <= g->capacity) return true;
  int capacity = g->capacity == 0 ? kFirstCapacity : g->capacity;
  while (capacity < g->used + more) capacity *= 2;
  auto* grown = static_cast<char*>(std::realloc(g->buffer, static_cast<std::size_t>(capacity)));
  if (grown == nullptr) return false;
  g->buffer = grown;
  g->capacity = capacity;
  return true;
}

int Write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  GatherFile* g = Of(f);
  if (!g->gather) return g->real->pMethods->xWrite(g->real, data, amount, offset);
  g_writes.fetch_add(1, std::memory_order_relaxed);
  sqlite3_int64 end = g->start + g->used;
  if (g->used > 0 && offset >= g->start && offset + amount <= end) {
    // Rewriting part of what is gathered (SQLite updates a frame of the
    // transaction it is writing).
    std::memcpy(g->buffer + (offset - g->start), data, static_cast<std::size_t>(amount));
    return SQLITE_OK;
  }
  bool extends = g->used > 0 && offset == end;
  if (!extends) {
    int rc = Flush(g);
    if (rc != SQLITE_OK) return rc;
    g->start = offset;
  }
  if (!Reserve(g, amount)) {
    int rc = Flush(g);
    if (rc != SQLITE_OK) return rc;
    return g->real->pMethods->xWrite(g->real, data, amount, offset);
  }
  std::memcpy(g->buffer + g->used, data, static_cast<std::size_t>(amount));
  g->used += amount;
  return SQLITE_OK;
}

int Close(sqlite3_file* f) {
  GatherFile* g = Of(f);
  int rc = Flush(g);
  int closed = g->real->pMethods->xClose(g->real);
  std::free(g->buffer);
  g->buffer = nullptr;
  return rc != SQLITE_OK ? rc : closed;
}

int Read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
  GatherFile* g = Of(f);
  int rc = Flush(g);
  return rc != SQLITE_OK ? rc : g->real->pMethods->xRead(g->real, data, amount, offset);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  GatherFile* g = Of(f);
  int rc = Flush(g);
  return rc != SQLITE_OK ? rc : g->real->pMethods->xTruncate(g->real, size);
}

int Sync(sqlite3_file* f, int flags) {
  GatherFile* g = Of(f);
  int rc = Flush(g);
  return rc != SQLITE_OK ? rc : g->real->pMethods->xSync(g->real, flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  GatherFile* g = Of(f);
  int rc = Flush(g);
  return rc != SQLITE_OK ? rc : g->real->pMethods->xFileSize(g->real, size);
}

int Lock(sqlite3_file* f, int level) { return Of(f)->real->pMethods->xLock(Of(f)->real, level); }

int Unlock(sqlite3_file* f, int level) {
  return Of(f)->real->pMethods->xUnlock(Of(f)->real, level);
}

int CheckReservedLock(sqlite3_file* f, int* out) {
  return Of(f)->real->pMethods->xCheckReservedLock(Of(f)->real, out);
}

int FileControl(sqlite3_file* f, int op, void* arg) {
  GatherFile* g = Of(f);
  int rc = Flush(g);
  return rc != SQLITE_OK ? rc : g->real->pMethods->xFileControl(g->real, op, arg);
}

int SectorSize(sqlite3_file* f) { return Of(f)->real->pMethods->xSectorSize(Of(f)->real); }

int DeviceCharacteristics(sqlite3_file* f) {
  return Of(f)->real->pMethods->xDeviceCharacteristics(Of(f)->real);
}

// Version 1: a WAL file has no shared memory and is never memory-mapped.
const sqlite3_io_methods kWalMethods = {1,
                                        Close,
                                        Read,
                                        Write,
                                        Truncate,
                                        Sync,
                                        FileSize,
                                        Lock,
                                        Unlock,
                                        CheckReservedLock,
                                        FileControl,
                                        SectorSize,
                                        DeviceCharacteristics,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr};

// Without powersafe overwrite on the database (a "psow=0" URI parameter, or
// a SQLite built with it off) SQLite pads a commit to a sector boundary and
// writes part of the padding after its sync: nothing is gathered then. The
// WAL's name carries the database's URI parameters.
bool PowersafeOverwrite(const char* wal_name) {
  static const bool built_on = sqlite3_compileoption_used("POWERSAFE_OVERWRITE=0") == 0;
  return sqlite3_uri_boolean(wal_name, "psow", built_on ? 1 : 0) != 0;
}

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Not a WAL: the default VFS's file object, in place.
    return g_default->xOpen(g_default, name, file, flags, out_flags);
  }
  GatherFile* g = Of(file);
  auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kHeaderSize);
  std::memset(real, 0, static_cast<std::size_t>(g_default->szOsFile));
  g->base.pMethods = nullptr;
  int rc = g_default->xOpen(g_default, name, real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (real->pMethods != nullptr) real->pMethods->xClose(real);
    return rc;
  }
  g->real = real;
  g->gather = PowersafeOverwrite(name);
  g->buffer = nullptr;
  g->used = 0;
  g->capacity = 0;
  g->start = 0;
  g->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

void Register() {
  g_default = sqlite3_vfs_find(nullptr);
  g_vfs = *g_default;  // every other method is the default VFS's
  g_vfs.pNext = nullptr;
  g_vfs.zName = "scrm-wal-gather";
  g_vfs.szOsFile = kHeaderSize + g_default->szOsFile;
  g_vfs.xOpen = Open;
  sqlite3_vfs_register(&g_vfs, 0);
}

}  // namespace

const char* WalGatheringVfs() {
  static std::once_flag once;
  std::call_once(once, Register);
  return g_vfs.zName;
}

WalGatherStats WalGatherTotals() {
  return {g_writes.load(std::memory_order_relaxed), g_flushes.load(std::memory_order_relaxed)};
}

}  // namespace scrm::storage
