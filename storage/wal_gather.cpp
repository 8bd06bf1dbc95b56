#include "storage/wal_gather.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "storage/wal_mirror.h"

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
  sqlite3_int64 start;                 // file offset of buffer[0]
  std::shared_ptr<WalMirror>* mirror;  // commits written directly; null: through the page cache
};

// A database file: the default VFS's, with the wal-index's mapping noted
// for the WAL mirror.
struct DbFile {
  sqlite3_file base;
  sqlite3_file* real;
  std::string* path;
  const volatile void* index;  // the wal-index's first region, while mapped
};

constexpr int kHeaderSize = static_cast<int>(
    (std::max(sizeof(GatherFile), sizeof(DbFile)) + alignof(std::max_align_t) - 1) /
    alignof(std::max_align_t) * alignof(std::max_align_t));

GatherFile* Of(sqlite3_file* f) { return reinterpret_cast<GatherFile*>(f); }

int ReadReal(void* file, void* out, int size, std::int64_t offset) {
  auto* real = static_cast<sqlite3_file*>(file);
  return real->pMethods->xRead(real, out, size, offset);
}

// Writes out what is gathered: a commit's frames (`commit`, from the sync)
// directly to the disk through the mirror where there is one, anything else
// through the page cache. On failure the gathered bytes are dropped: SQLite
// gets the error from the call that asked for the flush and treats the
// transaction as failed.
int Flush(GatherFile* g, bool commit = false, bool* direct = nullptr) {
  if (g->used == 0) return SQLITE_OK;
  if (g->mirror != nullptr) {
    WalMirror& mirror = **g->mirror;
    if (commit && mirror.WriteCommit(g->buffer, g->used, g->start, ReadReal, g->real)) {
      g_flushes.fetch_add(1, std::memory_order_relaxed);
      g->used = 0;
      if (direct != nullptr) *direct = true;
      return SQLITE_OK;
    }
    mirror.Forget(g->start, g->used);
  }
  int rc = SQLITE_OK;
  for (int done = 0; done < g->used && rc == SQLITE_OK; done += kMaxWrite) {
    int size = std::min(kMaxWrite, g->used - done);
    rc = g->real->pMethods->xWrite(g->real, g->buffer + done, size, g->start + done);
    g_flushes.fetch_add(1, std::memory_order_relaxed);
  }
  g->used = 0;
  return rc;
}

// A write that bypasses the buffer, through the page cache.
int WriteThrough(GatherFile* g, const void* data, int amount, sqlite3_int64 offset) {
  if (g->mirror != nullptr) (*g->mirror)->Forget(offset, amount);
  return g->real->pMethods->xWrite(g->real, data, amount, offset);
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
  if (!g->gather) return WriteThrough(g, data, amount, offset);
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
    return WriteThrough(g, data, amount, offset);
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
  delete g->mirror;
  g->mirror = nullptr;
  return rc != SQLITE_OK ? rc : closed;
}

int Read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
  GatherFile* g = Of(f);
  int rc = Flush(g);
  if (rc != SQLITE_OK) return rc;
  if (g->mirror != nullptr && (*g->mirror)->Read(data, amount, offset)) return SQLITE_OK;
  return g->real->pMethods->xRead(g->real, data, amount, offset);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  GatherFile* g = Of(f);
  int rc = Flush(g);
  if (g->mirror != nullptr) (*g->mirror)->Truncate(size);
  return rc != SQLITE_OK ? rc : g->real->pMethods->xTruncate(g->real, size);
}

