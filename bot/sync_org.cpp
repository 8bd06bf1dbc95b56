#include "bot/sync_org.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <map>
#include <set>

#include "bot/app.h"
#include "storage/connection.h"
#include "storage/crm.h"
#include "storage/db.h"
#include "wecom/api.h"
#include "wecom/directory.h"

namespace scrm::bot {
namespace {

namespace net = boost::asio;

struct Directory {
  std::vector<wecom::Department> departments;
  std::map<std::string, wecom::Member> members;  // by userid
  std::string error;
};

net::awaitable<void> Fetch(wecom::Api& api, Directory& out) {
  auto listed = co_await api.Get(wecom::kDepartmentListPath, wecom::DepartmentListQuery(0));
  auto departments = wecom::ParseDepartments(listed.body);
  if (!listed.ok() || !departments) {
    out.error = "department/list: " + (listed.ok() ? departments.error().message()
                                                   : listed.error.message() + " " + listed.errmsg);
    co_return;
  }
  out.departments = *departments;
  for (const auto& d : out.departments) {
    auto reply = co_await api.Get(wecom::kUserListPath, wecom::UserListQuery(d.id));
    auto members = wecom::ParseMemberList(reply.body);
    if (!reply.ok() || !members) {
      out.error =
          "user/list of department " + std::to_string(d.id) + ": " +
          (reply.ok() ? members.error().message() : reply.error.message() + " " + reply.errmsg);
      co_return;
    }
    for (auto& m : *members) out.members[m.userid] = std::move(m);
  }
}

// Disabled in WeCom, or left: receives nothing, approves nothing. (A member
// whose status WeCom does not report counts as active.)
bool Gone(const wecom::Member& m) { return m.status == 2 || m.status == 5; }

std::string ManagerOf(const wecom::Member& m, const Directory& directory,
                      const std::map<std::int64_t, wecom::Department>& by_id) {
  auto can_lead = [&](const std::string& leader) {
    auto found = directory.members.find(leader);
    return leader != m.userid && (found == directory.members.end() || !Gone(found->second));
  };
  for (const auto& leader : m.direct_leader) {
    if (can_lead(leader)) return leader;
  }
  std::int64_t dept =
      m.main_department ? m.main_department : (m.departments.empty() ? 0 : m.departments.front());
  for (int depth = 0; depth < 32 && by_id.count(dept); ++depth) {
    const auto& d = by_id.at(dept);
    // A leader of the department (one of several, say) is led from above,
    // not by a co-leader.
    bool leads = std::find(d.leaders.begin(), d.leaders.end(), m.userid) != d.leaders.end();
    for (const auto& leader : d.leaders) {
      if (!leads && can_lead(leader)) return leader;
    }
    dept = d.parent_id;  // no leader here for the member: look one level up
  }
  return {};
}

// Members who left and still have customers waiting to be handed over
// (离职继承) stay under their manager: the directory no longer lists them,
// and their manager still needs to see those customers.
void KeepDeparted(storage::Connection& c, std::vector<storage::OrgMember>& members) {
  std::set<std::string> listed;
  for (const auto& m : members) listed.insert(m.userid);
  for (auto& m : storage::OrgMembers(c)) {
    if (listed.count(m.userid) || !storage::RepDeparted(c, m.userid)) continue;
    if (storage::CountActiveCustomers(c, m.userid) > 0) members.push_back(std::move(m));
  }
}

}  // namespace

int SyncOrgCommand(const Config& config, const domain::Clock& clock) {
  auto migrated = RunMigrations(config, clock);
  if (auto* error = std::get_if<std::string>(&migrated)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 1;
  }
  auto db = storage::Db::Open({config.storage.sqlite_path});
  if (!db) return 1;
  net::io_context ioc;
  wecom::HttpClientOptions options;
  options.ca_file = config.wecom.ca_file;
  wecom::HttpClient client(ioc.get_executor(), options);
  auto now = [&clock] { return clock.Now().time_since_epoch().count(); };
  wecom::TokenCache tokens(client, config.wecom.api_base, config.wecom.corp_id, config.wecom.secret,
                           now, nullptr);
  wecom::Api api(client, tokens, config.wecom.api_base);
  Directory directory;
  net::co_spawn(ioc, Fetch(api, directory), net::detached);
  ioc.run();
  if (!directory.error.empty()) {
    std::fprintf(stderr, "sync-org failed: %s\n", directory.error.c_str());
    return 1;
  }
  std::map<std::int64_t, wecom::Department> by_id;
  for (const auto& d : directory.departments) by_id[d.id] = d;
  std::vector<storage::OrgMember> members;
  int managed = 0;
  auto& conn = (*db)->connection();
  try {
    SQLite::Transaction tx(conn.db);
    for (const auto& [id, m] : directory.members) {
      // Listed as gone from the company (5) while their delete_user event
      // was never seen: departed, as that event would have made them (their
      // customers' failed transfers go to their manager, say).
      if (m.status == 5 && !storage::RepDeparted(conn, m.userid)) {
        storage::SetRepDeparted(conn, m.userid, now());
      }
      // Disabled or left, with customers still theirs: kept under their
      // manager, who still needs to see those customers.
      if (Gone(m) && storage::CountActiveCustomers(conn, m.userid) == 0) continue;
      members.push_back({m.userid, m.name, ManagerOf(m, directory, by_id)});
      managed += !members.back().manager.empty();
    }
    KeepDeparted(conn, members);
    storage::ReplaceOrgMembers(conn, members, now());
    tx.commit();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot store the org: %s\n", e.what());
    return 1;
  }
  std::printf("synced %zu departments and %zu members (%d with a manager)\n",
              directory.departments.size(), members.size(), managed);
  return 0;
}

}  // namespace scrm::bot
