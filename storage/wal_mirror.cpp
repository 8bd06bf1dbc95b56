#include "storage/wal_mirror.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

namespace scrm::storage {
namespace {

constexpr std::int64_t kBlock = 4096;  // direct I/O: offsets, sizes and memory in whole blocks
// Address space kept for each mirror (pages are used only as the WAL
// grows); a commit past it is written through the page cache instead.
constexpr std::size_t kCapacity = std::size_t(256) << 20;
// Where the WAL header's salts are in the wal-index header (SQLite's
// WalIndexHdr.aSalt, copied as the header's bytes 16 to 23).
constexpr std::size_t kIndexSalts = 32;
constexpr std::int64_t kHeaderSalts = 16;
// More of SQLite's WAL format: the wal-index header's page size (u16; 1
// means 65536), number of valid frames (mxFrame) and running checksums
// (aFrameCksum), native-endian; the WAL header's and a frame header's
// sizes, and where a frame header keeps its checksums (big-endian).
constexpr std::size_t kIndexPageSize = 14;
constexpr std::size_t kIndexFrames = 16;
constexpr std::size_t kIndexChecksums = 24;
constexpr std::int64_t kWalHeader = 32;
constexpr std::int64_t kFrameHeader = 24;
constexpr std::size_t kFrameChecksums = 16;

std::atomic<std::uint64_t> g_direct_writes{0};
std::atomic<std::uint64_t> g_reads{0};

// The process's mirrors (by WAL path) and mapped wal-indexes (by where
// their first region is mapped, with the database's path and how many
// connections have it mapped).
struct WalIndex {
  std::string db_path;
  int mappings = 0;
};

struct Registry {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<WalMirror>> mirrors;
  std::map<const volatile void*, WalIndex> indexes;

  std::shared_ptr<WalMirror> Mirror(const std::string& wal_path) {
    auto it = mirrors.find(wal_path);
    if (it == mirrors.end()) return nullptr;
    auto mirror = it->second.lock();
    if (!mirror) mirrors.erase(it);
    return mirror;
  }

  // The one region mapped for `db_path`; null if none, or if two files
  // have had that name (one replaced while open): then nothing is read
  // from the mirror.
  const volatile unsigned char* Region(const std::string& db_path) const {
    const volatile void* found = nullptr;
    for (const auto& [region, index] : indexes) {
      if (index.db_path != db_path) continue;
      if (found != nullptr) return nullptr;
      found = region;
    }
    return static_cast<const volatile unsigned char*>(found);
  }
};

Registry& TheRegistry() {
  static Registry* registry = new Registry;  // outlives every connection
  return *registry;
}

std::string DbPathOf(const std::string& wal_path) {
  constexpr std::string_view kSuffix = "-wal";
  if (wal_path.size() < kSuffix.size()) return {};
  return wal_path.substr(0, wal_path.size() - kSuffix.size());
}

// Whether `fd` is the file at `path` now (not one deleted since).
bool SameFile(int fd, const std::string& path) {
  struct stat open_file {};
  struct stat named {};
  return ::fstat(fd, &open_file) == 0 && ::stat(path.c_str(), &named) == 0 &&
         open_file.st_dev == named.st_dev && open_file.st_ino == named.st_ino;
}

}  // namespace

std::shared_ptr<WalMirror> WalMirror::ForWal(const std::string& wal_path) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  if (auto existing = r.Mirror(wal_path)) {
    if (SameFile(existing->fd_, wal_path)) return existing;
    // The WAL was deleted and made again under a connection that still has
    // the old one: its mirror answers for nothing from now on.
    std::lock_guard old_lock(existing->mu_);
    existing->Retire();
  }
  int fd = ::open(wal_path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) return nullptr;
  void* base = ::mmap(nullptr, kCapacity, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    ::close(fd);
    return nullptr;
  }
  std::shared_ptr<WalMirror> mirror(new WalMirror(fd, static_cast<char*>(base), kCapacity));
  mirror->index_ = r.Region(DbPathOf(wal_path));
  r.mirrors[wal_path] = mirror;
  return mirror;
}

void WalMirror::IndexMapped(const std::string& db_path, const volatile void* region) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  WalIndex& index = r.indexes[region];
  index.db_path = db_path;
  ++index.mappings;
  if (auto mirror = r.Mirror(db_path + "-wal")) {
    std::lock_guard mirror_lock(mirror->mu_);
    mirror->index_ = r.Region(db_path);
  }
}

