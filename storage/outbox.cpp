#include "storage/outbox.h"

#include "storage/connection.h"
#include "storage/db.h"

namespace scrm::storage {
namespace {

constexpr const char* kColumns =
    "SELECT id, recipient, api, body, state, attempts, next_attempt_at, created_at, sent_at, "
    "last_errcode, last_error, on_reply, busy_tries FROM outbox ";

OutboxRow ReadRow(SQLite::Statement& q) {
  OutboxRow row;
  row.id = q.getColumn(0).getInt64();
  row.message.recipient = q.getColumn(1).getString();
  row.message.api = q.getColumn(2).getString();
  row.message.body = q.getColumn(3).getString();
  row.state = q.getColumn(4).getString();
  row.attempts = q.getColumn(5).getInt();
  row.next_attempt_at = q.getColumn(6).getInt64();
  row.created_at = q.getColumn(7).getInt64();
  if (!q.getColumn(8).isNull()) row.sent_at = q.getColumn(8).getInt64();
  if (!q.getColumn(9).isNull()) row.last_errcode = q.getColumn(9).getInt64();
  row.last_error = q.getColumn(10).getString();
  row.message.on_reply = q.getColumn(11).getString();
  row.busy_tries = q.getColumn(12).getInt();
  return row;
}

// Rows of `sql`, a string that lives as long as the connection: its
// address is the statement cache's key, so each is prepared once.
template <class Bind>
Result<std::vector<OutboxRow>> Query(Db& db, const std::string& sql, Bind bind) {
  try {
    Use q(db.connection(), sql.c_str());
    bind(*q);
    std::vector<OutboxRow> rows;
    while (q->executeStep()) rows.push_back(ReadRow(*q));
    return rows;
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

}  // namespace

std::int64_t EnqueueOutbox(Connection& conn, const OutboxMessage& message, std::int64_t now) {
  SQLite::Statement& q = conn.Cached(
      "INSERT INTO outbox (recipient, api, body, next_attempt_at, created_at, on_reply) "
      "VALUES (:r, :api, :body, :now, :now, :on_reply)");
  q.bind(":r", message.recipient);
  q.bind(":api", message.api);
  q.bind(":body", message.body);
  q.bind(":on_reply", message.on_reply);
  q.bind(":now", static_cast<int64_t>(now));
  q.exec();
  q.reset();
  return conn.db.getLastInsertRowid();
}

bool MarkOutboxSent(Connection& conn, std::int64_t id, std::int64_t now) {
  SQLite::Statement& q = conn.Cached(
      "UPDATE outbox SET state = 'sent', sent_at = :now, attempts = attempts + 1 "
      "WHERE id = :id AND state = 'pending'");
  q.bind(":now", static_cast<int64_t>(now));
  q.bind(":id", static_cast<int64_t>(id));
  int changed = q.exec();
  q.reset();
  return changed == 1;
}

void MarkOutboxRetry(Connection& conn, std::int64_t id, std::int64_t next_attempt_at,
                     std::int64_t errcode, const std::string& error, bool from_token) {
  SQLite::Statement& q = conn.Cached(
      "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = :next, "
      "busy_tries = CASE WHEN :token THEN busy_tries WHEN :code = -1 THEN busy_tries + 1 "
      "ELSE 0 END, "
      "last_errcode = :code, last_error = :error WHERE id = :id AND state = 'pending'");
  q.bind(":next", static_cast<int64_t>(next_attempt_at));
  q.bind(":token", from_token ? 1 : 0);
  q.bind(":code", static_cast<int64_t>(errcode));
  q.bind(":error", error);
  q.bind(":id", static_cast<int64_t>(id));
  q.exec();
  q.reset();
}

bool MarkOutboxDead(Connection& conn, std::int64_t id, std::int64_t errcode,
                    const std::string& error) {
  SQLite::Statement& q = conn.Cached(
      "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_errcode = :code, "
      "last_error = :error WHERE id = :id AND state = 'pending'");
  q.bind(":code", static_cast<int64_t>(errcode));
  q.bind(":error", error);
  q.bind(":id", static_cast<int64_t>(id));
  int changed = q.exec();
  q.reset();
  return changed == 1;
}

bool RetryDeadOutbox(Connection& conn, std::int64_t id, std::int64_t now) {
  SQLite::Statement& q = conn.Cached(
      "UPDATE outbox SET state = 'pending', next_attempt_at = :now, attempts = 0, busy_tries = 0 "
      "WHERE id = :id AND state = 'dead'");
  q.bind(":now", static_cast<int64_t>(now));
  q.bind(":id", static_cast<int64_t>(id));
  int changed = q.exec();
  q.reset();
  return changed == 1;
}

Result<std::vector<OutboxRow>> PendingOutbox(Db& db, int limit) {
  // Read on every pass of the sender.
  static const std::string kPending =
      std::string(kColumns) + "WHERE state = 'pending' ORDER BY id LIMIT ?";
  return Query(db, kPending, [&](SQLite::Statement& q) { q.bind(1, limit); });
}

Result<std::vector<OutboxRow>> PendingHeads(Db& db, const std::string& after, int limit) {
  try {
    // Served by the partial index outbox_recipient (recipient, id). A static
    // string: its address is the statement cache's key.
    static const std::string kHead = std::string(kColumns) +
                                     "WHERE state = 'pending' AND recipient > ? "
                                     "ORDER BY recipient, id LIMIT 1";
    Use q(db.connection(), kHead.c_str());
    std::vector<OutboxRow> heads;
    std::string from = after;
    while (static_cast<int>(heads.size()) < limit) {
      q->tryReset();
      q->bind(1, from);
      if (!q->executeStep()) break;
      heads.push_back(ReadRow(*q));
      from = heads.back().message.recipient;
    }
    return heads;
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

Result<std::vector<SentCall>> SentSince(Db& db, std::int64_t since) {
  try {
    SQLite::Statement q(db.connection().db,
                        "SELECT recipient, api, sent_at FROM outbox "
                        "WHERE state = 'sent' AND sent_at >= ? ORDER BY sent_at");
    q.bind(1, static_cast<int64_t>(since));
    std::vector<SentCall> calls;
    while (q.executeStep()) {
      calls.push_back(
          {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64()});
    }
    return calls;
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

Result<std::vector<OutboxRow>> ListOutbox(Db& db, bool dead_only, int limit) {
  static const std::string kAll = std::string(kColumns) + "ORDER BY id DESC LIMIT ?";
  static const std::string kDead =
      std::string(kColumns) + "WHERE state = 'dead' ORDER BY id DESC LIMIT ?";
  return Query(db, dead_only ? kDead : kAll, [&](SQLite::Statement& q) { q.bind(1, limit); });
}

Result<OutboxCounts> CountWaitingOutbox(Db& db) {
  try {
    Use q(db.connection(),
          "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'), "
          "(SELECT count(*) FROM outbox WHERE state = 'dead')");
    OutboxCounts counts;
    if (q->executeStep()) {
      counts.pending = q->getColumn(0).getInt64();
      counts.dead = q->getColumn(1).getInt64();
    }
    return counts;
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

Result<OutboxCounts> CountOutbox(Db& db) {
  try {
    SQLite::Statement q(db.connection().db, "SELECT state, count(*) FROM outbox GROUP BY state");
    OutboxCounts counts;
    while (q.executeStep()) {
      std::string state = q.getColumn(0).getString();
      std::int64_t n = q.getColumn(1).getInt64();
      if (state == "pending") counts.pending = n;
      if (state == "sent") counts.sent = n;
      if (state == "dead") counts.dead = n;
    }
    return counts;
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

std::optional<std::pair<std::string, std::int64_t>> LoadToken(Db& db, const std::string& key) {
  try {
    SQLite::Statement q(db.connection().db, "SELECT value, expires_at FROM tokens WHERE key = :k");
    q.bind(":k", key);
    if (!q.executeStep()) return std::nullopt;
    return std::make_pair(q.getColumn(0).getString(), q.getColumn(1).getInt64());
  } catch (const SQLite::Exception&) {
    return std::nullopt;
  }
}

void SaveToken(Connection& conn, const std::string& key, const std::string& value,
               std::int64_t expires_at) {
  SQLite::Statement& q = conn.Cached(
      "INSERT INTO tokens (key, value, expires_at) VALUES (:k, :v, :e) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at");
  q.bind(":k", key);
  q.bind(":v", value);
  q.bind(":e", static_cast<int64_t>(expires_at));
  q.exec();
  q.reset();
}

}  // namespace scrm::storage
