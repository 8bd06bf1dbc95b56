// Finding a rep's customers by what the rep typed.
#include "storage/crm.h"

#include <catch2/catch.hpp>

#include "storage/connection.h"
#include "tests/support/customers.h"
#include "tests/support/migrated_db.h"

using namespace scrm;

namespace {

struct Book {
  std::unique_ptr<storage::Db> db = test::MigratedDb(":memory:");

  std::int64_t Add(const std::string& owner, const std::string& name,
                   const std::string& company = "", const std::string& remark = "") {
    return storage::InsertCustomer(db->connection(),
                                   test::MakeCustomer(owner, name, company, remark, 1700000000));
  }

  std::vector<std::int64_t> Find(const storage::Owners& owners, const std::string& query,
                                 int limit = 10) {
    std::vector<std::int64_t> ids;
    for (const auto& c : storage::FindCustomers(db->connection(), owners, query, limit)) {
      ids.push_back(c.id);
    }
    return ids;
  }
};

}  // namespace

TEST_CASE("an exact name or remark wins over a partial match, in id order", "[crm]") {
  Book b;
  auto partial = b.Add("zhang", "张伟伟");
  auto by_remark = b.Add("zhang", "王五", "", "张伟");
  auto by_name = b.Add("zhang", "张伟", "甲公司");
  auto both = b.Add("zhang", "张伟", "", "张伟");  // listed once
  using V = std::vector<std::int64_t>;
  CHECK(b.Find({"zhang"}, "张伟") == V{by_remark, by_name, both});
  CHECK(b.Find({"zhang"}, "张伟", 2) == V{by_remark, by_name});
  CHECK(b.Find({"zhang"}, "伟伟") == V{partial});
  CHECK(b.Find({"zhang"}, "甲公") == V{by_name});  // part of the company
  CHECK(b.Find({"zhang"}, "赵六").empty());
}

TEST_CASE("only the given owners' customers are found, and not removed ones", "[crm]") {
  Book b;
  auto mine = b.Add("zhang", "李雷");
  auto colleague = b.Add("wang", "李雷");
  auto other_team = b.Add("zhao", "李雷");
  auto removed = b.Add("zhang", "李雷");
  storage::MarkCustomerRemoved(b.db->connection(), removed, 1700000100);
  auto partial = b.Add("wang", "李雷雷");
  using V = std::vector<std::int64_t>;
  CHECK(b.Find({"zhang"}, "李雷") == V{mine});
  CHECK(b.Find({"zhang", "wang"}, "李雷") == V{mine, colleague});  // a manager's view
  CHECK(b.Find({"wang", "zhang"}, "李雷", 1) == V{mine});          // the lowest ids first
  CHECK(b.Find({"zhang", "wang"}, "雷雷") == V{partial});
  CHECK(b.Find({"nobody"}, "李雷").empty());
  CHECK(b.Find({}, "李雷").empty());
  CHECK(other_team > 0);
}

TEST_CASE("a partial match lists at most the limit, lowest ids first", "[crm]") {
  Book b;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 12; ++i)
    ids.push_back(b.Add(i % 2 ? "zhang" : "wang", "客户" + std::to_string(i)));
  auto found = b.Find({"zhang", "wang"}, "客户", 5);
  CHECK(found == std::vector<std::int64_t>(ids.begin(), ids.begin() + 5));
  CHECK(b.Find({"zhang"}, "客户", 3) == std::vector<std::int64_t>{ids[1], ids[3], ids[5]});
}

TEST_CASE("customers due by a time, soonest first, for one rep, several or everyone", "[crm]") {
  Book b;
  auto& conn = b.db->connection();
  auto Due = [&](const std::string& owner, const std::string& name, std::int64_t at) {
    domain::Customer c = test::MakeCustomer(owner, name, "", "", 1700000000);
    c.next_follow_up_at = at;
    return storage::InsertCustomer(conn, c);
  };
  auto later = Due("zhang", "甲", 1700009000);
  auto soon = Due("zhang", "乙", 1700001000);
  auto not_yet = Due("zhang", "丙", 1700090000);
  auto removed = Due("zhang", "丁", 1700002000);
  storage::MarkCustomerRemoved(conn, removed, 1700000500);
  auto never = b.Add("zhang", "戊");  // nothing planned
  auto colleague = Due("wang", "己", 1700005000);
  auto Ids = [&](const storage::Owners& owners, int limit) {
    std::vector<std::int64_t> ids;
    for (const auto& c : storage::DueCustomers(conn, owners, 1700010000, limit))
      ids.push_back(c.id);
    return ids;
  };
  using V = std::vector<std::int64_t>;
  CHECK(Ids({"zhang"}, 50) == V{soon, later});
  CHECK(Ids({"zhang"}, 1) == V{soon});
  CHECK(Ids({"zhang", "wang"}, 50) == V{soon, colleague, later});
  CHECK(Ids({}, 50) == V{soon, colleague, later});
  CHECK(Ids({"nobody"}, 50).empty());
  CHECK(not_yet > 0);
  CHECK(never > 0);
}

TEST_CASE("whether a deal was quoted again is looked up by the deal", "[crm]") {
  auto db = test::MigratedDb(":memory:");
  // As NewerQuote and the pending-quote lists ask it.
  SQLite::Statement plan(db->connection().db,
                         "EXPLAIN QUERY PLAN SELECT 1 FROM quotes WHERE deal_id = 7 AND id > 3 "
                         "AND (status = 'recorded' OR status = 'approved') LIMIT 1");
  REQUIRE(plan.executeStep());
  CHECK(plan.getColumn(3).getString().find("quotes_deal") != std::string::npos);
}
