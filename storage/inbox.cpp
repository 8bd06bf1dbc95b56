#include "storage/inbox.h"

#include "storage/connection.h"
#include "storage/db.h"

namespace scrm::storage {
namespace {

constexpr const char* kSelect =
    "SELECT id, dedup_key, kind, from_user, payload, received_at, processed_at FROM inbox ";

constexpr const char* kInsert =
    "INSERT INTO inbox (dedup_key, kind, from_user, payload, received_at) "
    "VALUES (:k, :kind, :from, :payload, :at) ON CONFLICT (dedup_key) DO NOTHING";

InboxRow ReadRow(SQLite::Statement& q) {
  InboxRow row;
  row.id = q.getColumn(0).getInt64();
  row.record.dedup_key = q.getColumn(1).getString();
  row.record.kind = q.getColumn(2).getString();
  row.record.from_user = q.getColumn(3).getString();
  row.record.payload = q.getColumn(4).getString();
  row.record.received_at = q.getColumn(5).getInt64();
  if (!q.getColumn(6).isNull()) row.processed_at = q.getColumn(6).getInt64();
  return row;
}

}  // namespace

Writer::Job InsertInboxJob(std::shared_ptr<InboxRow> row) {
  return [row = std::move(row)](Connection& conn) {
    const InboxRecord& record = row->record;
    SQLite::Statement& insert = conn.Cached(kInsert);
    // By position, in the order of kInsert, and without copies: `row`
    // outlives the statement's use.
    insert.bindNoCopy(1, record.dedup_key);
    insert.bindNoCopy(2, record.kind);
    insert.bindNoCopy(3, record.from_user);
    insert.bindNoCopy(4, record.payload);
    insert.bind(5, static_cast<int64_t>(record.received_at));
    int changed = insert.exec();
    insert.reset();
    if (changed != 1) return static_cast<int>(InboxOutcome::kDuplicate);
    row->id = conn.db.getLastInsertRowid();
    return static_cast<int>(InboxOutcome::kInserted);
  };
}

Writer::Job InsertInboxJob(InboxRecord record) {
  auto row = std::make_shared<InboxRow>();
  row->record = std::move(record);
  return InsertInboxJob(std::move(row));
}

Result<std::int64_t> DispatchCursor(Db& db) {
  try {
    return db.connection()
        .db.execAndGet("SELECT last_inbox_id FROM dispatch_cursor WHERE id = 1")
        .getInt64();
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

bool AdvanceDispatchCursor(Connection& conn, std::int64_t from, std::int64_t to) {
  SQLite::Statement& q = conn.Cached(
      "UPDATE dispatch_cursor SET last_inbox_id = :to WHERE id = 1 AND last_inbox_id = :from");
  q.bind(":to", static_cast<int64_t>(to));
  q.bind(":from", static_cast<int64_t>(from));
  int changed = q.exec();
  q.reset();
  return changed == 1;
}

Result<std::int64_t> CountInbox(Db& db) {
  try {
    return db.connection().db.execAndGet("SELECT count(*) FROM inbox").getInt64();
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

Result<std::optional<InboxRow>> FindInbox(Db& db, const std::string& dedup_key) {
  try {
    SQLite::Statement q(db.connection().db, std::string(kSelect) + "WHERE dedup_key = :k");
    q.bind(":k", dedup_key);
    if (!q.executeStep()) return std::optional<InboxRow>();
    return std::optional<InboxRow>(ReadRow(q));
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

Result<std::vector<InboxRow>> ListInbox(Db& db, std::int64_t after_id, int limit) {
  try {
    // Read whenever dispatch falls behind: prepared once (the static
    // string's address is the statement cache's key).
    static const std::string kAfter = std::string(kSelect) + "WHERE id > ? ORDER BY id LIMIT ?";
    Use q(db.connection(), kAfter.c_str());
    q->bind(1, static_cast<int64_t>(after_id));
    q->bind(2, limit);
    std::vector<InboxRow> rows;
    while (q->executeStep()) rows.push_back(ReadRow(*q));
    return rows;
  } catch (const SQLite::Exception&) {
    return Errc::kQueryFailed;
  }
}

}  // namespace scrm::storage
