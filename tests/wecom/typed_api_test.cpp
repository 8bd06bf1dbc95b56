// Typed requests and replies of the WeCom server API: bodies as WeCom's
// documentation shows them, replies parsed from its samples, byte limits
// enforced, and malformed replies refused.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "tests/support/catch_result.h"
#include "wecom/approval.h"
#include "wecom/cards.h"
#include "wecom/contacts.h"
#include "wecom/directory.h"

using namespace scrm::wecom;

namespace {

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

const std::vector<std::string> kMalformed = {"", "not json", "[1,2]", "{\"a\":", "null", "\"x\""};

}  // namespace

TEST_CASE("textcard shortens every field to its byte limit with a marker", "[typed-api]") {
  TextCard card{Repeat("标", 100), Repeat("述", 400), "https://example.com/c/1", "查看详情啊"};
  auto doc = Json(TextCardMessageBody(Audience{{"zhangsan", "lisi"}, {"2"}, {}}, 1000002, card));
  CHECK(std::string(doc["touser"].GetString()) == "zhangsan|lisi");
  CHECK(std::string(doc["toparty"].GetString()) == "2");
  CHECK_FALSE(doc.HasMember("totag"));
  CHECK(std::string(doc["msgtype"].GetString()) == "textcard");
  std::string title = doc["textcard"]["title"].GetString();
  std::string description = doc["textcard"]["description"].GetString();
  CHECK(title.size() <= 128);
  CHECK(description.size() <= 512);
  CHECK(title.substr(title.size() - 3) == "…");
  CHECK(description.substr(description.size() - 3) == "…");
  CHECK(std::string(doc["textcard"]["btntxt"].GetString()) == "查看详…");
  CHECK(doc["enable_duplicate_check"].GetInt() == 1);
}

TEST_CASE("truncation keeps UTF-8 whole and leaves short text alone", "[typed-api]") {
  CHECK(TruncateBytes("短", 128) == "短");
  CHECK(TruncateBytes("abcdef", 5) == "ab…");
  CHECK(TruncateBytes("客户客户", 8) == "客…");  // 3 + 3, the second 客 does not fit
  CHECK(TruncateChars("客户经理", 4) == "客户经理");
  CHECK(TruncateChars("客户经理们", 4) == "客户经…");
}

TEST_CASE("news keeps at most eight articles", "[typed-api]") {
  std::vector<NewsArticle> articles(10, NewsArticle{"标题", "描述", "https://e.com", ""});
  auto doc = Json(NewsMessageBody(Users({"a"}), 1, articles));
  CHECK(doc["news"]["articles"].Size() == 8);
}

TEST_CASE("template cards: interactive ones need a task id and buttons", "[typed-api]") {
  TemplateCard card;
  card.card_type = "button_interaction";
  card.task_id = "quote-42_a@b";
  card.title = "折扣审批";
  card.fields = {{"客户", "星辰科技"}, {"金额", "¥60,000.00"}};
  card.buttons = {{"批准", 1, "approve:42"}, {"驳回", 2, "reject:42"}};
  auto body = TemplateCardMessageBody(Users({"manager"}), 1000002, card);
  REQUIRE(body);
  auto doc = Json(*body);
  const auto& tc = doc["template_card"];
  CHECK(std::string(tc["card_type"].GetString()) == "button_interaction");
  CHECK(std::string(tc["task_id"].GetString()) == "quote-42_a@b");
  CHECK(tc["button_list"].Size() == 2);
  CHECK(std::string(tc["button_list"][1]["key"].GetString()) == "reject:42");
  CHECK(tc["horizontal_content_list"].Size() == 2);

  auto bad_id = card;
  bad_id.task_id = "报价 42";
  CHECK(TemplateCardMessageBody(Users({"m"}), 1, bad_id).error() == Errc::kBadPayload);
  auto no_buttons = card;
  no_buttons.buttons.clear();
  CHECK(TemplateCardMessageBody(Users({"m"}), 1, no_buttons).error() == Errc::kBadPayload);
  auto long_key = card;
  long_key.buttons[0].key = std::string(1025, 'k');
  CHECK(TemplateCardMessageBody(Users({"m"}), 1, long_key).error() == Errc::kBadPayload);
  TemplateCard notice;
  notice.title = "通知";
  CHECK(TemplateCardMessageBody(Users({"m"}), 1, notice).error() == Errc::kBadPayload);  // no url
  notice.url = "https://e.com";
  CHECK(TemplateCardMessageBody(Users({"m"}), 1, notice));
  CHECK(ValidTaskId(std::string(128, 'a')));
  CHECK_FALSE(ValidTaskId(std::string(129, 'a')));
}

