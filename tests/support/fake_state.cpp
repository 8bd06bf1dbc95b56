#include "tests/support/fake_state.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

namespace scrm::test {
namespace {

std::string Q(const std::string& s) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  return buffer.GetString();
}

std::string List(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? "," : "") + Q(item);
  return out + "]";
}

struct Body {
  explicit Body(const std::string& text) { doc.Parse(text.c_str()); }
  bool ok() const { return !doc.HasParseError() && doc.IsObject(); }
  std::string Str(const char* key) const {
    auto it = doc.FindMember(key);
    return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  }
  std::vector<std::string> Strs(const char* key) const {
    std::vector<std::string> out;
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsArray()) return out;
    for (const auto& v : it->value.GetArray()) {
      if (v.IsString()) out.emplace_back(v.GetString());
    }
    return out;
  }
  const rapidjson::Value* Find(const char* key) const {
    auto it = doc.FindMember(key);
    return it == doc.MemberEnd() ? nullptr : &it->value;
  }
  rapidjson::Document doc;
};

const FakeAnswer kBadRequest{40058, "", "invalid parameter"};

// "a|b|c" as its parts.
std::vector<std::string> SplitBars(const std::string& joined) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= joined.size()) {
    std::size_t bar = std::min(joined.find('|', start), joined.size());
    if (bar > start) parts.push_back(joined.substr(start, bar - start));
    start = bar + 1;
  }
  return parts;
}

std::string ContactJson(const FakeCustomer& c) {
  return "{\"external_userid\":" + Q(c.external_userid) + ",\"name\":" + Q(c.name) +
         ",\"corp_name\":" + Q(c.corp_name) + ",\"type\":1,\"gender\":0}";
}

std::string FollowJson(const FakeCustomer& c, bool ids_only) {
  std::string tags = ids_only ? ",\"tag_id\":" + List(c.tag_ids) : ",\"tags\":[";
  if (!ids_only) {
    for (size_t i = 0; i < c.tag_ids.size(); ++i) {
      tags += std::string(i ? "," : "") + "{\"tag_id\":" + Q(c.tag_ids[i]) + ",\"type\":1}";
    }
    tags += "]";
  }
  return "{\"userid\":" + Q(c.follow_userid) + ",\"remark\":" + Q(c.remark) +
         ",\"createtime\":1700000000,\"add_way\":1,\"state\":" + Q(c.state) + tags + "}";
}

std::string MemberJson(const FakeMember& m) {
  std::string departments = "[";
  for (size_t i = 0; i < m.departments.size(); ++i) {
    departments += (i ? "," : "") + std::to_string(m.departments[i]);
  }
  return "{\"userid\":" + Q(m.userid) + ",\"name\":" + Q(m.name) +
         ",\"department\":" + departments + "],\"direct_leader\":" + List(m.direct_leader) +
         ",\"status\":" + std::to_string(m.status) + "}";
}

// What WeCom finds wrong in an applyevent's apply_data for the fake
// template (its three required controls, each with its type's value key as a
// string), as its errmsg; empty when nothing.
std::string ApplyDataProblem(const Body& b) {
  const rapidjson::Value* data = b.Find("apply_data");
  const rapidjson::Value* contents =
      data && data->IsObject() && data->HasMember("contents") ? &(*data)["contents"] : nullptr;
  if (contents == nullptr || !contents->IsArray()) return "apply_data.contents missing";
  struct Required {
    const char* control;
    const char* id;
    const char* key;
  };
  for (Required r : {Required{"Text", "Text-1", "text"}, Required{"Money", "Money-1", "new_money"},
                     Required{"Number", "Number-1", "new_number"}}) {
    bool found = false;
    for (const auto& c : contents->GetArray()) {
      if (!c.IsObject() || !c.HasMember("id") || !c["id"].IsString() || c["id"] != r.id) continue;
      found = c.HasMember("control") && c["control"].IsString() && c["control"] == r.control &&
              c.HasMember("value") && c["value"].IsObject() && c["value"].HasMember(r.key) &&
              c["value"][r.key].IsString();
      if (!found) return std::string("control ") + r.id + " value error";
    }
    if (!found) return std::string("has no require control ") + r.id;
  }
  return "";
}

// The apply_data of an applyevent request, as WeCom gives it back.
std::string ApplyData(const std::string& request) {
  Body b(request);
  const rapidjson::Value* data = b.Find("apply_data");
  if (data == nullptr) return "{\"contents\":[]}";
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  data->Accept(writer);
  return out.GetString();
}

}  // namespace

