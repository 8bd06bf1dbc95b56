// SQLite's own page cache, with one habit of it made cheap.
//
// When SQLite splits a B-tree page it renumbers the new pages so that they
// lie in order in the file, swapping two of them through a spare page
// number: the one of the "pending byte" page (262,145 with 4 KiB pages),
// which no data ever uses. The default page cache remembers the highest page
// number it has held, and at the end of every transaction drops the pages
// past the end of the database; with that spare number as the highest, it
// walks its whole hash table to do so. Under a stream of inserts that is
// most commits, and the walk costs as much as a few inserts.
//
// This wraps the default cache and parks such a page at the first number
// past every page it holds instead, so the highest number stays close to the
// end of the database and the walk covers a few buckets. Everything else is
// the default cache's own.
#pragma once

#include <cstdint>

namespace scrm::storage {

// Installs the wrapper; call before SQLite is first used. False if SQLite
// was already initialised (the default cache then stays, unchanged).
bool InstallPageCache();

// Pages parked at another number instead of the pending byte page's, for
// tests and benchmarks.
std::uint64_t ParkedPages();

}  // namespace scrm::storage