TEST_CASE("update_template_card greys out the buttons", "[typed-api]") {
  auto doc = Json(UpdateCardButtonBody({"lisi"}, 1000002, "rc-1", "已批准"));
  CHECK(std::string(doc["response_code"].GetString()) == "rc-1");
  CHECK(std::string(doc["button"]["replace_name"].GetString()) == "已批准");
  CHECK(doc["userids"][0] == "lisi");
}

TEST_CASE("message/send reply with partial failure", "[typed-api]") {
  auto r = ParseSendReply(
      R"({"errcode":0,"errmsg":"ok","invaliduser":"userid1|userid2","invalidparty":"",)"
      R"("invalidtag":"","unlicenseduser":"user3","msgid":"xx","response_code":"rc"})");
  REQUIRE(r);
  CHECK(r->invalid_users == "userid1|userid2");
  CHECK(r->unlicensed_users == "user3");
  CHECK(r->msgid == "xx");
  CHECK(r->response_code == "rc");
  for (const auto& bad : kMalformed) CHECK(ParseSendReply(bad).error() == Errc::kBadJson);
}

TEST_CASE("appchat create and send", "[typed-api]") {
  auto body = AppChatCreateBody({"华东销售群", "zhangsan", {"zhangsan", "lisi"}, "salesEast1"});
  REQUIRE(body);
  auto doc = Json(*body);
  CHECK(std::string(doc["chatid"].GetString()) == "salesEast1");
  CHECK(doc["userlist"].Size() == 2);
  CHECK(AppChatCreateBody({"x", "a", {"a"}, ""}).error() == Errc::kBadPayload);  // one member
  CHECK(AppChatCreateBody({"x", "a", {"a", "b"}, "bad-id!"}).error() == Errc::kBadPayload);
  auto created = ParseAppChatCreated(R"({"errcode":0,"errmsg":"ok","chatid":"CHATID"})");
  REQUIRE(created);
  CHECK(*created == "CHATID");
  CHECK(ParseAppChatCreated(R"({"errcode":0})").error() == Errc::kBadJson);
  auto sends = AppChatTextBodies("CHATID", Repeat("字", 1000));  // 3000 bytes
  REQUIRE(sends.size() == 2);
  CHECK(std::string(Json(sends[0])["chatid"].GetString()) == "CHATID");
  CHECK(AppChatMarkdownBodies("CHATID", "**日报**").size() == 1);
}

TEST_CASE("externalcontact/get reply", "[typed-api]") {
  auto r = ParseExternalContactDetail(R"({
    "errcode":0,"errmsg":"ok",
    "external_contact":{"external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA","name":"李四",
      "position":"Manager","avatar":"http://p.qlogo.cn/x/0","corp_name":"腾讯",
      "corp_full_name":"腾讯科技有限公司","type":2,"gender":1,"unionid":"ozynqsulJFCZ2z1aYeS8h-nuasdAAA"},
    "follow_user":[{"userid":"rocky","remark":"李部长","description":"对接采购事务",
      "createtime":1525779812,"tags":[{"group_name":"标签分组名称","tag_name":"标签名称",
      "tag_id":"etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA","type":1}],"remark_corp_name":"腾讯科技",
      "remark_mobiles":["13800000001","13000000002"],"oper_userid":"rocky","add_way":1,
      "state":"expo-2026"}],
    "next_cursor":"NEXT"})");
  REQUIRE(r);
  CHECK(r->contact.name == "李四");
  CHECK(r->contact.type == 2);
  CHECK(r->follow_users.size() == 1);
  const auto& f = r->follow_users[0];
  CHECK(f.userid == "rocky");
  CHECK(f.createtime == 1525779812);
  CHECK(f.tags.at(0).tag_id == "etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA");
  CHECK(f.remark_mobiles.size() == 2);
  CHECK(f.state == "expo-2026");
  CHECK(r->next_cursor == "NEXT");
  CHECK(ExternalContactQuery("wo a&b", "c") == "external_userid=wo%20a%26b&cursor=c");
  CHECK(ParseExternalContactDetail(R"({"errcode":0,"follow_user":[]})").error() == Errc::kBadJson);
  for (const auto& bad : kMalformed) CHECK_FALSE(ParseExternalContactDetail(bad));
}