std::string QueryValue(const std::string& query, const std::string& name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(pos, end - pos);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    pos = end + 1;
  }
  return {};
}

std::string FakeState::NextId(const std::string& prefix) {
  return prefix + std::to_string(next_++);
}

FakeAnswer FakeState::Answer(const std::string& path, const std::string& query,
                             const std::string& body) {
  const std::string ec = "/cgi-bin/externalcontact/";
  if (path == ec + "get") return Customer(query);
  if (path == ec + "batch/get_by_user") return CustomersOf(body);
  if (path == ec + "remark") return Remark(body);
  if (path == ec + "mark_tag") return MarkTag(body);
  if (path == ec + "get_corp_tag_list") return TagList();
  if (path == ec + "add_corp_tag") return AddTags(body);
  if (path == ec + "send_welcome_msg") return Welcome(body);
  if (path == ec + "add_msg_template") return MassMessage(body);
  if (path == ec + "add_contact_way") {
    std::string id = NextId("CONFIG");
    return {0, ",\"config_id\":" + Q(id) + ",\"qr_code\":\"https://wework.example/qr/" + id + "\""};
  }
  if (path == ec + "get_follow_user_list") {
    std::vector<std::string> ids;
    for (const auto& [id, m] : members) ids.push_back(id);
    return {0, ",\"follow_user\":" + List(ids)};
  }
  if (path == "/cgi-bin/user/get") return UserGet(query);
  if (path == "/cgi-bin/user/list") return UserList(query);
  if (path == "/cgi-bin/department/list") return DepartmentList();
  if (path == "/cgi-bin/oa/gettemplatedetail") return TemplateDetail(body);
  if (path == "/cgi-bin/oa/applyevent") return ApplyEvent(body);
  if (path == "/cgi-bin/oa/getapprovaldetail") return ApprovalDetail(body);
  if (path == "/cgi-bin/message/send") return MessageSend(body);
  if (path == "/cgi-bin/message/update_template_card") return UpdateCard(body);
  if (path == "/cgi-bin/appchat/create") {
    Body b(body);
    std::string id = b.Str("chatid");
    if (!b.ok() || b.Str("owner").empty() || b.Strs("userlist").size() < 2) return kBadRequest;
    return {0, ",\"chatid\":" + Q(id.empty() ? NextId("CHAT") : id)};
  }
  if (path == "/cgi-bin/appchat/send" || path == "/cgi-bin/webhook/send") {
    return Body(body).ok() ? FakeAnswer{} : kBadRequest;
  }
  return {40058, "", "unknown api"};
}

FakeAnswer FakeState::Customer(const std::string& query) {
  auto it = customers.find(QueryValue(query, "external_userid"));
  if (it == customers.end()) return {40096, "", "invalid external userid"};
  return {0, ",\"external_contact\":" + ContactJson(it->second) + ",\"follow_user\":[" +
                 FollowJson(it->second, false) + "]"};
}

FakeAnswer FakeState::CustomersOf(const std::string& body) {
  Body b(body);
  if (!b.ok()) return kBadRequest;
  std::string list;
  for (const auto& user : b.Strs("userid_list")) {
    for (const auto& [id, c] : customers) {
      if (c.follow_userid != user) continue;
      list += (list.empty() ? "" : ",") + std::string("{\"external_contact\":") + ContactJson(c) +
              ",\"follow_info\":" + FollowJson(c, true) + "}";
    }
  }
  return {0, ",\"external_contact_list\":[" + list + "],\"next_cursor\":\"\""};
}

FakeAnswer FakeState::Remark(const std::string& body) {
  Body b(body);
  auto it = customers.find(b.Str("external_userid"));
  if (it == customers.end() || it->second.follow_userid != b.Str("userid")) {
    return {84061, "", "not external contact"};
  }
  it->second.remark = b.Str("remark");
  return {};
}

FakeAnswer FakeState::MarkTag(const std::string& body) {
  Body b(body);
  auto it = customers.find(b.Str("external_userid"));
  if (it == customers.end() || it->second.follow_userid != b.Str("userid")) {
    return {84061, "", "not external contact"};
  }
  auto& tags = it->second.tag_ids;
  for (const auto& add : b.Strs("add_tag")) {
    bool known = false;
    for (const auto& [gid, group] : tag_groups) known = known || group.second.count(add);
    if (!known) return {40068, "", "invalid tagid"};
    if (std::find(tags.begin(), tags.end(), add) == tags.end()) tags.push_back(add);
  }
  for (const auto& remove : b.Strs("remove_tag")) {
    tags.erase(std::remove(tags.begin(), tags.end(), remove), tags.end());
  }
  return {};
}

