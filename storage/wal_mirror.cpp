#include "storage/wal_mirror.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

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

std::atomic<std::uint64_t> g_direct_writes{0};
std::atomic<std::uint64_t> g_reads{0};

struct WalIndex {
  const volatile unsigned char* region = nullptr;
  int mappings = 0;
};

// The process's mirrors (by WAL path) and mapped wal-indexes (by database
// path).
struct Registry {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<WalMirror>> mirrors;
  std::map<std::string, WalIndex> indexes;
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
  auto existing = r.mirrors[wal_path].lock();
  if (existing && SameFile(existing->fd_, wal_path)) return existing;
  int fd = ::open(wal_path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) return nullptr;
  void* base = ::mmap(nullptr, kCapacity, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    ::close(fd);
    return nullptr;
  }
  std::string db_path = DbPathOf(wal_path);
  std::shared_ptr<WalMirror> mirror(
      new WalMirror(db_path, fd, static_cast<char*>(base), kCapacity));
  if (auto it = r.indexes.find(db_path); it != r.indexes.end()) mirror->index_ = it->second.region;
  r.mirrors[wal_path] = mirror;
  return mirror;
}

void WalMirror::IndexMapped(const std::string& db_path, const volatile void* region) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  WalIndex& index = r.indexes[db_path];
  index.region = static_cast<const volatile unsigned char*>(region);
  ++index.mappings;
  if (auto mirror = r.mirrors[db_path + "-wal"].lock()) {
    std::lock_guard mirror_lock(mirror->mu_);
    mirror->index_ = index.region;
  }
}

void WalMirror::IndexUnmapped(const std::string& db_path) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  auto it = r.indexes.find(db_path);
  if (it == r.indexes.end() || --it->second.mappings > 0) return;
  r.indexes.erase(it);
  // Readers read the salts under the mirror's lock: none is reading once
  // this returns, before the region goes away.
  if (auto mirror = r.mirrors[db_path + "-wal"].lock()) {
    std::lock_guard mirror_lock(mirror->mu_);
    mirror->index_ = nullptr;
  }
}

WalMirror::WalMirror(std::string db_path, int fd, char* base, std::size_t capacity)
    : db_path_(std::move(db_path)), fd_(fd), base_(base), capacity_(capacity) {}

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
  bool head_held = false;
  {
    std::lock_guard lock(mu_);
    if (offset == 0 && size >= kHeaderSalts + 8) {
      // The WAL starts over: a new generation, with the salts in this header.
      held_.clear();
      std::memcpy(salts_, data + kHeaderSalts, 8);
      salts_known_ = true;
    } else if (!CurrentGeneration()) {
      // Another process started the WAL over: nothing held is of it.
      held_.clear();
      salts_known_ = IndexSalts(salts_);
    }
    head_held = first == offset || Holds(first, offset);
    Drop(offset, last);
  }
  // Readers read only held bytes, and none of these is held: no lock for
  // the copies and the write.
  char* block = base_ + first;
  if (!head_held) {
    int rc = read(file, block, static_cast<int>(offset - first), first);
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
      return false;
    }
    done += n;
  }
  g_direct_writes.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (salts_known_) Keep(offset, end);
  return true;
}

void WalMirror::Forget(std::int64_t offset, std::int64_t size) {
  std::lock_guard lock(mu_);
  Drop(offset, offset + size);
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
}

WalMirror::Stats WalMirror::Totals() {
  return {g_direct_writes.load(std::memory_order_relaxed), g_reads.load(std::memory_order_relaxed)};
}

}  // namespace scrm::storage
