#include "bot/org.h"

#include <algorithm>

namespace scrm::bot {

Org::Org(const std::vector<TeamConfig>& teams, const std::vector<storage::OrgMember>& synced)
    : teams_(teams) {
  // The configuration wins over the synced directory.
  for (const auto& m : synced) {
    if (!m.name.empty()) names_[m.userid] = m.name;
    if (m.manager.empty() || m.manager == m.userid) continue;
    reports_[m.manager].insert(m.userid);
    manager_of_[m.userid] = m.manager;
  }
  for (const auto& team : teams) {
    for (const auto& member : team.members) {
      if (member == team.manager) continue;
      if (auto old = manager_of_.find(member); old != manager_of_.end()) {
        reports_[old->second].erase(member);
      }
      reports_[team.manager].insert(member);
      manager_of_[member] = team.manager;
    }
    reports_[team.manager];  // a manager even without members
  }
}

Org Org::Load(storage::Connection& c, const std::vector<TeamConfig>& teams) {
  auto synced = storage::OrgMembers(c);
  auto renamed = storage::RenamedReps(c);
  auto now = [&](std::string& id) {
    if (auto it = renamed.find(id); it != renamed.end()) id = it->second;
  };
  std::vector<TeamConfig> current;
  for (TeamConfig team : teams) {
    now(team.manager);
    for (auto& member : team.members) now(member);
    if (storage::RepDeparted(c, team.manager)) {
      // The manager left: the team reports to whoever they reported to in
      // the directory, or falls back to it when nobody is known.
      auto up = std::find_if(synced.begin(), synced.end(),
                             [&](const auto& m) { return m.userid == team.manager; });
      if (up == synced.end() || up->manager.empty()) continue;
      team.manager = up->manager;
    }
    // Two entries whose managers turned out to be one person: one team.
    auto same = std::find_if(current.begin(), current.end(),
                             [&](const auto& t) { return t.manager == team.manager; });
    if (same == current.end()) {
      current.push_back(std::move(team));
    } else {
      same->members.insert(same->members.end(), team.members.begin(), team.members.end());
    }
  }
  return Org(current, synced);
}

const TeamConfig* Org::TeamOf(const std::string& manager) const {
  for (const auto& team : teams_) {
    if (team.manager == manager) return &team;
  }
  return nullptr;
}

storage::Owners Org::Visible(const std::string& user) const {
  std::set<std::string> seen{user};
  std::vector<std::string> queue{user};
  while (!queue.empty()) {  // managers of managers see the whole tree
    std::string next = queue.back();
    queue.pop_back();
    auto it = reports_.find(next);
    if (it == reports_.end()) continue;
    for (const auto& member : it->second) {
      if (seen.insert(member).second) queue.push_back(member);
    }
  }
  return storage::Owners(seen.begin(), seen.end());
}

bool Org::CanSee(const std::string& user, const std::string& owner) const {
  if (user == owner) return true;
  for (std::string m = ManagerOf(owner), guard; !m.empty() && guard.size() < 64; m = ManagerOf(m)) {
    if (m == user) return true;
    guard += '.';
  }
  return false;
}

std::string Org::ManagerOf(const std::string& user) const {
  auto it = manager_of_.find(user);
  return it == manager_of_.end() ? std::string() : it->second;
}

std::string Org::NameOf(const std::string& user) const {
  std::string name = KnownNameOf(user);
  return name.empty() ? user : name;
}

std::string Org::KnownNameOf(const std::string& user) const {
  auto it = names_.find(user);
  return it == names_.end() ? std::string() : it->second;
}

}  // namespace scrm::bot
