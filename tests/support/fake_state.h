// What the fake WeCom remembers between calls: customers, the directory,
// corp tags, approvals, used welcome codes and card response codes. It
// answers each API in WeCom's wire format. Not thread-safe: FakeWeCom
// guards it with its lock.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace scrm::test {

// The approval template the fake knows, with controls Text-1 (客户),
// Money-1 (金额) and Number-1 (折扣).
inline constexpr const char* kFakeTemplateId = "fake-discount-template";

// The raw value of `name` in a query string ("" when absent).
std::string QueryValue(const std::string& query, const std::string& name);

struct FakeCustomer {
  std::string external_userid;
  std::string name;
  std::string corp_name;
  std::string follow_userid;  // the member who added the customer
  std::string state;          // the contact-way state (channel)
  std::string remark;
  std::vector<std::string> tag_ids;
};

struct FakeMember {
  std::string userid;
  std::string name;
  std::vector<std::int64_t> departments;
  std::vector<std::string> direct_leader;
  int status = 1;  // 1 active, 2 disabled, 4 not yet active, 5 left
};

struct FakeDepartment {
  std::int64_t id = 0;
  std::string name;
  std::int64_t parent_id = 0;
  std::vector<std::string> leaders;
};

struct FakeApproval {
  std::string sp_no;
  std::string creator;
  std::string template_id;
  std::vector<std::string> approvers;
  int status = 1;
  std::string speech;
  std::string body;  // the applyevent request
};

// The answer to one successful-token call: errcode 0 plus the API's fields,
// or an errcode of its own.
struct FakeAnswer {
  int errcode = 0;
  std::string fields;  // ,"key":value... appended after errcode/errmsg
  std::string errmsg = "ok";
};

class FakeState {
 public:
  FakeAnswer Answer(const std::string& path, const std::string& query, const std::string& body);

  std::map<std::string, FakeCustomer> customers;
  std::map<std::string, FakeMember> members;
  std::map<std::int64_t, FakeDepartment> departments;
  std::map<std::string, FakeApproval> approvals;
  // Members without an interface licence: message/send answers 0 and names
  // them in unlicenseduser instead of delivering to them.
  std::set<std::string> unlicensed;
  // group id -> (group name, tag id -> tag name)
  std::map<std::string, std::pair<std::string, std::map<std::string, std::string>>> tag_groups;

  // A response_code that a card click callback carried, so that
  // update_template_card accepts it (once).
  void IssueResponseCode(const std::string& code) { issued_response_codes_.insert(code); }

 private:
  FakeAnswer Customer(const std::string& query);
  FakeAnswer CustomersOf(const std::string& body);
  FakeAnswer Remark(const std::string& body);
  FakeAnswer MarkTag(const std::string& body);
  FakeAnswer TagList();
  FakeAnswer AddTags(const std::string& body);
  FakeAnswer Welcome(const std::string& body);
  FakeAnswer MassMessage(const std::string& body);
  FakeAnswer UserGet(const std::string& query);
  FakeAnswer UserList(const std::string& query);
  FakeAnswer DepartmentList();
  FakeAnswer TemplateDetail(const std::string& body);
  FakeAnswer ApplyEvent(const std::string& body);
  FakeAnswer ApprovalDetail(const std::string& body);
  FakeAnswer MessageSend(const std::string& body);
  FakeAnswer UpdateCard(const std::string& body);
  std::string NextId(const std::string& prefix);

  std::uint64_t next_ = 1;
  std::set<std::string> used_welcome_codes_;
  std::set<std::string> issued_response_codes_;
};

}  // namespace scrm::test
