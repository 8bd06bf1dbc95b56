// The corp directory (通讯录): members and departments, read to build teams
// (who manages whom).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wecom/errors.h"

namespace scrm::wecom {

inline constexpr const char* kUserGetPath = "/cgi-bin/user/get";
inline constexpr const char* kUserListPath = "/cgi-bin/user/list";
inline constexpr const char* kDepartmentListPath = "/cgi-bin/department/list";

struct Member {
  std::string userid;
  std::string name;
  std::vector<std::int64_t> departments;
  std::vector<bool> is_leader_in_dept;  // parallel to departments
  std::int64_t main_department = 0;
  std::string position;
  std::vector<std::string> direct_leader;
  int status = 0;  // 1 active, 2 disabled, 4 not yet active, 5 left
};

// user/get?userid=
std::string UserGetQuery(std::string_view userid);
// kBadJson when the reply has no userid.
Result<Member> ParseMember(std::string_view json);

// user/list?department_id= (members of one department; the app must see it)
std::string UserListQuery(std::int64_t department_id);
Result<std::vector<Member>> ParseMemberList(std::string_view json);

struct Department {
  std::int64_t id = 0;
  std::string name;
  std::int64_t parent_id = 0;
  std::int64_t order = 0;
  std::vector<std::string> leaders;  // department_leader
};
// department/list[?id=] (the department and all below it; every visible one
// when id is 0).
std::string DepartmentListQuery(std::int64_t id);
Result<std::vector<Department>> ParseDepartments(std::string_view json);

}  // namespace scrm::wecom
