// The durable inbox: one row per accepted WeCom callback, unique on dedup_key.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/errors.h"
#include "storage/writer.h"

namespace scrm::storage {

class Connection;
class Db;

struct InboxRecord {
  std::string dedup_key;
  std::string kind;  // "text", "event:change_external_contact", ...
  std::string from_user;
  std::string payload;           // the decrypted inner XML
  std::int64_t received_at = 0;  // UTC epoch seconds
};

enum class InboxOutcome { kInserted = 1, kDuplicate = 2 };

struct InboxRow {
  std::int64_t id = 0;
  InboxRecord record;
  std::optional<std::int64_t> processed_at;
};

// A writer job that inserts `record` unless its dedup_key exists. Its value
// is an InboxOutcome.
Writer::Job InsertInboxJob(InboxRecord record);
// The same for `row->record`; on insert, also sets `row->id`, so the caller
// can hand the committed row on without reading it back.
Writer::Job InsertInboxJob(std::shared_ptr<InboxRow> row);

// The dispatch cursor: inbox rows with id <= it have been dispatched.
Result<std::int64_t> DispatchCursor(Db& db);
// Moves the cursor from `from` to `to` inside a Writer job; false if it was
// not at `from` (another dispatcher got there first: do not repeat the
// rows' effects).
bool AdvanceDispatchCursor(Connection& conn, std::int64_t from, std::int64_t to);

// Read side, on its own connection.
Result<std::int64_t> CountInbox(Db& db);
Result<std::optional<InboxRow>> FindInbox(Db& db, const std::string& dedup_key);
Result<std::vector<InboxRow>> ListInbox(Db& db, std::int64_t after_id, int limit);

}  // namespace scrm::storage
