// The durable outbox: every outbound WeCom call, written before it is sent.
//
// Write functions run inside Writer jobs (they take the writer's
// Connection); read functions use their own Db.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/errors.h"

namespace scrm::storage {

class Connection;
class Db;

struct OutboxMessage {
  OutboxMessage() = default;
  OutboxMessage(std::string to, std::string path, std::string json, std::string then = {})
      : recipient(std::move(to)),
        api(std::move(path)),
        body(std::move(json)),
        on_reply(std::move(then)) {}

  std::string recipient;  // delivery order is kept per recipient
  std::string api;        // "/cgi-bin/message/send"
  std::string body;       // request JSON; empty for a GET (the query is in `api`)
  // What a successful reply leads to, and what WeCom refusing the call for
  // good does ("" nothing).
  std::string on_reply;
};

struct OutboxRow {
  std::int64_t id = 0;
  OutboxMessage message;
  std::string state;  // pending, sent, dead
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> sent_at;
  std::optional<std::int64_t> last_errcode;
  std::string last_error;
  int busy_tries = 0;  // WeCom's "system busy" answers in a row so far
};

// A call WeCom accepted: where it went, through which API, when (seconds).
struct SentCall {
  std::string recipient;
  std::string api;
  std::int64_t sent_at = 0;
};

struct OutboxCounts {
  std::int64_t pending = 0;
  std::int64_t sent = 0;
  std::int64_t dead = 0;
};

// Writer side. Each throws SQLite::Exception on failure (the Writer rolls
// the job back).
std::int64_t EnqueueOutbox(Connection& conn, const OutboxMessage& message, std::int64_t now);
// False when the row was not pending (already marked, or dead).
bool MarkOutboxSent(Connection& conn, std::int64_t id, std::int64_t now);
// `errcode` -1 ("busy") counts in busy_tries, any other resets it; an answer
// about the access token rather than this message (`from_token`) leaves the
// count as it is.
void MarkOutboxRetry(Connection& conn, std::int64_t id, std::int64_t next_attempt_at,
                     std::int64_t errcode, const std::string& error, bool from_token = false);
// False when the row was not pending (already marked, or dead).
bool MarkOutboxDead(Connection& conn, std::int64_t id, std::int64_t errcode,
                    const std::string& error);
// Puts a dead row back in the queue; false if `id` is not a dead row.
bool RetryDeadOutbox(Connection& conn, std::int64_t id, std::int64_t now);

// Read side. The oldest pending rows, oldest first, whether due or not: the
// sender sends only the first row of each recipient, and only when it is due,
// so a later message never overtakes an earlier one waiting for a retry.
Result<std::vector<OutboxRow>> PendingOutbox(Db& db, int limit);
// The oldest pending row of each recipient after `after` in recipient order,
// for at most `limit` recipients (one index seek each): how the sender finds
// the recipients that may receive now when the oldest rows all wait.
Result<std::vector<OutboxRow>> PendingHeads(Db& db, const std::string& after, int limit);
// Calls sent at or after `since`, oldest first (from the index
// outbox_sent): after a restart the sender's rate limits still count them.
Result<std::vector<SentCall>> SentSince(Db& db, std::int64_t since);
Result<std::vector<OutboxRow>> ListOutbox(Db& db, bool dead_only, int limit);
Result<OutboxCounts> CountOutbox(Db& db);  // reads the whole table
// Pending and dead rows only (sent stays 0), from their partial indexes.
Result<OutboxCounts> CountWaitingOutbox(Db& db);

// Stored access tokens.
std::optional<std::pair<std::string, std::int64_t>> LoadToken(Db& db, const std::string& key);
void SaveToken(Connection& conn, const std::string& key, const std::string& value,
               std::int64_t expires_at);

}  // namespace scrm::storage