int Sync(sqlite3_file* f, int flags) {
  GatherFile* g = Of(f);
  bool direct = false;
  int rc = Flush(g, true, &direct);
  if (rc == SQLITE_OK) rc = g->real->pMethods->xSync(g->real, flags);
  if (rc != SQLITE_OK && direct) (*g->mirror)->Abandon();  // this commit's bytes, not held
  return rc;
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

// The database file's methods: the default VFS's, with the wal-index's
// first region reported to the WAL mirror while it is mapped.
DbFile* DbOf(sqlite3_file* f) { return reinterpret_cast<DbFile*>(f); }
sqlite3_file* RealOf(sqlite3_file* f) { return DbOf(f)->real; }

int DbClose(sqlite3_file* f) {
  DbFile* d = DbOf(f);
  if (d->index != nullptr) WalMirror::IndexUnmapped(*d->path, d->index);
  int rc = d->real->pMethods->xClose(d->real);
  delete d->path;
  d->path = nullptr;
  return rc;
}
int DbRead(sqlite3_file* f, void* p, int n, sqlite3_int64 o) {
  return RealOf(f)->pMethods->xRead(RealOf(f), p, n, o);
}
int DbWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 o) {
  return RealOf(f)->pMethods->xWrite(RealOf(f), p, n, o);
}
int DbTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return RealOf(f)->pMethods->xTruncate(RealOf(f), size);
}
int DbSync(sqlite3_file* f, int flags) { return RealOf(f)->pMethods->xSync(RealOf(f), flags); }
int DbFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return RealOf(f)->pMethods->xFileSize(RealOf(f), size);
}
int DbLock(sqlite3_file* f, int level) { return RealOf(f)->pMethods->xLock(RealOf(f), level); }
int DbUnlock(sqlite3_file* f, int level) { return RealOf(f)->pMethods->xUnlock(RealOf(f), level); }
int DbCheckReservedLock(sqlite3_file* f, int* out) {
  return RealOf(f)->pMethods->xCheckReservedLock(RealOf(f), out);
}
int DbFileControl(sqlite3_file* f, int op, void* arg) {
  return RealOf(f)->pMethods->xFileControl(RealOf(f), op, arg);
}
int DbSectorSize(sqlite3_file* f) { return RealOf(f)->pMethods->xSectorSize(RealOf(f)); }
int DbDeviceCharacteristics(sqlite3_file* f) {
  return RealOf(f)->pMethods->xDeviceCharacteristics(RealOf(f));
}
int DbShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  DbFile* d = DbOf(f);
  int rc = d->real->pMethods->xShmMap(d->real, region, size, extend, out);
  if (rc == SQLITE_OK && region == 0 && *out != nullptr && d->index == nullptr) {
    WalMirror::IndexMapped(*d->path, *out);
    d->index = *out;
  }
  return rc;
}
// SQLite's lock on the WAL's writing (the first of the wal-index's locks).
constexpr int kWalWriteLock = 0;
int DbShmLock(sqlite3_file* f, int offset, int n, int flags) {
  if (offset == kWalWriteLock && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE)) {
    WalMirror::WriteLockReleasing(*DbOf(f)->path);
  }
  return RealOf(f)->pMethods->xShmLock(RealOf(f), offset, n, flags);
}
void DbShmBarrier(sqlite3_file* f) { RealOf(f)->pMethods->xShmBarrier(RealOf(f)); }
int DbShmUnmap(sqlite3_file* f, int delete_flag) {
  DbFile* d = DbOf(f);
  if (d->index != nullptr) {
    WalMirror::IndexUnmapped(*d->path, d->index);  // before the region goes away
    d->index = nullptr;
  }
  return d->real->pMethods->xShmUnmap(d->real, delete_flag);
}
int DbFetch(sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
  return RealOf(f)->pMethods->xFetch(RealOf(f), o, n, out);
}
int DbUnfetch(sqlite3_file* f, sqlite3_int64 o, void* p) {
  return RealOf(f)->pMethods->xUnfetch(RealOf(f), o, p);
}

const sqlite3_io_methods kDbMethods = {3,
                                       DbClose,
                                       DbRead,
                                       DbWrite,
                                       DbTruncate,
                                       DbSync,
                                       DbFileSize,
                                       DbLock,
                                       DbUnlock,
                                       DbCheckReservedLock,
                                       DbFileControl,
                                       DbSectorSize,
                                       DbDeviceCharacteristics,
                                       DbShmMap,
                                       DbShmLock,
                                       DbShmBarrier,
                                       DbShmUnmap,
                                       DbFetch,
                                       DbUnfetch};