TEST_CASE("batch/get_by_user request and page", "[typed-api]") {
  auto body = BatchGetByUserBody({"rocky", "jack"}, "", 100);
  REQUIRE(body);
  CHECK(Json(*body)["limit"].GetInt() == 100);
  CHECK(BatchGetByUserBody({}, "", 50).error() == Errc::kBadPayload);
  CHECK(BatchGetByUserBody(std::vector<std::string>(101, "u"), "", 50).error() ==
        Errc::kBadPayload);
  CHECK(BatchGetByUserBody({"u"}, "", 101).error() == Errc::kBadPayload);
  auto page = ParseContactPage(R"({"errcode":0,"errmsg":"ok","external_contact_list":[
    {"external_contact":{"external_userid":"wo1","name":"王五","type":1},
     "follow_info":{"userid":"rocky","remark":"","createtime":1525779812,
       "tag_id":["et1","et2"],"state":"ad"}}],"next_cursor":"r9FqSqsI8fgNbHLHE5QoCP50UIg2cFQbfma3l2QsmwI"})");
  REQUIRE(page);
  REQUIRE(page->contacts.size() == 1);
  CHECK(page->contacts[0].follow.tag_ids == std::vector<std::string>{"et1", "et2"});
  CHECK(page->contacts[0].follow.state == "ad");
  CHECK_FALSE(page->next_cursor.empty());
  CHECK(ParseContactPage(R"({"external_contact_list":[{"external_contact":{}}]})").error() ==
        Errc::kBadJson);
}

TEST_CASE("remark, mark_tag and corp tags", "[typed-api]") {
  auto remark = Json(RemarkBody({"rocky", "wo1", Repeat("备", 25), "描述", "腾讯", {"138"}}));
  CHECK(std::string(remark["remark"].GetString()) == Repeat("备", 19) + "…");
  CHECK(remark["remark_mobiles"].Size() == 1);
  auto mark = Json(MarkTagBody("rocky", "wo1", {"etA"}, {"etB", "etC"}));
  CHECK(mark["add_tag"].Size() == 1);
  CHECK(mark["remove_tag"].Size() == 2);
  auto list = Json(CorpTagListBody({}, {"g1"}));
  CHECK(list["tag_id"].Size() == 0);
  CHECK(list["group_id"][0] == "g1");
  auto groups = ParseCorpTagGroups(R"({"errcode":0,"errmsg":"ok","tag_group":[
    {"group_id":"TAG_GROUPID1","group_name":"客户等级","create_time":1557838797,"order":1,
     "deleted":false,"tag":[{"id":"TAG_ID1","name":"A类","create_time":1557838797,"order":1,
     "deleted":false},{"id":"TAG_ID2","name":"B类","create_time":1557838797,"order":2,
     "deleted":true}]}]})");
  REQUIRE(groups);
  REQUIRE(groups->size() == 1);
  CHECK((*groups)[0].group_name == "客户等级");
  CHECK((*groups)[0].tags.size() == 2);
  CHECK((*groups)[0].tags[1].deleted);
  CHECK(ParseCorpTagGroups(R"({"errcode":0})").error() == Errc::kBadJson);
  auto add = Json(AddCorpTagBody("", "客户等级", {"A类", "B类"}, 1000002));
  CHECK(std::string(add["group_name"].GetString()) == "客户等级");
  CHECK_FALSE(add.HasMember("group_id"));
  CHECK(add["tag"].Size() == 2);
  auto added = ParseAddedCorpTags(
      R"({"errcode":0,"tag_group":{"group_id":"G","group_name":"客户等级","tag":[{"id":"T","name":"A类"}]}})");
  REQUIRE(added);
  CHECK(added->tags.at(0).id == "T");
  CHECK(ParseAddedCorpTags(R"({"tag_group":[]})").error() == Errc::kBadJson);
}