void WalMirror::IndexUnmapped(const std::string& db_path, const volatile void* region) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  auto it = r.indexes.find(region);
  if (it == r.indexes.end() || --it->second.mappings > 0) return;
  r.indexes.erase(it);
  // Readers read the salts under the mirror's lock: none is reading there
  // once this returns, before the region goes away.
  if (auto mirror = r.Mirror(db_path + "-wal")) {
    std::lock_guard mirror_lock(mirror->mu_);
    mirror->index_ = r.Region(db_path);
    mirror->pending_ = {};  // a write transaction cannot outlive the mapping
  }
}

void WalMirror::WriteLockReleasing(const std::string& db_path) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  if (auto mirror = r.Mirror(db_path + "-wal")) {
    std::lock_guard mirror_lock(mirror->mu_);
    mirror->Publish();
  }
}

WalMirror::WalMirror(int fd, char* base, std::size_t capacity)
    : fd_(fd), base_(base), capacity_(capacity) {}

WalMirror::~WalMirror() {
  ::munmap(base_, capacity_);
  ::close(fd_);
}

bool WalMirror::IndexSalts(unsigned char out[8]) const {
  if (index_ == nullptr) return false;
  for (std::size_t i = 0; i < 8; ++i) out[i] = index_[kIndexSalts + i];
  return true;
}

bool WalMirror::CurrentGeneration() const {
  unsigned char now[8];
  return salts_known_ && IndexSalts(now) && std::memcmp(now, salts_, 8) == 0;
}

void WalMirror::Retire() {
  index_ = nullptr;
  salts_known_ = false;
  held_.clear();
  pending_ = {};
  failed_ = true;
}

