// Teams: from [[teams]] and from WeCom's directory (sync-org), and what each
// person may see.
#include "bot/org.h"

#include <catch2/catch.hpp>

#include "bot/sync_org.h"
#include "storage/crm.h"
#include "storage/db.h"
#include "tests/support/running_app.h"

using namespace scrm;

TEST_CASE("a manager sees the team, managers of managers the whole tree", "[org]") {
  bot::Org org({{"华东", "lisi", {"zhangsan", "wangwu"}, "", ""},
                {"总部", "boss", {"lisi", "zhaoliu"}, "", ""}},
               {});
  CHECK(org.Visible("zhangsan") == storage::Owners{"zhangsan"});
  CHECK(org.Visible("lisi") == storage::Owners{"lisi", "wangwu", "zhangsan"});
  CHECK(org.Visible("boss").size() == 5);
  CHECK(org.CanSee("boss", "zhangsan"));
  CHECK(org.CanSee("lisi", "wangwu"));
  CHECK_FALSE(org.CanSee("zhangsan", "wangwu"));
  CHECK_FALSE(org.CanSee("zhaoliu", "zhangsan"));
  CHECK(org.ManagerOf("zhangsan") == "lisi");
  CHECK(org.IsManager("lisi"));
}

TEST_CASE("the configuration wins over the synced directory", "[org]") {
  bot::Org org({{"华东", "lisi", {"zhangsan"}, "", ""}},
               {{"zhangsan", "张三", "wangwu"}, {"zhaoliu", "赵六", "wangwu"}});
  CHECK(org.ManagerOf("zhangsan") == "lisi");
  CHECK(org.ManagerOf("zhaoliu") == "wangwu");
  CHECK(org.Visible("wangwu") == storage::Owners{"wangwu", "zhaoliu"});
  CHECK(org.NameOf("zhangsan") == "张三");
  CHECK(org.NameOf("nobody") == "nobody");
}

TEST_CASE("sync-org reads departments, leaders and direct leaders from WeCom", "[org][cli]") {
  test::TempDir dir;
  test::FakeWeCom fake;
  bot::Config config = test::TestConfig(dir);
  config.wecom.api_base = fake.base_url();
  config.wecom.secret = "fake-secret";
  fake.AddDepartment({1, "公司", 0, {"boss"}});
  fake.AddDepartment({2, "华东销售", 1, {"lisi"}});
  fake.AddMember({"boss", "老板", {1}, {}});
  fake.AddMember({"lisi", "李四", {2}, {}});
  fake.AddMember({"zhangsan", "张三", {2}, {}});
  fake.AddMember({"wangwu", "王五", {2}, {"boss"}});
  test::ManualClock clock;

  REQUIRE(bot::SyncOrgCommand(config, clock) == 0);
  auto db = storage::Db::Open({config.storage.sqlite_path});
  REQUIRE(db);
  std::map<std::string, std::string> manager;
  for (const auto& m : storage::OrgMembers((*db)->connection())) manager[m.userid] = m.manager;
  CHECK(manager["zhangsan"] == "lisi");  // the department's leader
  CHECK(manager["lisi"] == "boss");      // a leader reports to the parent's leader
  CHECK(manager["wangwu"] == "boss");    // the direct leader wins
  CHECK(manager["boss"].empty());
  auto org = bot::Org::Load((*db)->connection(), {});
  CHECK(org.Visible("lisi") == storage::Owners{"lisi", "zhangsan"});
  CHECK(org.NameOf("lisi") == "李四");

  fake.FailNext("/cgi-bin/department/list", 1, 60011);  // no permission: nothing changes
  CHECK(bot::SyncOrgCommand(config, clock) == 1);
  CHECK(storage::OrgMembers((*db)->connection()).size() == 4);

  // Disabled (2) and departed (5) members are left out, and are nobody's manager.
  fake.AddMember({"lisi", "李四", {2}, {}, 5});
  fake.AddMember({"zhaoliu", "赵六", {2}, {}, 2});
  REQUIRE(bot::SyncOrgCommand(config, clock) == 0);
  manager.clear();
  for (const auto& m : storage::OrgMembers((*db)->connection())) manager[m.userid] = m.manager;
  CHECK(manager.size() == 3);
  CHECK(manager.count("lisi") == 0);
  CHECK(manager.count("zhaoliu") == 0);
  CHECK(manager["zhangsan"] == "boss");  // the department's leader left: the next one up

  // Two leaders of one department report to the parent's leader, not to
  // each other.
  fake.AddDepartment({3, "华南销售", 1, {"qianqi", "sunba"}});
  fake.AddMember({"qianqi", "钱七", {3}, {}});
  fake.AddMember({"sunba", "孙八", {3}, {}});
  fake.AddMember({"zhoujiu", "周九", {3}, {}});
  REQUIRE(bot::SyncOrgCommand(config, clock) == 0);
  manager.clear();
  for (const auto& m : storage::OrgMembers((*db)->connection())) manager[m.userid] = m.manager;
  CHECK(manager["qianqi"] == "boss");
  CHECK(manager["sunba"] == "boss");
  CHECK(manager["zhoujiu"] == "qianqi");  // the first leader

  // A member who left with customers not handed over yet stays under their
  // manager; once they are handed over, the next sync drops them.
  fake.AddMember({"zhangsan", "张三", {2}, {}, 5});
  {
    auto& c = (*db)->connection();
    domain::Customer customer;
    customer.owner = "zhangsan";
    customer.name = "王总";
    customer.created_at = 1700000000;
    auto id = storage::InsertCustomer(c, customer);
    storage::SetRepDeparted(c, "zhangsan", 1700000000);
    REQUIRE(bot::SyncOrgCommand(config, clock) == 0);
    manager.clear();
    for (const auto& m : storage::OrgMembers(c)) manager[m.userid] = m.manager;
    CHECK(manager["zhangsan"] == "boss");
    storage::MarkCustomerRemoved(c, id, 1700000100);  // handed over (or deleted)
    REQUIRE(bot::SyncOrgCommand(config, clock) == 0);
    manager.clear();
    for (const auto& m : storage::OrgMembers(c)) manager[m.userid] = m.manager;
    CHECK(manager.count("zhangsan") == 0);

    // Listed as disabled while still owning customers, the directory change
    // never seen: kept under their manager all the same.
    customer.owner = "zhoujiu";
    customer.name = "李总";
    storage::InsertCustomer(c, customer);
    fake.AddMember({"zhoujiu", "周九", {3}, {}, 2});
    REQUIRE(bot::SyncOrgCommand(config, clock) == 0);
    manager.clear();
    for (const auto& m : storage::OrgMembers(c)) manager[m.userid] = m.manager;
    CHECK(manager["zhoujiu"] == "qianqi");
    CHECK(bot::Org::Load(c, {}).Visible("qianqi") == storage::Owners{"qianqi", "zhoujiu"});
    CHECK_FALSE(storage::RepDeparted(c, "zhoujiu"));  // disabled, not gone
    // Listed as gone (5), the delete_user event never seen: departed.
    fake.AddMember({"zhoujiu", "周九", {3}, {}, 5});
    REQUIRE(bot::SyncOrgCommand(config, clock) == 0);
    CHECK(storage::RepDeparted(c, "zhoujiu"));
  }
}
