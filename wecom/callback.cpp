#include "wecom/callback.h"

#include <algorithm>
#include <charconv>

#include "wecom/crypto.h"
#include "wecom/xml_internal.h"

namespace scrm::wecom {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads fields from one element; remembers whether every integer parsed.
class Reader {
 public:
  explicit Reader(bool& ok) : ok_(ok) {}

  std::string Str(pugi::xml_node parent, const char* name) const {
    return internal::TextOf(parent.child(name));
  }

  std::int64_t Int(pugi::xml_node parent, const char* name, std::int64_t fallback = 0) const {
    std::string text = Str(parent, name);
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return fallback;
    auto last = text.find_last_not_of(" \t\r\n");
    std::int64_t value = 0;
    const char* begin = text.data() + first;
    const char* end = text.data() + last + 1;
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end) {
      ok_ = false;
      return fallback;
    }
    return value;
  }

  int Small(pugi::xml_node parent, const char* name) const {
    std::int64_t v = Int(parent, name);
    if (v < -1000000 || v > 1000000) {
      ok_ = false;
      return 0;
    }
    return static_cast<int>(v);
  }

 private:
  bool& ok_;
};

ExternalContactChange ContactChangeOf(std::string_view type) {
  if (type == "add_external_contact") return ExternalContactChange::kAdd;
  if (type == "edit_external_contact") return ExternalContactChange::kEdit;
  if (type == "add_half_external_contact") return ExternalContactChange::kAddHalf;
  if (type == "del_external_contact") return ExternalContactChange::kDelete;
  if (type == "del_follow_user") return ExternalContactChange::kDelFollowUser;
  if (type == "transfer_fail") return ExternalContactChange::kTransferFail;
  return ExternalContactChange::kOther;
}

ApprovalInfo ReadApproval(const Reader& r, pugi::xml_node info) {
  ApprovalInfo a;
  a.sp_no = r.Str(info, "SpNo");
  if (a.sp_no.empty()) a.sp_no = r.Str(info, "SpNoStr");
  a.sp_name = r.Str(info, "SpName");
  a.sp_status = r.Small(info, "SpStatus");
  a.template_id = r.Str(info, "TemplateId");
  a.apply_time = r.Int(info, "ApplyTime");
  a.applyer_user_id = r.Str(info.child("Applyer"), "UserId");
  a.applyer_party = r.Str(info.child("Applyer"), "Party");
  for (pugi::xml_node rec : info.children("SpRecord")) {
    ApprovalRecord record;
    record.sp_status = r.Small(rec, "SpStatus");
    record.approver_attr = r.Small(rec, "ApproverAttr");
    for (pugi::xml_node d : rec.children("Details")) {
      record.details.push_back({r.Str(d.child("Approver"), "UserId"), r.Str(d, "Speech"),
                                r.Small(d, "SpStatus"), r.Int(d, "SpTime")});
    }
    a.records.push_back(std::move(record));
  }
  for (pugi::xml_node n : info.children("Notifyer")) a.notifyers.push_back(r.Str(n, "UserId"));
  for (pugi::xml_node c : info.children("Comments")) {
    a.comments.push_back({r.Str(c.child("CommentUserInfo"), "UserId"), r.Int(c, "CommentTime"),
                          r.Str(c, "CommentContent"), r.Str(c, "CommentId")});
  }
  a.statu_change_event = r.Small(info, "StatuChangeEvent");
  return a;
}

Event ReadMessage(const Reader& r, pugi::xml_node x, Header h, std::string_view raw) {
  std::string id = r.Str(x, "MsgId");
  const std::string& t = h.msg_type;
  if (t == "text") return TextMessage{std::move(h), id, r.Str(x, "Content")};
  if (t == "image") return ImageMessage{std::move(h), id, r.Str(x, "PicUrl"), r.Str(x, "MediaId")};
  if (t == "voice") return VoiceMessage{std::move(h), id, r.Str(x, "MediaId"), r.Str(x, "Format")};
  if (t == "video") {
    return VideoMessage{std::move(h), id, r.Str(x, "MediaId"), r.Str(x, "ThumbMediaId")};
  }
  if (t == "location") {
    return LocationMessage{std::move(h),           id,
                           r.Str(x, "Location_X"), r.Str(x, "Location_Y"),
                           r.Int(x, "Scale"),      r.Str(x, "Label"),
                           r.Str(x, "AppType")};
  }
  if (t == "link") {
    return LinkMessage{std::move(h),      id,
                       r.Str(x, "Title"), r.Str(x, "Description"),
                       r.Str(x, "Url"),   r.Str(x, "PicUrl")};
  }
  return Unknown{std::move(h), std::string(raw)};
}