FakeAnswer FakeState::TagList() {
  std::string out;
  for (const auto& [gid, group] : tag_groups) {
    std::string tags;
    for (const auto& [tid, name] : group.second) {
      tags += (tags.empty() ? "" : ",") + std::string("{\"id\":") + Q(tid) +
              ",\"name\":" + Q(name) + ",\"create_time\":1700000000,\"order\":0,\"deleted\":false}";
    }
    out += (out.empty() ? "" : ",") + std::string("{\"group_id\":") + Q(gid) +
           ",\"group_name\":" + Q(group.first) + ",\"create_time\":1700000000,\"order\":0," +
           "\"deleted\":false,\"tag\":[" + tags + "]}";
  }
  return {0, ",\"tag_group\":[" + out + "]"};
}

FakeAnswer FakeState::AddTags(const std::string& body) {
  Body b(body);
  const rapidjson::Value* tags = b.Find("tag");
  if (!b.ok() || !tags || !tags->IsArray() || tags->Empty()) return kBadRequest;
  std::string gid = b.Str("group_id");
  if (gid.empty()) {
    gid = NextId("GROUP");
    tag_groups[gid].first = b.Str("group_name");
  } else if (!tag_groups.count(gid)) {
    return {40071, "", "invalid tag group id"};
  }
  std::string added;
  for (const auto& t : tags->GetArray()) {
    if (!t.IsObject() || !t.HasMember("name") || !t["name"].IsString()) return kBadRequest;
    std::string tid = NextId("TAG");
    tag_groups[gid].second[tid] = t["name"].GetString();
    added += (added.empty() ? "" : ",") + std::string("{\"id\":") + Q(tid) +
             ",\"name\":" + Q(t["name"].GetString()) + "}";
  }
  return {0, ",\"tag_group\":{\"group_id\":" + Q(gid) +
                 ",\"group_name\":" + Q(tag_groups[gid].first) + ",\"tag\":[" + added + "]}"};
}

FakeAnswer FakeState::Welcome(const std::string& body) {
  Body b(body);
  std::string code = b.Str("welcome_code");
  if (code.empty()) return kBadRequest;
  if (!used_welcome_codes_.insert(code).second) return {41051, "", "welcome code used"};
  return {};
}

FakeAnswer FakeState::MassMessage(const std::string& body) {
  Body b(body);
  if (!b.ok() || b.Str("sender").empty()) return kBadRequest;
  std::vector<std::string> failed;
  for (const auto& id : b.Strs("external_userid")) {
    if (!customers.count(id)) failed.push_back(id);
  }
  return {0, ",\"fail_list\":" + List(failed) + ",\"msgid\":" + Q(NextId("MASS"))};
}

FakeAnswer FakeState::UserGet(const std::string& query) {
  auto it = members.find(QueryValue(query, "userid"));
  if (it == members.end()) return {60111, "", "userid not found"};
  std::string json = MemberJson(it->second);
  return {0, "," + json.substr(1, json.size() - 2)};
}

FakeAnswer FakeState::UserList(const std::string& query) {
  std::int64_t department = std::atoll(QueryValue(query, "department_id").c_str());
  if (!departments.count(department)) return {60123, "", "invalid party id"};
  std::string list;
  for (const auto& [id, m] : members) {
    if (std::find(m.departments.begin(), m.departments.end(), department) == m.departments.end()) {
      continue;
    }
    list += (list.empty() ? "" : ",") + MemberJson(m);
  }
  return {0, ",\"userlist\":[" + list + "]"};
}

FakeAnswer FakeState::DepartmentList() {
  std::string list;
  for (const auto& [id, d] : departments) {
    list += (list.empty() ? "" : ",") + std::string("{\"id\":") + std::to_string(id) +
            ",\"name\":" + Q(d.name) + ",\"parentid\":" + std::to_string(d.parent_id) +
            ",\"order\":0,\"department_leader\":" + List(d.leaders) + "}";
  }
  return {0, ",\"department\":[" + list + "]"};
}

