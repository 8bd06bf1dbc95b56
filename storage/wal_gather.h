// A SQLite VFS that hands each commit's WAL writes to the kernel in a few
// large writes. SQLite writes a WAL frame as two calls (a 24-byte header,
// then the page), so a commit of N pages costs 2N pwrite calls, each
// touching one or two page-cache pages; gathered, a commit of up to 30 pages
// is one call (the unix VFS takes less than 128 KiB per call).
//
// Writes to a WAL file are kept in memory while they extend one contiguous
// range, and written out before anything else happens to the file: a sync,
// a read, a size query, a truncation, a file control, a write elsewhere, the
// close, or the buffer reaching its limit. Only connections with
// `synchronous = FULL` (or EXTRA) may use it: SQLite then syncs the WAL
// after a commit's frames and before it publishes them to other
// connections, so no reader can see a frame that is still in the buffer.
// And only with `cache_spill` off: a transaction larger than the cache
// would otherwise write frames before its commit, and if it then rolled
// back, SQLite would tell the file nothing; another connection could commit
// frames at the same offsets, and this buffer, written out later, would
// overwrite them.
// Every other file is the default VFS's own; with direct WAL writes, the
// database file's methods are wrapped to tell the WAL mirror where the
// wal-index is mapped and when a write transaction ends.
#pragma once

#include <cstdint>

namespace scrm::storage {

// Registers the VFS on first use (thread-safe); returns its name for
// sqlite3_open_v2. With `direct`, a commit's frames go to the disk with
// direct I/O and the process's readers read them from memory
// (storage/wal_mirror.h), where the file system allows it.
const char* WalGatheringVfs(bool direct = false);

struct WalGatherStats {
  std::uint64_t writes = 0;   // WAL writes SQLite made through the VFS
  std::uint64_t flushes = 0;  // writes the VFS made to the file
};

// Totals for the process (all connections), for tests and benchmarks.
WalGatherStats WalGatherTotals();

}  // namespace scrm::storage