TEST_CASE("welcome, mass message and contact way", "[typed-api]") {
  auto welcome = Json(WelcomeMessageBody("CODE", Repeat("欢", 1500)));  // 4500 bytes
  std::string text = welcome["text"]["content"].GetString();
  CHECK(text.size() <= kWelcomeTextLimit);
  CHECK(text.substr(text.size() - 3) == "…");
  auto mass = Json(MassMessageBody("rocky", {"wo1", "wo2"}, "双十一活动"));
  CHECK(std::string(mass["chat_type"].GetString()) == "single");
  CHECK(mass["external_userid"].Size() == 2);
  auto reply = ParseMassMessageReply(
      R"({"errcode":0,"fail_list":["wo2"],"msgid":"msgGCAAAXtWyujaWJHDDGi0mA"})");
  REQUIRE(reply);
  CHECK(reply->fail_list == std::vector<std::string>{"wo2"});
  auto way = ContactWayBody({"rocky", "expo-2026", "展会", true});
  REQUIRE(way);
  CHECK(std::string(Json(*way)["state"].GetString()) == "expo-2026");
  CHECK(ContactWayBody({"rocky", Repeat("渠", 31), "", true}).error() == Errc::kBadPayload);
  CHECK(ContactWayBody({"", "s", "", true}).error() == Errc::kBadPayload);
  auto way_reply = ParseContactWayReply(
      R"({"errcode":0,"config_id":"42b34949e138eb6e027c123cba77fAAA","qr_code":"http://p.qpic.cn/wwhead/x"})");
  REQUIRE(way_reply);
  CHECK(way_reply->config_id == "42b34949e138eb6e027c123cba77fAAA");
  CHECK(ParseContactWayReply(R"({"errcode":0})").error() == Errc::kBadJson);
  auto follow = ParseFollowUsers(R"({"errcode":0,"follow_user":["zhangsan","lisi"]})");
  REQUIRE(follow);
  CHECK(follow->size() == 2);
  CHECK(ParseFollowUsers("{}").error() == Errc::kBadJson);
}

TEST_CASE("directory: user/get, user/list, department/list", "[typed-api]") {
  auto member = ParseMember(R"({"errcode":0,"userid":"zhangsan","name":"张三",
    "department":[1,2],"is_leader_in_dept":[1,0],"main_department":1,"position":"销售经理",
    "direct_leader":["lisi"],"status":1})");
  REQUIRE(member);
  CHECK(member->departments == std::vector<std::int64_t>{1, 2});
  CHECK(member->is_leader_in_dept == std::vector<bool>{true, false});
  CHECK(member->direct_leader == std::vector<std::string>{"lisi"});
  CHECK(ParseMember(R"({"errcode":0})").error() == Errc::kBadJson);
  CHECK(UserGetQuery("张三") == "userid=%E5%BC%A0%E4%B8%89");
  auto list = ParseMemberList(
      R"({"errcode":0,"userlist":[{"userid":"a","name":"A","department":[2]},{"userid":"b","department":[2]}]})");
  REQUIRE(list);
  CHECK(list->size() == 2);
  CHECK(UserListQuery(2) == "department_id=2");
  auto departments = ParseDepartments(R"({"errcode":0,"department":[
    {"id":2,"name":"华东销售","name_en":"East","department_leader":["zhangsan"],"parentid":1,"order":10}]})");
  REQUIRE(departments);
  CHECK((*departments)[0].leaders == std::vector<std::string>{"zhangsan"});
  CHECK((*departments)[0].parent_id == 1);
  CHECK(DepartmentListQuery(0).empty());
  CHECK(ParseDepartments(R"({"errcode":0})").error() == Errc::kBadJson);
  for (const auto& bad : kMalformed) CHECK_FALSE(ParseMemberList(bad));
}

