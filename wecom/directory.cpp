#include "wecom/directory.h"

#include "wecom/api.h"
#include "wecom/json.h"

namespace scrm::wecom {
namespace {

Member ReadMember(const json::Node& n) {
  Member m;
  m.userid = json::Str(n, "userid");
  m.name = json::Str(n, "name");
  m.departments = json::Ints(n, "department");
  for (auto flag : json::Ints(n, "is_leader_in_dept")) m.is_leader_in_dept.push_back(flag != 0);
  m.main_department = json::Int(n, "main_department");
  m.position = json::Str(n, "position");
  m.direct_leader = json::Strs(n, "direct_leader");
  m.status = static_cast<int>(json::Int(n, "status"));
  return m;
}

}  // namespace

std::string UserGetQuery(std::string_view userid) { return "userid=" + QueryEscape(userid); }

Result<Member> ParseMember(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  Member m = ReadMember(*doc);
  if (m.userid.empty()) return Errc::kBadJson;
  return m;
}

std::string UserListQuery(std::int64_t department_id) {
  return "department_id=" + std::to_string(department_id);
}

Result<std::vector<Member>> ParseMemberList(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  if (!json::Find(*doc, "userlist")) return Errc::kBadJson;
  std::vector<Member> members;
  json::ForEach(*doc, "userlist", [&](const json::Node& n) { members.push_back(ReadMember(n)); });
  return members;
}

std::string DepartmentListQuery(std::int64_t id) {
  return id > 0 ? "id=" + std::to_string(id) : std::string();
}

Result<std::vector<Department>> ParseDepartments(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  if (!json::Find(*doc, "department")) return Errc::kBadJson;
  std::vector<Department> out;
  json::ForEach(*doc, "department", [&](const json::Node& n) {
    out.push_back({json::Int(n, "id"), json::Str(n, "name"), json::Int(n, "parentid"),
                   json::Int(n, "order"), json::Strs(n, "department_leader")});
  });
  return out;
}

}  // namespace scrm::wecom
