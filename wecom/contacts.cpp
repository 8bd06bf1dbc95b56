#include "wecom/contacts.h"

#include "wecom/api.h"
#include "wecom/cards.h"
#include "wecom/json.h"

namespace scrm::wecom {
namespace {

ExternalContact ReadContact(const json::Node& n) {
  ExternalContact c;
  c.external_userid = json::Str(n, "external_userid");
  c.name = json::Str(n, "name");
  c.position = json::Str(n, "position");
  c.avatar = json::Str(n, "avatar");
  c.corp_name = json::Str(n, "corp_name");
  c.corp_full_name = json::Str(n, "corp_full_name");
  c.type = static_cast<int>(json::Int(n, "type"));
  c.gender = static_cast<int>(json::Int(n, "gender"));
  c.unionid = json::Str(n, "unionid");
  return c;
}

FollowUser ReadFollow(const json::Node& n) {
  FollowUser f;
  f.userid = json::Str(n, "userid");
  f.remark = json::Str(n, "remark");
  f.description = json::Str(n, "description");
  f.createtime = json::Int(n, "createtime");
  json::ForEach(n, "tags", [&](const json::Node& t) {
    f.tags.push_back({json::Str(t, "group_name"), json::Str(t, "tag_name"), json::Str(t, "tag_id"),
                      static_cast<int>(json::Int(t, "type"))});
  });
  f.tag_ids = json::Strs(n, "tag_id");
  f.remark_corp_name = json::Str(n, "remark_corp_name");
  f.remark_mobiles = json::Strs(n, "remark_mobiles");
  f.oper_userid = json::Str(n, "oper_userid");
  f.add_way = static_cast<int>(json::Int(n, "add_way"));
  f.state = json::Str(n, "state");
  return f;
}

bool ReadBool(const json::Node& n, const char* key) {
  const json::Node* v = json::Find(n, key);
  return v && ((v->IsBool() && v->GetBool()) || (v->IsInt64() && v->GetInt64() != 0));
}

CorpTagGroup ReadTagGroup(const json::Node& n) {
  CorpTagGroup g;
  g.group_id = json::Str(n, "group_id");
  g.group_name = json::Str(n, "group_name");
  g.create_time = json::Int(n, "create_time");
  g.order = json::Int(n, "order");
  g.deleted = ReadBool(n, "deleted");
  json::ForEach(n, "tag", [&](const json::Node& t) {
    g.tags.push_back({json::Str(t, "id"), json::Str(t, "name"), json::Int(t, "create_time"),
                      json::Int(t, "order"), ReadBool(t, "deleted")});
  });
  return g;
}

std::string WithText(std::string_view text, std::size_t limit, json::Out& out) {
  return out.Object("text", [&](json::Out& o) { o.Str("content", TruncateBytes(text, limit)); })
      .Done();
}

}  // namespace

std::string ExternalContactQuery(std::string_view external_userid, std::string_view cursor) {
  std::string q = "external_userid=" + QueryEscape(external_userid);
  if (!cursor.empty()) q += "&cursor=" + QueryEscape(cursor);
  return q;
}

Result<ExternalContactDetail> ParseExternalContactDetail(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  const json::Node* contact = json::Find(*doc, "external_contact");
  if (!contact || json::Str(*contact, "external_userid").empty()) return Errc::kBadJson;
  ExternalContactDetail d;
  d.contact = ReadContact(*contact);
  json::ForEach(*doc, "follow_user",
                [&](const json::Node& f) { d.follow_users.push_back(ReadFollow(f)); });
  d.next_cursor = json::Str(*doc, "next_cursor");
  return d;
}

Result<std::string> BatchGetByUserBody(const std::vector<std::string>& user_ids,
                                       std::string_view cursor, int limit) {
  if (user_ids.empty() || user_ids.size() > 100 || limit < 1 || limit > 100) {
    return Errc::kBadPayload;
  }
  json::Out out;
  return out.Strs("userid_list", user_ids).Str("cursor", cursor).Int("limit", limit).Done();
}

Result<ContactPage> ParseContactPage(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  ContactPage page;
  bool complete = true;
  json::ForEach(*doc, "external_contact_list", [&](const json::Node& item) {
    const json::Node* contact = json::Find(item, "external_contact");
    const json::Node* follow = json::Find(item, "follow_info");
    if (!contact || !follow) {
      complete = false;
      return;
    }
    page.contacts.push_back({ReadContact(*contact), ReadFollow(*follow)});
  });
  if (!complete) return Errc::kBadJson;
  page.next_cursor = json::Str(*doc, "next_cursor");
  return page;
}

std::string RemarkBody(const Remark& r) {
  json::Out out;
  out.Str("userid", r.userid)
      .Str("external_userid", r.external_userid)
      .Str("remark", TruncateChars(r.remark, 20))
      .Str("description", TruncateChars(r.description, 150));
  if (!r.remark_company.empty()) out.Str("remark_company", r.remark_company);
  if (!r.remark_mobiles.empty()) out.Strs("remark_mobiles", r.remark_mobiles);
  return out.Done();
}

std::string MarkTagBody(std::string_view userid, std::string_view external_userid,
                        const std::vector<std::string>& add,
                        const std::vector<std::string>& remove) {
  json::Out out;
  return out.Str("userid", userid)
      .Str("external_userid", external_userid)
      .Strs("add_tag", add)
      .Strs("remove_tag", remove)
      .Done();
}

std::string CorpTagListBody(const std::vector<std::string>& tag_ids,
                            const std::vector<std::string>& group_ids) {
  json::Out out;
  return out.Strs("tag_id", tag_ids).Strs("group_id", group_ids).Done();
}

Result<std::vector<CorpTagGroup>> ParseCorpTagGroups(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  if (!json::Find(*doc, "tag_group")) return Errc::kBadJson;
  std::vector<CorpTagGroup> groups;
  json::ForEach(*doc, "tag_group", [&](const json::Node& g) { groups.push_back(ReadTagGroup(g)); });
  return groups;
}

std::string AddCorpTagBody(std::string_view group_id, std::string_view group_name,
                           const std::vector<std::string>& tag_names, std::int64_t agent_id) {
  json::Out out;
  if (!group_id.empty()) {
    out.Str("group_id", group_id);
  } else {
    out.Str("group_name", group_name);
  }
  return out
      .Objects("tag", tag_names, [](json::Out& o, const std::string& name) { o.Str("name", name); })
      .Int("agentid", agent_id)
      .Done();
}

Result<CorpTagGroup> ParseAddedCorpTags(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  const json::Node* group = json::Find(*doc, "tag_group");
  if (!group || !group->IsObject()) return Errc::kBadJson;
  return ReadTagGroup(*group);
}

std::string WelcomeMessageBody(std::string_view welcome_code, std::string_view text) {
  json::Out out;
  out.Str("welcome_code", welcome_code);
  return WithText(text, kWelcomeTextLimit, out);
}

std::string MassMessageBody(std::string_view sender,
                            const std::vector<std::string>& external_userids,
                            std::string_view text) {
  json::Out out;
  out.Str("chat_type", "single").Strs("external_userid", external_userids).Str("sender", sender);
  return WithText(text, kMassTextLimit, out);
}

Result<MassMessageReply> ParseMassMessageReply(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  return MassMessageReply{json::Strs(*doc, "fail_list"), json::Str(*doc, "msgid")};
}

Result<std::string> ContactWayBody(const ContactWay& way) {
  // A shortened state would attribute customers to the wrong channel.
  if (way.userid.empty() || TruncateChars(way.state, kContactWayStateLimit) != way.state) {
    return Errc::kBadPayload;
  }
  json::Out out;
  return out.Int("type", 1)
      .Int("scene", 2)
      .Str("remark", TruncateChars(way.remark, 30))
      .Bool("skip_verify", way.skip_verify)
      .Str("state", way.state)
      .Strs("user", {way.userid})
      .Done();
}

Result<ContactWayReply> ParseContactWayReply(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  ContactWayReply r{json::Str(*doc, "config_id"), json::Str(*doc, "qr_code")};
  if (r.config_id.empty()) return Errc::kBadJson;
  return r;
}

Result<std::vector<std::string>> ParseFollowUsers(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  if (!json::Find(*doc, "follow_user")) return Errc::kBadJson;
  return json::Strs(*doc, "follow_user");
}

}  // namespace scrm::wecom