TEST_CASE("approval: template, apply and detail", "[typed-api]") {
  auto t =
      ParseApprovalTemplate(R"({"errcode":0,"template_names":[{"text":"折扣审批","lang":"zh_CN"}],
    "template_content":{"controls":[
      {"property":{"control":"Text","id":"Text-1569573760849","title":[{"text":"客户","lang":"zh_CN"}],"require":1}},
      {"property":{"control":"Money","id":"Money-1569573760851","title":[{"text":"Amount","lang":"en"}],"require":0}}]}})");
  REQUIRE(t);
  CHECK(t->name == "折扣审批");
  REQUIRE(t->controls.size() == 2);
  CHECK(t->controls[0].required);
  CHECK(t->controls[1].title == "Amount");
  CHECK(ParseApprovalTemplate(R"({"errcode":0})").error() == Errc::kBadJson);

  ApprovalApplication a;
  a.creator_userid = "zhangsan";
  a.template_id = "3Tka1eD6v6JfzhDMqPd3aMkFdxqtJMc2ZRioUBGCNS";
  a.approvers = {"lisi"};
  a.values = {{ApplyValue::Kind::kText, "Text-1", "星辰科技"},
              {ApplyValue::Kind::kMoney, "Money-1", "60000.00"},
              {ApplyValue::Kind::kNumber, "Number-1", "12"}};
  a.summary = {"客户：星辰科技", "折扣：12%", "金额：60000", "第四行不发"};
  auto body = ApplyEventBody(a);
  REQUIRE(body);
  auto doc = Json(*body);
  CHECK(doc["use_template_approver"].GetInt() == 0);
  CHECK(doc["approver"][0]["attr"].GetInt() == 1);
  CHECK(doc["approver"][0]["userid"][0] == "lisi");
  const auto& contents = doc["apply_data"]["contents"];
  CHECK(std::string(contents[1]["value"]["new_money"].GetString()) == "60000.00");
  CHECK(std::string(contents[2]["value"]["new_number"].GetString()) == "12");
  CHECK(doc["summary_list"].Size() == 3);
  CHECK_FALSE(doc.HasMember("notify_type"));  // 0 would be refused with 301025
  auto incomplete = a;
  incomplete.values.clear();
  CHECK(ApplyEventBody(incomplete).error() == Errc::kBadPayload);

  auto sp_no = ParseApplyEventReply(R"({"errcode":0,"errmsg":"ok","sp_no":"202001010001"})");
  REQUIRE(sp_no);
  CHECK(*sp_no == "202001010001");
  auto numeric = ParseApplyEventReply(R"({"errcode":0,"sp_no":202001010002})");
  REQUIRE(numeric);
  CHECK(*numeric == "202001010002");
  auto detail = ParseApprovalDetail(R"({"errcode":0,"info":{"sp_no":"202001010001",
    "sp_name":"折扣审批","sp_status":2,"template_id":"T","apply_time":1700000000,
    "applyer":{"userid":"zhangsan","partyid":"2"},"sp_record":[{"sp_status":2,"approverattr":1,
    "details":[{"approver":{"userid":"lisi"},"speech":"同意","sp_status":2,"sptime":1700000600}]}]}})");
  REQUIRE(detail);
  CHECK(detail->status == static_cast<int>(ApprovalStatus::kApproved));
  CHECK(detail->applicant == "zhangsan");
  REQUIRE(detail->decisions.size() == 1);
  CHECK(detail->decisions[0].speech == "同意");
  CHECK(detail->values.empty());  // no apply_data
  CHECK(ParseApprovalDetail(R"({"errcode":0,"info":{}})").error() == Errc::kBadJson);

  // The form as filled, in WeCom's shape; kinds the bot does not fill, and
  // contents without a value, are left out.
  auto form = ParseApprovalDetail(R"({"errcode":0,"info":{"sp_no":"202001010003",
    "sp_status":1,"apply_data":{"contents":[
      {"control":"Text","id":"Text-1","title":[{"text":"客户","lang":"zh_CN"}],
       "value":{"text":"王总","new_number":"","new_money":""}},
      {"control":"Money","id":"Money-1","value":{"text":"","new_money":"80000.00"}},
      {"control":"Number","id":"Number-1","value":{"new_number":"12.5"}},
      {"control":"Date","id":"Date-1","value":{"date":{"type":"day","s_timestamp":"1700000000"}}},
      {"control":"Textarea","id":"Textarea-1"},
      "not an object"]}}})");
  REQUIRE(form);
  REQUIRE(form->values.size() == 3);
  CHECK(form->values[0].kind == ApplyValue::Kind::kText);
  CHECK(form->values[0].id == "Text-1");
  CHECK(form->values[0].value == "王总");
  CHECK(form->values[1].kind == ApplyValue::Kind::kMoney);
  CHECK(form->values[1].value == "80000.00");
  CHECK(form->values[2].kind == ApplyValue::Kind::kNumber);
  CHECK(form->values[2].value == "12.5");
  CHECK(ParseApprovalDetail(R"({"info":{"sp_no":"1","apply_data":{"contents":{}}}})")
            ->values.empty());
  for (const auto& bad : kMalformed) CHECK_FALSE(ParseApprovalDetail(bad));
}
