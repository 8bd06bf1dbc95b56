// The durable inbox: one row per accepted WeCom callback, unique on dedup_key.
#pragma once

#include <cstdint>
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

// A writer job that inserts `record` unless its dedup_key exists. Its value
// is an InboxOutcome.
Writer::Job InsertInboxJob(InboxRecord record);

struct InboxRow {
  std::int64_t id = 0;
  InboxRecord record;
  std::optional<std::int64_t> processed_at;
};

// Marks row `id` processed at `now`; false if it already was (the caller
// then must not repeat the row's effects). Runs inside a Writer job.
bool MarkInboxProcessed(Connection& conn, std::int64_t id, std::int64_t now);

// Read side, on its own connection.
Result<std::int64_t> CountInbox(Db& db);
Result<std::optional<InboxRow>> FindInbox(Db& db, const std::string& dedup_key);
Result<std::vector<InboxRow>> ListInbox(Db& db, std::int64_t after_id, int limit);
// Unprocessed rows with id > after_id, oldest first.
Result<std::vector<InboxRow>> UnprocessedInbox(Db& db, std::int64_t after_id, int limit);

}  // namespace scrm::storage
