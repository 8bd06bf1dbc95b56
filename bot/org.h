// Who may see whose customers: each rep their own; a manager also those of
// the team's members. Teams come from [[teams]] in the configuration and
// from the org synced from WeCom (`scrm-bot sync-org`).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "bot/config.h"
#include "storage/crm.h"

namespace scrm::bot {

class Org {
 public:
  Org() = default;
  Org(const std::vector<TeamConfig>& teams, const std::vector<storage::OrgMember>& synced);
  // The configured teams, their userids as WeCom has them now (a member
  // renamed since the configuration was written keeps their place).
  static Org Load(storage::Connection& c, const std::vector<TeamConfig>& teams);

  // `user` and everyone they manage, sorted.
  storage::Owners Visible(const std::string& user) const;
  bool CanSee(const std::string& user, const std::string& owner) const;
  // The member's manager ("" when none is known).
  std::string ManagerOf(const std::string& user) const;
  std::string NameOf(const std::string& user) const;  // the synced name, or the userid
  // The synced name, or "" when none is known (for text a customer reads).
  std::string KnownNameOf(const std::string& user) const;
  bool IsManager(const std::string& user) const { return reports_.count(user) > 0; }
  // Managers and their members.
  const std::map<std::string, std::set<std::string>>& reports() const { return reports_; }
  // The configured team `manager` leads, or null.
  const TeamConfig* TeamOf(const std::string& manager) const;

 private:
  std::map<std::string, std::set<std::string>> reports_;  // manager → members
  std::map<std::string, std::string> manager_of_;
  std::map<std::string, std::string> names_;
  std::vector<TeamConfig> teams_;
};

}  // namespace scrm::bot
