#include "wecom/approval.h"

#include <optional>
#include <utility>

#include "wecom/cards.h"
#include "wecom/json.h"

namespace scrm::wecom {
namespace {

// The zh_CN text of a [{text, lang}] list, else the first one.
std::string Localized(const json::Node& n, const char* key) {
  std::string first;
  std::string chinese;
  json::ForEach(n, key, [&](const json::Node& t) {
    if (first.empty()) first = json::Str(t, "text");
    if (json::Str(t, "lang") == "zh_CN" && chinese.empty()) chinese = json::Str(t, "text");
  });
  return chinese.empty() ? first : chinese;
}

const char* ControlName(ApplyValue::Kind kind) {
  switch (kind) {
    case ApplyValue::Kind::kTextarea:
      return "Textarea";
    case ApplyValue::Kind::kNumber:
      return "Number";
    case ApplyValue::Kind::kMoney:
      return "Money";
    case ApplyValue::Kind::kText:
      break;
  }
  return "Text";
}

void WriteValue(json::Out& o, const ApplyValue& v) {
  o.Str("control", ControlName(v.kind)).Str("id", v.id).Object("value", [&](json::Out& value) {
    switch (v.kind) {
      case ApplyValue::Kind::kNumber:
        value.Str("new_number", v.value);
        break;
      case ApplyValue::Kind::kMoney:
        value.Str("new_money", v.value);
        break;
      default:
        value.Str("text", v.value);
    }
  });
}

// One filled control of an approval's apply_data, if it is of a kind the
// bot fills.
std::optional<ApplyValue> ReadValue(const json::Node& content) {
  static const std::pair<const char*, ApplyValue::Kind> kKinds[] = {
      {"Text", ApplyValue::Kind::kText},
      {"Textarea", ApplyValue::Kind::kTextarea},
      {"Number", ApplyValue::Kind::kNumber},
      {"Money", ApplyValue::Kind::kMoney}};
  std::string control = json::Str(content, "control");
  const json::Node* value = json::Find(content, "value");
  for (const auto& [name, kind] : kKinds) {
    if (control != name || value == nullptr) continue;
    const char* field = kind == ApplyValue::Kind::kNumber  ? "new_number"
                        : kind == ApplyValue::Kind::kMoney ? "new_money"
                                                           : "text";
    return ApplyValue{kind, json::Str(content, "id"), json::Str(*value, field)};
  }
  return std::nullopt;
}

}  // namespace

std::string TemplateDetailBody(std::string_view template_id) {
  json::Out out;
  return out.Str("template_id", template_id).Done();
}

Result<ApprovalTemplate> ParseApprovalTemplate(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  const json::Node* content = json::Find(*doc, "template_content");
  if (!content) return Errc::kBadJson;
  ApprovalTemplate t;
  t.name = Localized(*doc, "template_names");
  json::ForEach(*content, "controls", [&](const json::Node& c) {
    const json::Node* p = json::Find(c, "property");
    if (!p) return;
    t.controls.push_back({json::Str(*p, "control"), json::Str(*p, "id"), Localized(*p, "title"),
                          json::Int(*p, "require") == 1});
  });
  return t;
}

Result<std::string> ApplyEventBody(const ApprovalApplication& a) {
  if (a.creator_userid.empty() || a.template_id.empty() || a.values.empty()) {
    return Errc::kBadPayload;
  }
  for (const auto& v : a.values) {
    if (v.id.empty()) return Errc::kBadPayload;
  }
  json::Out out;
  out.Str("creator_userid", a.creator_userid)
      .Str("template_id", a.template_id)
      .Int("use_template_approver", a.approvers.empty() ? 1 : 0);
  if (!a.approvers.empty()) {
    std::vector<int> one_node{0};
    out.Objects("approver", one_node,
                [&](json::Out& o, int) { o.Int("attr", 1).Strs("userid", a.approvers); });
  }
  out.Object("apply_data",
             [&](json::Out& data) { data.Objects("contents", a.values, WriteValue); });
  std::vector<std::string> lines(
      a.summary.begin(),
      a.summary.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(a.summary.size(), 3)));
  if (!lines.empty()) {
    out.Objects("summary_list", lines, [](json::Out& o, const std::string& line) {
      std::vector<int> one{0};
      o.Objects("summary_info", one, [&](json::Out& info, int) {
        info.Str("text", TruncateChars(line, 20)).Str("lang", "zh_CN");
      });
    });
  }
  return out.Done();
}

Result<std::string> ParseApplyEventReply(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  std::string sp_no = json::Str(*doc, "sp_no");
  if (sp_no.empty()) return Errc::kBadJson;
  return sp_no;
}

std::string ApprovalDetailBody(std::string_view sp_no) {
  json::Out out;
  return out.Str("sp_no", sp_no).Done();
}

Result<ApprovalState> ParseApprovalDetail(std::string_view text) {
  auto doc = json::Parse(text);
  if (!doc) return doc.error();
  const json::Node* info = json::Find(*doc, "info");
  if (!info || json::Str(*info, "sp_no").empty()) return Errc::kBadJson;
  ApprovalState d;
  d.sp_no = json::Str(*info, "sp_no");
  d.sp_name = json::Str(*info, "sp_name");
  d.status = static_cast<int>(json::Int(*info, "sp_status"));
  d.template_id = json::Str(*info, "template_id");
  d.apply_time = json::Int(*info, "apply_time");
  if (const json::Node* applyer = json::Find(*info, "applyer")) {
    d.applicant = json::Str(*applyer, "userid");
  }
  json::ForEach(*info, "sp_record", [&](const json::Node& record) {
    json::ForEach(record, "details", [&](const json::Node& detail) {
      ApprovalDecision decision;
      if (const json::Node* approver = json::Find(detail, "approver")) {
        decision.approver = json::Str(*approver, "userid");
      }
      decision.status = static_cast<int>(json::Int(detail, "sp_status"));
      decision.speech = json::Str(detail, "speech");
      decision.time = json::Int(detail, "sptime");
      d.decisions.push_back(std::move(decision));
    });
  });
  if (const json::Node* data = json::Find(*info, "apply_data")) {
    json::ForEach(*data, "contents", [&](const json::Node& content) {
      if (auto value = ReadValue(content)) d.values.push_back(std::move(*value));
    });
  }
  return d;
}

}  // namespace scrm::wecom