Event ReadTemplateCard(const Reader& r, pugi::xml_node x, Header h) {
  TemplateCardEvent e{std::move(h),         r.Str(x, "EventKey"),     r.Str(x, "TaskId"),
                      r.Str(x, "CardType"), r.Str(x, "ResponseCode"), {}};
  for (pugi::xml_node item : x.child("SelectedItems").children("SelectedItem")) {
    SelectedItem s{r.Str(item, "QuestionKey"), {}};
    for (pugi::xml_node id : item.child("OptionIds").children("OptionId")) {
      s.option_ids.push_back(internal::TextOf(id));
    }
    e.selected_items.push_back(std::move(s));
  }
  return e;
}

Event ReadExternalChat(const Reader& r, pugi::xml_node x, Header h) {
  ExternalChatEvent e;
  e.header = std::move(h);
  e.change_type = r.Str(x, "ChangeType");
  e.chat_id = r.Str(x, "ChatId");
  e.update_detail = r.Str(x, "UpdateDetail");
  e.join_scene = r.Int(x, "JoinScene", -1);
  e.quit_scene = r.Int(x, "QuitScene", -1);
  e.mem_change_cnt = r.Int(x, "MemChangeCnt");
  for (pugi::xml_node item : x.child("MemChangeList").children("Item")) {
    e.mem_change_list.push_back(internal::TextOf(item));
  }
  e.last_mem_ver = r.Str(x, "LastMemVer");
  e.cur_mem_ver = r.Str(x, "CurMemVer");
  return e;
}

Event ReadEvent(const Reader& r, pugi::xml_node x, Header h, std::string_view raw) {
  const std::string ev = h.event;
  if (ev == "subscribe") return SubscribeEvent{std::move(h)};
  if (ev == "unsubscribe") return UnsubscribeEvent{std::move(h)};
  if (ev == "enter_agent") return EnterAgentEvent{std::move(h), r.Str(x, "EventKey")};
  if (ev == "location") {
    return LocationEvent{std::move(h), r.Str(x, "Latitude"), r.Str(x, "Longitude"),
                         r.Str(x, "Precision")};
  }
  if (ev == "click") return ClickEvent{std::move(h), r.Str(x, "EventKey")};
  if (ev == "view") return ViewEvent{std::move(h), r.Str(x, "EventKey")};
  if (ev == "template_card_event") return ReadTemplateCard(r, x, std::move(h));
  if (ev == "sys_approval_change") {
    return ApprovalChangeEvent{std::move(h), ReadApproval(r, x.child("ApprovalInfo"))};
  }
  if (ev == "change_external_contact") {
    std::string type = r.Str(x, "ChangeType");
    return ExternalContactEvent{std::move(h),
                                ContactChangeOf(type),
                                type,
                                r.Str(x, "UserID"),
                                r.Str(x, "ExternalUserID"),
                                r.Str(x, "State"),
                                r.Str(x, "WelcomeCode"),
                                r.Str(x, "Source"),
                                r.Str(x, "FailReason")};
  }
  if (ev == "change_external_chat") return ReadExternalChat(r, x, std::move(h));
  if (ev == "change_external_tag") {
    return ExternalTagEvent{std::move(h), r.Str(x, "ChangeType"), r.Str(x, "Id"),
                            r.Str(x, "TagType"), r.Str(x, "StrategyId")};
  }
  if (ev == "change_contact") {
    return ContactChangeEvent{std::move(h),          r.Str(x, "ChangeType"), r.Str(x, "UserID"),
                              r.Str(x, "NewUserID"), r.Str(x, "Name"),       r.Str(x, "Department"),
                              r.Str(x, "Id"),        r.Str(x, "TagId")};
  }
  return Unknown{std::move(h), std::string(raw)};
}