FakeAnswer FakeState::TemplateDetail(const std::string& body) {
  if (Body(body).Str("template_id") != kFakeTemplateId) return {301025, "", "template not found"};
  auto control = [](const char* type, const char* id, const char* title) {
    return std::string("{\"property\":{\"control\":\"") + type + "\",\"id\":\"" + id +
           "\",\"title\":[{\"text\":\"" + title + "\",\"lang\":\"zh_CN\"}],\"require\":1}}";
  };
  return {0, ",\"template_names\":[{\"text\":\"折扣审批\",\"lang\":\"zh_CN\"}]," +
                 std::string("\"template_content\":{\"controls\":[") +
                 control("Text", "Text-1", "客户") + "," + control("Money", "Money-1", "金额") +
                 "," + control("Number", "Number-1", "折扣") + "]}"};
}

FakeAnswer FakeState::ApplyEvent(const std::string& body) {
  Body b(body);
  std::string creator = b.Str("creator_userid");
  if (!b.ok() || (!members.empty() && !members.count(creator))) {
    return {301025, "", "creator_userid not in app visiable range"};
  }
  if (b.Str("template_id") != kFakeTemplateId) return {301025, "", "template not found"};
  if (const auto* notify = b.Find("notify_type");
      notify && notify->IsInt() && notify->GetInt() == 0) {
    return {301025, "", "get approval param error:notify_type"};
  }
  if (std::string problem = ApplyDataProblem(b); !problem.empty()) return {301025, "", problem};
  std::vector<std::string> approvers;
  if (const auto* nodes = b.Find("approver"); nodes && nodes->IsArray()) {
    for (const auto& node : nodes->GetArray()) {
      if (!node.IsObject() || !node.HasMember("userid") || !node["userid"].IsArray()) continue;
      for (const auto& u : node["userid"].GetArray()) {
        if (u.IsString()) approvers.emplace_back(u.GetString());
      }
    }
  }
  std::string sp_no = "2026" + std::to_string(100000000 + next_++);
  approvals[sp_no] = {sp_no, creator, kFakeTemplateId, approvers, 1, "", body};
  return {0, ",\"sp_no\":" + Q(sp_no)};
}

FakeAnswer FakeState::ApprovalDetail(const std::string& body) {
  auto it = approvals.find(Body(body).Str("sp_no"));
  if (it == approvals.end()) return {301025, "", "sp_no not found"};
  const FakeApproval& a = it->second;
  std::string approver = a.approvers.empty() ? "" : a.approvers.front();
  return {0, ",\"info\":{\"sp_no\":" + Q(a.sp_no) + ",\"sp_name\":\"折扣审批\",\"sp_status\":" +
                 std::to_string(a.status) + ",\"template_id\":" + Q(a.template_id) +
                 ",\"apply_time\":1700000000,\"applyer\":{\"userid\":" + Q(a.creator) +
                 "},\"sp_record\":[{\"sp_status\":" + std::to_string(a.status) +
                 ",\"approverattr\":1,\"details\":[{\"approver\":{\"userid\":" + Q(approver) +
                 "},\"speech\":" + Q(a.speech) + ",\"sp_status\":" + std::to_string(a.status) +
                 ",\"sptime\":0}]}],\"apply_data\":" + ApplyData(a.body) + "}"};
}

FakeAnswer FakeState::MessageSend(const std::string& body) {
  Body b(body);
  if (!b.ok()) return kBadRequest;
  if (b.Str("touser").empty() && b.Str("toparty").empty() && b.Str("totag").empty()) {
    return {82001, "", "All touser & toparty & totag invalid"};
  }
  std::string refused;
  for (const std::string& user : SplitBars(b.Str("touser"))) {
    if (!unlicensed.contains(user)) continue;
    refused += (refused.empty() ? "" : "|") + user;
  }
  std::string fields =
      ",\"invaliduser\":\"\",\"unlicenseduser\":" + Q(refused) + ",\"msgid\":" + Q(NextId("MSG"));
  if (b.Str("msgtype") == "template_card") {
    std::string code = NextId("RC");
    issued_response_codes_.insert(code);
    fields += ",\"response_code\":" + Q(code);
  }
  return {0, fields};
}

FakeAnswer FakeState::UpdateCard(const std::string& body) {
  std::string code = Body(body).Str("response_code");
  if (!issued_response_codes_.erase(code)) return {40058, "", "invalid response_code"};
  return {};
}

}  // namespace scrm::test
