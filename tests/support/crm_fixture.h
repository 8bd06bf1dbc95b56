// A migrated temporary database with the CRM handlers' context, for tests
// that run rep commands and customer events directly (no server).
#pragma once

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "bot/crm_context.h"
#include "bot/rep_commands.h"
#include "storage/connection.h"
#include "storage/crm.h"
#include "storage/db.h"
#include "storage/migrate.h"
#include "tests/support/temp_dir.h"

namespace scrm::test {

inline bot::Templates LoadTemplates() {
  std::string error;
  auto t = bot::Templates::Load(SCRM_SOURCE_DIR "/templates", bot::RequiredTemplates(), error);
  INFO(error);
  REQUIRE(t);
  return *t;
}

// The "content" of a message/send body ("" when there is none).
inline std::string ContentOf(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("text")) return {};
  return doc["text"]["content"].GetString();
}

struct CrmFixture {
  CrmFixture() : templates(LoadTemplates()), funnel(domain::Funnel::Default()) {
    config.wecom.agent_id = 1000002;
    auto opened = storage::Db::Open({dir.File("crm.db")});
    REQUIRE(opened);
    db = std::move(*opened);
    REQUIRE(storage::Migrate(*db, now));
  }

  storage::Connection& conn() { return db->connection(); }

  bot::CrmContext Context() {
    org = bot::Org::Load(conn(), config.teams);
    return bot::CrmContext{config, funnel, templates, org, now};
  }

  // Runs `text` from `rep` in one transaction; returns the reply texts.
  std::vector<std::string> Say(const std::string& rep, const std::string& text) {
    last = bot::RunRepMessage(conn(), rep, text, Context());
    std::vector<std::string> out;
    for (const auto& m : last) {
      CHECK(m.recipient == "user:" + rep);
      out.push_back(ContentOf(m.body));
    }
    return out;
  }
  // A customer of `owner` named `name`, added at `created_at`; its id.
  std::int64_t AddCustomer(const std::string& owner, const std::string& name,
                           std::int64_t created_at) {
    domain::Customer c;
    c.owner = owner;
    c.name = name;
    c.created_at = created_at;
    return storage::InsertCustomer(conn(), c);
  }
  // The single reply to `text`.
  std::string Reply(const std::string& rep, const std::string& text) {
    auto out = Say(rep, text);
    REQUIRE(out.size() == 1);
    return out[0];
  }

  TempDir dir;
  bot::Config config;
  bot::Templates templates;
  domain::Funnel funnel;
  bot::Org org;
  std::unique_ptr<storage::Db> db;
  std::int64_t now = 1764032400;  // 2025-11-25 09:00 in Asia/Shanghai, a Tuesday
  bot::Messages last;
};

}  // namespace scrm::test