// "path\0text" for every element without element children, back to back in
// one buffer, so the digest ignores element order, CDATA-vs-plain and
// whitespace between tags.
struct Leaves {
  std::string bytes;
  std::vector<std::string_view> Views() const {
    std::vector<std::string_view> out;
    out.reserve(ends.size());
    size_t start = 0;
    for (size_t end : ends) {
      out.emplace_back(bytes.data() + start, end - start);
      start = end;
    }
    return out;
  }
  std::vector<size_t> ends;
};

void CollectLeaves(pugi::xml_node node, std::string& path, Leaves& out) {
  bool has_element_child = false;
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) continue;
    has_element_child = true;
    size_t keep = path.size();
    path.push_back('/');
    path.append(child.name());
    CollectLeaves(child, path, out);
    path.resize(keep);
  }
  if (has_element_child) return;
  out.bytes.append(path);
  out.bytes.push_back('\0');
  internal::AppendText(node, out.bytes);
  out.ends.push_back(out.bytes.size());
}

// SHA-256 over the sorted leaves, each followed by a newline, as hex.
std::string CanonicalDigest(pugi::xml_node root) {
  Leaves leaves;
  leaves.bytes.reserve(512);
  std::string path;
  CollectLeaves(root, path, leaves);
  std::vector<std::string_view> sorted = leaves.Views();
  std::sort(sorted.begin(), sorted.end());
  std::string joined;
  joined.reserve(leaves.bytes.size() + sorted.size());
  for (std::string_view leaf : sorted) {
    joined.append(leaf);
    joined.push_back('\n');
  }
  return Sha256Hex(joined);
}

Header ReadHeader(const Reader& r, pugi::xml_node x) {
  return Header{r.Str(x, "ToUserName"), r.Str(x, "FromUserName"),   r.Int(x, "CreateTime"),
                r.Str(x, "AgentID"),    Lower(r.Str(x, "MsgType")), Lower(r.Str(x, "Event"))};
}

bool IsDecimal(std::string_view s) {
  return !s.empty() && s.size() <= 20 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The kind, dedup key and sender of a parsed payload.
Result<IntakeFields> IntakeOf(pugi::xml_node x) {
  bool ignored = true;  // CreateTime that is not a number: 0 in the key
  Reader r(ignored);
  IntakeFields out;
  std::string msg_type = Lower(r.Str(x, "MsgType"));
  if (msg_type == "event") {
    out.kind = "event:" + Lower(r.Str(x, "Event"));
  } else {
    out.kind = msg_type.empty() ? "unknown" : std::move(msg_type);
  }
  out.from_user = r.Str(x, "FromUserName");
  std::string msg_id = r.Str(x, "MsgId");
  if (IsDecimal(msg_id)) {
    out.dedup_key = std::move(msg_id);
    return out;
  }
  // Event keys start with CreateTime so that new keys land near each other
  // in the unique index (a bare digest scatters every insert across it).
  std::string digest = CanonicalDigest(x);
  if (digest.empty()) return Errc::kBadPayload;  // never one key for many events
  out.dedup_key = std::to_string(r.Int(x, "CreateTime")) + "-" + digest;
  return out;
}

}  // namespace

Result<IntakeFields> ReadIntake(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node x = internal::ParseRoot(doc, xml);
  if (!x) return Errc::kBadPayload;
  return IntakeOf(x);
}

Result<ParsedCallback> ParseCallback(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node x = internal::ParseRoot(doc, xml);
  if (!x) return Errc::kBadPayload;
  auto intake = IntakeOf(x);
  if (!intake) return intake.error();
  bool ok = true;
  Reader r(ok);
  Header h = ReadHeader(r, x);
  ParsedCallback out{Unknown{}, std::move(intake->kind), std::move(intake->dedup_key)};
  if (h.msg_type == "event") {
    out.event = ReadEvent(r, x, std::move(h), xml);
  } else if (!h.msg_type.empty()) {
    out.event = ReadMessage(r, x, std::move(h), xml);
  } else {
    out.event = Unknown{std::move(h), std::string(xml)};
  }
  if (!ok) {
    // Signed by WeCom and well-formed, but a number in it is not one: kept
    // whole, untyped, rather than refused (WeCom would give up on it after
    // its retries).
    bool ignored = true;
    out.event = Unknown{ReadHeader(Reader(ignored), x), std::string(xml)};
    out.malformed_field = true;
  }
  return out;
}

const Header& HeaderOf(const Event& event) {
  return std::visit([](const auto& e) -> const Header& { return e.header; }, event);
}

}  // namespace scrm::wecom
