#include "storage/page_cache.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <new>

namespace scrm::storage {
namespace {

sqlite3_pcache_methods2 g_inner;  // the default cache
std::atomic<std::uint64_t> g_parked{0};

// One cache (one connection's database). Used by one thread at a time, as
// SQLite uses the cache itself.
struct Cache {
  sqlite3_pcache* inner;
  unsigned pending;      // the page number SQLite parks pages at
  unsigned highest = 0;  // no page held has a higher number (pending aside)
  unsigned parked = 0;   // where the page SQLite believes at `pending` is; 0: none
  sqlite3_pcache_page* parked_page = nullptr;
};

void Unpark(Cache* c) {
  c->parked = 0;
  c->parked_page = nullptr;
}

Cache* Of(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

// The number the default cache knows a page by.
unsigned Inner(const Cache* c, unsigned key) {
  return key == c->pending && c->parked != 0 ? c->parked : key;
}

int Init(void*) { return g_inner.xInit(g_inner.pArg); }

void Shutdown(void*) { g_inner.xShutdown(g_inner.pArg); }

sqlite3_pcache* Create(int page_size, int extra_size, int purgeable) {
  sqlite3_pcache* inner = g_inner.xCreate(page_size, extra_size, purgeable);
  if (inner == nullptr) return nullptr;
  auto* c = static_cast<Cache*>(sqlite3_malloc(sizeof(Cache)));
  if (c == nullptr) {
    g_inner.xDestroy(inner);
    return nullptr;
  }
  // SQLite's PENDING_BYTE is 0x40000000 and its page sits just past it.
  constexpr unsigned kPendingByte = 0x40000000u;
  new (c) Cache{inner, kPendingByte / static_cast<unsigned>(page_size) + 1};
  return reinterpret_cast<sqlite3_pcache*>(c);
}

void Cachesize(sqlite3_pcache* p, int pages) { g_inner.xCachesize(Of(p)->inner, pages); }

int Pagecount(sqlite3_pcache* p) { return g_inner.xPagecount(Of(p)->inner); }

sqlite3_pcache_page* Fetch(sqlite3_pcache* p, unsigned key, int create) {
  Cache* c = Of(p);
  if (key != c->pending) c->highest = std::max(c->highest, key);
  return g_inner.xFetch(c->inner, Inner(c, key), create);
}

void Unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  Cache* c = Of(p);
  // SQLite drops whatever is at a number before it moves a page there.
  if (discard != 0 && page == c->parked_page) Unpark(c);
  g_inner.xUnpin(c->inner, page, discard);
}

void Rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Cache* c = Of(p);
  unsigned from = Inner(c, old_key);
  if (old_key == c->pending) Unpark(c);  // back at a real number
  unsigned to = new_key;
  if (new_key == c->pending && c->parked == 0 && c->highest + 1 != 0) {
    // Nothing holds a number past `highest`, and SQLite fetches none while
    // a page is parked (it is between two moves of one swap).
    c->parked = to = ++c->highest;
    c->parked_page = page;
    g_parked.fetch_add(1, std::memory_order_relaxed);
  } else if (new_key != c->pending) {
    c->highest = std::max(c->highest, new_key);
  }
  g_inner.xRekey(c->inner, page, from, to);
}

void Truncate(sqlite3_pcache* p, unsigned limit) {
  Cache* c = Of(p);
  g_inner.xTruncate(c->inner, limit);
  // Pages from `limit` on are gone. (SQLite truncates between swaps, never
  // with a page parked.)
  if (c->parked != 0 && c->parked >= limit) Unpark(c);
  if (limit <= c->highest) c->highest = limit == 0 ? 0 : limit - 1;
}

void Destroy(sqlite3_pcache* p) {
  Cache* c = Of(p);
  g_inner.xDestroy(c->inner);
  c->~Cache();
  sqlite3_free(c);
}

void Shrink(sqlite3_pcache* p) { g_inner.xShrink(Of(p)->inner); }

}  // namespace

bool InstallPageCache() {
  // Once: a second install would wrap the wrapper.
  static const bool installed = [] {
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &g_inner) != SQLITE_OK) return false;
    static const sqlite3_pcache_methods2 kMethods = {1,         nullptr,   Init,  Shutdown, Create,
                                                     Cachesize, Pagecount, Fetch, Unpin,    Rekey,
                                                     Truncate,  Destroy,   Shrink};
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &kMethods) == SQLITE_OK;
  }();
  return installed;
}

std::uint64_t ParkedPages() { return g_parked.load(std::memory_order_relaxed); }

}  // namespace scrm::storage
