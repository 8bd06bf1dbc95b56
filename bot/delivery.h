// The delivery worker: its own thread and io_context, so API calls and
// database reads never delay the callback server.
//
// It turns stored callbacks into outbox rows (each inbox row once, in the
// same transaction that moves the dispatch cursor past it) and sends pending outbox rows
// through the WeCom API: in order per recipient, with retries and backoff for
// transient errors, dead-lettering permanent ones, within the per-member rate
// limit. A row acknowledged by WeCom is marked sent and never sent again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "bot/config.h"
#include "domain/clock.h"

namespace scrm::storage {
class Connection;
class Writer;
struct InboxRow;
}  // namespace scrm::storage

namespace scrm::bot {

class Metrics;
class Templates;

// Inside a writer job: marks outbox row `id` sent at `now`, then runs
// `apply` (what WeCom's answer leads to) in a savepoint of its own. When
// `apply` throws, its changes are undone and the row stays sent: WeCom has
// the message. Returns what `apply` returned, or -1 when it threw; 0
// without running `apply` when the row was no longer pending (a mark
// written again after its first write landed late after all).
int RecordSent(storage::Connection& c, std::int64_t id, std::int64_t now,
               const std::function<int()>& apply);
// Inside a writer job, after outbox row `id` was marked (sent or dead):
// runs `apply` in a savepoint; when it throws, its changes are undone and
// the mark stays. Returns what `apply` returned, or -1 when it threw.
int ApplyAfterMark(storage::Connection& c, std::int64_t id, const std::function<int()>& apply);

class Delivery {
 public:
  // All references must outlive the worker. Returns an error message when
  // the database cannot be opened.
  static std::variant<std::unique_ptr<Delivery>, std::string> Create(const Config& config,
                                                                     storage::Writer& writer,
                                                                     const Templates& templates,
                                                                     Metrics& metrics,
                                                                     const domain::Clock& clock);
  ~Delivery();  // Stop()

  void Start();
  // Thread-safe: there may be new inbox or outbox rows, or time has moved.
  void Wake();
  // Thread-safe: `row` was just committed to the inbox. Hands it over so it
  // need not be read back (the database stays the source of truth: rows
  // that are not handed over, or not in order, are read from there), and
  // wakes the worker.
  void Stored(storage::InboxRow&& row);
  // Thread-safe: finishes the API calls in flight (bounded by their
  // timeouts), records their outcome, and joins the thread.
  void Stop();

 private:
  struct Impl;
  explicit Delivery(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace scrm::bot