namespace {

std::uint32_t BigEndian(const unsigned char* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// A native-endian integer of the wal-index header.
template <class T>
T IndexField(const volatile unsigned char* index, std::size_t offset) {
  unsigned char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = index[offset + i];
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

// A WAL frame's size by the wal-index's page size; 0 if it has none yet.
std::int64_t FrameSize(const volatile unsigned char* index) {
  const auto page_size = IndexField<std::uint16_t>(index, kIndexPageSize);
  if (page_size == 0) return 0;
  return (page_size == 1 ? 65536 : page_size) + kFrameHeader;
}

}  // namespace

// The bytes of the write transaction now ending are kept only if SQLite
// published them: the wal-index header (stable while this process still
// holds the WAL's write lock) must end at the pending range's end, with its
// salts and the checksums in the range's last frame header. A commit that
// failed after its frames were written (a failed sync, a wal-index that
// could not grow) leaves them unpublished, and another process may write
// other frames there next.
void WalMirror::Publish() {
  Range written = std::exchange(pending_, Range{});
  if (written.begin < 0 || StartOfNextCommit() != written.end || !CurrentGeneration()) return;
  const std::int64_t last_frame = written.end - FrameSize(index_);
  if (last_frame < written.begin) return;
  const auto* header = reinterpret_cast<const unsigned char*>(base_ + last_frame);
  if (BigEndian(header + kFrameChecksums) != IndexField<std::uint32_t>(index_, kIndexChecksums) ||
      BigEndian(header + kFrameChecksums + 4) !=
          IndexField<std::uint32_t>(index_, kIndexChecksums + 4)) {
    return;
  }
  Keep(written.begin, written.end);
}

std::int64_t WalMirror::StartOfNextCommit() const {
  if (index_ == nullptr) return -1;
  const auto frames = IndexField<std::uint32_t>(index_, kIndexFrames);
  if (frames == 0) return 0;  // the header first, then the frames from kWalHeader on
  const std::int64_t frame = FrameSize(index_);
  return frame == 0 ? -1 : kWalHeader + frames * frame;
}

void WalMirror::Abandon() {
  std::lock_guard lock(mu_);
  pending_ = {};
}

bool WalMirror::Holds(std::int64_t begin, std::int64_t end) const {
  auto it = held_.upper_bound(begin);
  if (it == held_.begin()) return false;
  --it;
  return it->first <= begin && end <= it->second;
}

void WalMirror::Keep(std::int64_t begin, std::int64_t end) {
  Drop(begin, end);
  auto next = held_.lower_bound(begin);
  if (next != held_.end() && next->first == end) {  // joins the range after
    end = next->second;
    held_.erase(next);
  }
  auto it = held_.lower_bound(begin);
  if (it != held_.begin() && std::prev(it)->second == begin) {  // joins the range before
    std::prev(it)->second = end;
    return;
  }
  held_[begin] = end;
}

void WalMirror::Drop(std::int64_t begin, std::int64_t end) {
  auto it = held_.lower_bound(begin);
  if (it != held_.begin() && std::prev(it)->second > begin) --it;
  while (it != held_.end() && it->first < end) {
    auto [b, e] = *it;
    it = held_.erase(it);
    if (b < begin) held_[b] = begin;
    if (e > end) held_[end] = e;
  }
}

bool WalMirror::WriteCommit(const char* data, int size, std::int64_t offset, FileReader read,
                            void* file) {
  if (size <= 0 || offset < 0) return false;
  const std::int64_t end = offset + size;
  const std::int64_t first = offset / kBlock * kBlock;
  const std::int64_t last = (end + kBlock - 1) / kBlock * kBlock;
  if (failed_ || last > static_cast<std::int64_t>(capacity_)) return false;
  bool head_known = false;
  bool continues = false;
  bool expected = false;
  {
    std::lock_guard lock(mu_);
    // The same transaction's frames after the header it synced on its own
    // (SQLite syncs a new WAL header before the first frames); any other
    // pending range is from a transaction whose end was not seen.
    continues = pending_.begin == 0 && pending_.end == kWalHeader && offset == kWalHeader;
    if (!continues) pending_ = {};
    // A commit starts where the wal-index says the WAL ends (it is not
    // published yet): otherwise this process cannot tell what the file
    // holds around it, and the mirror keeps nothing of it.
    expected = continues || offset == StartOfNextCommit();
    if (offset == 0 && size >= kHeaderSalts + 8) {
      // The WAL starts over: a new generation, with the salts in this header.
      held_.clear();
      std::memcpy(salts_, data + kHeaderSalts, 8);
      salts_known_ = true;
    } else if (!continues && !CurrentGeneration()) {
      // Another process started the WAL over: nothing held is of it.
      held_.clear();
      salts_known_ = IndexSalts(salts_);
    }
    head_known = first == offset || (expected && Holds(first, offset)) ||
                 (continues && pending_.begin <= first);
    // Readers read only held bytes: none of the block's is held while it
    // is filled and written.
    if (!head_known) Drop(first, offset);
    Drop(offset, last);
  }
  if (!head_known) {
    int rc = read(file, base_ + first, static_cast<int>(offset - first), first);
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return false;
  }
  std::memcpy(base_ + offset, data, static_cast<std::size_t>(size));
  // The bytes after the commit up to the block's end are written too, as
  // the mirror has them: past the last frame, no reader takes them for one.
  for (std::int64_t done = first; done < last;) {
    ssize_t n = ::pwrite(fd_, base_ + done, static_cast<std::size_t>(last - done), done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0 && errno == EINVAL) failed_ = true;  // the file system refused direct I/O
      Abandon();
      return false;
    }
    done += n;
  }
  g_direct_writes.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (expected) pending_ = continues ? Range{pending_.begin, end} : Range{offset, end};
  return true;
}

void WalMirror::Forget(std::int64_t offset, std::int64_t size) {
  std::lock_guard lock(mu_);
  Drop(offset, offset + size);
  if (pending_.begin < offset + size && offset < pending_.end) pending_ = {};
}

bool WalMirror::Read(void* out, int size, std::int64_t offset) {
  std::lock_guard lock(mu_);
  if (size <= 0 || !Holds(offset, offset + size) || !CurrentGeneration()) return false;
  std::memcpy(out, base_ + offset, static_cast<std::size_t>(size));
  g_reads.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void WalMirror::Truncate(std::int64_t size) {
  std::lock_guard lock(mu_);
  Drop(size, static_cast<std::int64_t>(capacity_));
  // The memory past the file's end goes back to the system, as the file's
  // blocks do.
  const std::int64_t keep = (std::max<std::int64_t>(size, 0) + kBlock - 1) / kBlock * kBlock;
  if (keep < static_cast<std::int64_t>(capacity_)) {
    ::madvise(base_ + keep, capacity_ - static_cast<std::size_t>(keep), MADV_DONTNEED);
  }
}

WalMirror::Stats WalMirror::Totals() {
  return {g_direct_writes.load(std::memory_order_relaxed), g_reads.load(std::memory_order_relaxed)};
}

}  // namespace scrm::storage