// The default VFS's file object, opened right after the header of `file`.
sqlite3_file* OpenReal(const char* name, sqlite3_file* file, int flags, int* out_flags, int* rc) {
  auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kHeaderSize);
  std::memset(real, 0, static_cast<std::size_t>(g_default->szOsFile));
  file->pMethods = nullptr;
  *rc = g_default->xOpen(g_default, name, real, flags, out_flags);
  if (*rc != SQLITE_OK) {
    if (real->pMethods != nullptr) real->pMethods->xClose(real);
    return nullptr;
  }
  return real;
}

int OpenDb(const char* name, sqlite3_file* file, int flags, int* out_flags) {
  int rc = SQLITE_OK;
  sqlite3_file* real = OpenReal(name, file, flags, out_flags, &rc);
  if (real == nullptr) return rc;
  if (real->pMethods->iVersion < 3) {
    // Without shared-memory methods to wrap: the default VFS's file object
    // as it is, moved to where SQLite expects it.
    real->pMethods->xClose(real);
    return g_default->xOpen(g_default, name, file, flags, out_flags);
  }
  DbFile* d = DbOf(file);
  d->real = real;
  d->path = new std::string(name);
  d->index = nullptr;
  d->base.pMethods = &kDbMethods;
  return SQLITE_OK;
}

// Without powersafe overwrite on the database (a "psow=0" URI parameter, or
// a SQLite built with it off) SQLite pads a commit to a sector boundary and
// writes part of the padding after its sync: nothing is gathered then. The
// WAL's name carries the database's URI parameters.
bool PowersafeOverwrite(const char* wal_name) {
  static const bool built_on = sqlite3_compileoption_used("POWERSAFE_OVERWRITE=0") == 0;
  return sqlite3_uri_boolean(wal_name, "psow", built_on ? 1 : 0) != 0;
}

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  const bool direct = vfs->pAppData != nullptr;
  if (direct && name != nullptr && (flags & SQLITE_OPEN_MAIN_DB) != 0) {
    return OpenDb(name, file, flags, out_flags);
  }
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Anything else: the default VFS's file object, in place.
    return g_default->xOpen(g_default, name, file, flags, out_flags);
  }
  int rc = SQLITE_OK;
  sqlite3_file* real = OpenReal(name, file, flags, out_flags, &rc);
  if (real == nullptr) return rc;
  GatherFile* g = Of(file);
  g->real = real;
  g->gather = PowersafeOverwrite(name);
  g->buffer = nullptr;
  g->used = 0;
  g->capacity = 0;
  g->start = 0;
  g->mirror = nullptr;
  if (direct && g->gather) {
    if (auto mirror = WalMirror::ForWal(name)) {
      g->mirror = new std::shared_ptr<WalMirror>(std::move(mirror));
    }
  }
  g->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

sqlite3_vfs g_direct_vfs;  // the same, with a WAL mirror

void Register() {
  g_default = sqlite3_vfs_find(nullptr);
  g_vfs = *g_default;  // every other method is the default VFS's
  g_vfs.pNext = nullptr;
  g_vfs.zName = "scrm-wal-gather";
  g_vfs.szOsFile = kHeaderSize + g_default->szOsFile;
  g_vfs.xOpen = Open;
  g_vfs.pAppData = nullptr;
  sqlite3_vfs_register(&g_vfs, 0);
  g_direct_vfs = g_vfs;
  g_direct_vfs.zName = "scrm-wal-direct";
  g_direct_vfs.pAppData = &g_direct_vfs;  // any non-null value: direct
  sqlite3_vfs_register(&g_direct_vfs, 0);
}

}  // namespace

const char* WalGatheringVfs(bool direct) {
  static std::once_flag once;
  std::call_once(once, Register);
  return direct ? g_direct_vfs.zName : g_vfs.zName;
}

WalGatherStats WalGatherTotals() {
  return {g_writes.load(std::memory_order_relaxed), g_flushes.load(std::memory_order_relaxed)};
}

}  // namespace scrm::storage
