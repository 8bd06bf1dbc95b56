#include "wecom/callback.h"

#include <catch2/catch.hpp>

#include "tests/support/catch_result.h"

using namespace scrm::wecom;

namespace {

template <class T>
T Parse(const std::string& xml) {
  auto parsed = ParseCallback(xml);
  REQUIRE(parsed);
  REQUIRE(std::holds_alternative<T>(parsed->event));
  return std::get<T>(parsed->event);
}

std::string Msg(const std::string& type, const std::string& fields) {
  return "<xml><ToUserName><![CDATA[ww0123456789abcdef]]></ToUserName><FromUserName>"
         "<![CDATA[zhangsan]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType>"
         "<![CDATA[" +
         type + "]]></MsgType>" + fields +
         "<MsgId>7296438123456789012</MsgId><AgentID>1000002</AgentID></xml>";
}

std::string EventXml(const std::string& from, const std::string& event, const std::string& fields) {
  return "<xml><ToUserName><![CDATA[ww0123456789abcdef]]></ToUserName><FromUserName><![CDATA[" +
         from +
         "]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]>"
         "</MsgType><Event><![CDATA[" +
         event + "]]></Event>" + fields + "</xml>";
}

}  // namespace

TEST_CASE("text message, with and without CDATA", "[callback]") {
  auto t = Parse<TextMessage>(Msg("text", "<Content><![CDATA[你好]]></Content>"));
  CHECK(t.content == "你好");
  CHECK(t.msg_id == "7296438123456789012");
  CHECK(t.header.from_user == "zhangsan");
  CHECK(t.header.create_time == 1700000000);
  CHECK(t.header.agent_id == "1000002");
  // O2's plaintext has no CDATA at all.
  auto o2 = Parse<TextMessage>(
      "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
      "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
      "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>");
  CHECK(o2.content == "你好");
  CHECK(o2.msg_id == "1456453720");
}

TEST_CASE("message ids above 2^53 stay exact and are the dedup key", "[callback]") {
  auto parsed = ParseCallback(Msg("text", "<Content>hello</Content>"));
  REQUIRE(parsed);
  CHECK(parsed->dedup_key == "7296438123456789012");
  CHECK(parsed->kind == "text");
}

TEST_CASE("media, location and link messages", "[callback]") {
  auto img =
      Parse<ImageMessage>(Msg("image", "<PicUrl>http://p/1.jpg</PicUrl><MediaId>m1</MediaId>"));
  CHECK(img.pic_url == "http://p/1.jpg");
  CHECK(img.media_id == "m1");
  auto voice = Parse<VoiceMessage>(Msg("voice", "<MediaId>v1</MediaId><Format>amr</Format>"));
  CHECK(voice.format == "amr");
  auto video =
      Parse<VideoMessage>(Msg("video", "<MediaId>d1</MediaId><ThumbMediaId>t1</ThumbMediaId>"));
  CHECK(video.thumb_media_id == "t1");
  auto loc = Parse<LocationMessage>(
      Msg("location",
          "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y>"
          "<Scale>20</Scale><Label><![CDATA[广州市天河区]]></Label><AppType>wxwork</AppType>"));
  CHECK(loc.latitude == "23.134521");
  CHECK(loc.longitude == "113.358803");
  CHECK(loc.scale == 20);
  CHECK(loc.label == "广州市天河区");
  auto link = Parse<LinkMessage>(Msg("link",
                                     "<Title>t</Title><Description>d</Description>"
                                     "<Url>http://u</Url><PicUrl>http://p</PicUrl>"));
  CHECK(link.url == "http://u");
  CHECK(link.description == "d");
}

TEST_CASE("app events", "[callback]") {
  Parse<SubscribeEvent>(EventXml("zhangsan", "subscribe", "<AgentID>1</AgentID>"));
  Parse<UnsubscribeEvent>(EventXml("zhangsan", "unsubscribe", ""));
  Parse<EnterAgentEvent>(EventXml("zhangsan", "enter_agent", "<EventKey><![CDATA[]]></EventKey>"));
  auto loc = Parse<LocationEvent>(EventXml("zhangsan", "LOCATION",
                                           "<Latitude>23.1</Latitude><Longitude>113.3</Longitude>"
                                           "<Precision>30.0</Precision>"));
  CHECK(loc.latitude == "23.1");
  CHECK(loc.header.event == "location");
  CHECK(Parse<ClickEvent>(EventXml("zhangsan", "click", "<EventKey>menu_1</EventKey>")).event_key ==
        "menu_1");
  CHECK(Parse<ClickEvent>(EventXml("zhangsan", "CLICK", "<EventKey>k</EventKey>")).event_key ==
        "k");
  CHECK(
      Parse<ViewEvent>(EventXml("zhangsan", "view", "<EventKey>https://x</EventKey>")).event_key ==
      "https://x");
}

TEST_CASE("template card click with selected items", "[callback]") {
  auto e = Parse<TemplateCardEvent>(EventXml(
      "zhangsan", "template_card_event",
      "<EventKey><![CDATA[btn_approve]]></EventKey><TaskId><![CDATA[task_1]]></TaskId>"
      "<CardType><![CDATA[vote_interaction]]></CardType><ResponseCode><![CDATA[RC1]]>"
      "</ResponseCode><AgentID>1000002</AgentID><SelectedItems><SelectedItem><QuestionKey>"
      "<![CDATA[q1]]></QuestionKey><OptionIds><OptionId><![CDATA[o1]]></OptionId><OptionId>"
      "<![CDATA[o2]]></OptionId></OptionIds></SelectedItem><SelectedItem><QuestionKey>q2"
      "</QuestionKey><OptionIds><OptionId>o3</OptionId></OptionIds></SelectedItem>"
      "</SelectedItems>"));
  CHECK(e.event_key == "btn_approve");
  CHECK(e.task_id == "task_1");
  CHECK(e.card_type == "vote_interaction");
  CHECK(e.response_code == "RC1");
  REQUIRE(e.selected_items.size() == 2);
  CHECK(e.selected_items[0].question_key == "q1");
  CHECK(e.selected_items[0].option_ids == std::vector<std::string>{"o1", "o2"});
  CHECK(e.selected_items[1].option_ids == std::vector<std::string>{"o3"});
}

TEST_CASE("approval status change with its ApprovalInfo", "[callback]") {
  auto e = Parse<ApprovalChangeEvent>(EventXml(
      "sys", "sys_approval_change",
      "<AgentID>3010040</AgentID><ApprovalInfo><SpNo>202401010001</SpNo>"
      "<SpName><![CDATA[折扣审批]]></SpName><SpStatus>2</SpStatus><TemplateId><![CDATA[tpl]]>"
      "</TemplateId><ApplyTime>1700000000</ApplyTime><Applyer><UserId><![CDATA[zhangsan]]>"
      "</UserId><Party><![CDATA[1]]></Party></Applyer><SpRecord><SpStatus>2</SpStatus>"
      "<ApproverAttr>1</ApproverAttr><Details><Approver><UserId><![CDATA[lisi]]></UserId>"
      "</Approver><Speech><![CDATA[同意]]></Speech><SpStatus>2</SpStatus><SpTime>1700000100"
      "</SpTime></Details></SpRecord><Notifyer><UserId><![CDATA[wangwu]]></UserId></Notifyer>"
      "<Notifyer><UserId>zhaoliu</UserId></Notifyer><Comments><CommentUserInfo><UserId>lisi"
      "</UserId></CommentUserInfo><CommentTime>1700000050</CommentTime><CommentContent>"
      "<![CDATA[好]]></CommentContent><CommentId>c1</CommentId></Comments>"
      "<StatuChangeEvent>2</StatuChangeEvent></ApprovalInfo>"));
  const ApprovalInfo& a = e.info;
  CHECK(a.sp_no == "202401010001");
  CHECK(a.sp_name == "折扣审批");
  CHECK(a.sp_status == 2);
  CHECK(a.template_id == "tpl");
  CHECK(a.apply_time == 1700000000);
  CHECK(a.applyer_user_id == "zhangsan");
  CHECK(a.applyer_party == "1");
  REQUIRE(a.records.size() == 1);
  CHECK(a.records[0].approver_attr == 1);
  REQUIRE(a.records[0].details.size() == 1);
  CHECK(a.records[0].details[0].approver == "lisi");
  CHECK(a.records[0].details[0].speech == "同意");
  CHECK(a.records[0].details[0].sp_time == 1700000100);
  CHECK(a.notifyers == std::vector<std::string>{"wangwu", "zhaoliu"});
  REQUIRE(a.comments.size() == 1);
  CHECK(a.comments[0].content == "好");
  CHECK(a.statu_change_event == 2);
}

TEST_CASE("change_external_contact, every ChangeType", "[callback]") {
  struct Case {
    const char* type;
    ExternalContactChange change;
  } cases[] = {{"add_external_contact", ExternalContactChange::kAdd},
               {"edit_external_contact", ExternalContactChange::kEdit},
               {"add_half_external_contact", ExternalContactChange::kAddHalf},
               {"del_external_contact", ExternalContactChange::kDelete},
               {"del_follow_user", ExternalContactChange::kDelFollowUser},
               {"transfer_fail", ExternalContactChange::kTransferFail},
               {"something_new", ExternalContactChange::kOther}};
  for (const auto& c : cases) {
    INFO(c.type);
    auto e = Parse<ExternalContactEvent>(EventXml(
        "sys", "change_external_contact",
        std::string("<ChangeType><![CDATA[") + c.type +
            "]]></ChangeType><UserID>zhangsan"
            "</UserID><ExternalUserID><![CDATA[wmAbC]]></ExternalUserID><State>channel_expo</State>"
            "<WelcomeCode>WC</WelcomeCode><Source>DELETE_BY_TRANSFER</Source>"
            "<FailReason>customer_refused</FailReason>"));
    CHECK(e.change == c.change);
    CHECK(e.change_type_raw == c.type);
    CHECK(e.user_id == "zhangsan");
    CHECK(e.external_user_id == "wmAbC");
    CHECK(e.state == "channel_expo");
    CHECK(e.welcome_code == "WC");
    CHECK(e.source == "DELETE_BY_TRANSFER");
    CHECK(e.fail_reason == "customer_refused");
    CHECK(e.header.agent_id.empty());
  }
}

TEST_CASE("customer group, tag and address-book changes", "[callback]") {
  auto chat = Parse<ExternalChatEvent>(EventXml(
      "sys", "change_external_chat",
      "<ChatId>wrOgQh</ChatId><ChangeType>update</ChangeType><UpdateDetail>add_member"
      "</UpdateDetail><JoinScene>3</JoinScene><MemChangeCnt>2</MemChangeCnt><MemChangeList>"
      "<Item>wmA</Item><Item>wmB</Item></MemChangeList><LastMemVer>v1</LastMemVer>"
      "<CurMemVer>v2</CurMemVer>"));
  CHECK(chat.chat_id == "wrOgQh");
  CHECK(chat.update_detail == "add_member");
  CHECK(chat.join_scene == 3);
  CHECK(chat.quit_scene == -1);
  CHECK(chat.mem_change_list == std::vector<std::string>{"wmA", "wmB"});
  CHECK(chat.cur_mem_ver == "v2");
  auto tag = Parse<ExternalTagEvent>(
      EventXml("sys", "change_external_tag",
               "<Id>et1</Id><TagType>tag_group</TagType><ChangeType>delete</ChangeType>"
               "<StrategyId>1</StrategyId>"));
  CHECK(tag.change_type == "delete");
  CHECK(tag.tag_type == "tag_group");
  auto contact = Parse<ContactChangeEvent>(EventXml(
      "sys", "change_contact",
      "<ChangeType>update_user</ChangeType><UserID>zhangsan</UserID><NewUserID>zs</NewUserID>"
      "<Name>张三</Name><Department>1,2</Department>"));
  CHECK(contact.change_type == "update_user");
  CHECK(contact.new_user_id == "zs");
  CHECK(contact.department == "1,2");
}

TEST_CASE("unknown types are kept whole, never dropped", "[callback]") {
  std::string xml = EventXml("zhangsan", "brand_new_event", "<Foo>1</Foo>");
  auto u = Parse<Unknown>(xml);
  CHECK(u.raw_xml == xml);
  CHECK(u.header.event == "brand_new_event");
  auto m = Parse<Unknown>(Msg("hologram", "<Beam>1</Beam>"));
  CHECK(m.header.msg_type == "hologram");
  auto none = Parse<Unknown>("<xml><Foo>1</Foo></xml>");
  CHECK(none.raw_xml == "<xml><Foo>1</Foo></xml>");
}

TEST_CASE("event dedup keys ignore order and CDATA but see every field", "[callback]") {
  auto a = ParseCallback(EventXml("sys", "change_external_contact",
                                  "<ChangeType>add_external_contact</ChangeType><UserID>u1</UserID>"
                                  "<ExternalUserID>wm1</ExternalUserID>"));
  auto b = ParseCallback(
      "<xml>\n<ExternalUserID><![CDATA[wm1]]></ExternalUserID><UserID>u1</UserID>"
      "<ChangeType>add_external_contact</ChangeType><Event>change_external_contact</Event>"
      "<MsgType>event</MsgType><CreateTime>1700000000</CreateTime><FromUserName>sys"
      "</FromUserName><ToUserName>ww0123456789abcdef</ToUserName></xml>");
  // Same second, same sender, another customer: a different event.
  auto c = ParseCallback(EventXml("sys", "change_external_contact",
                                  "<ChangeType>add_external_contact</ChangeType><UserID>u1</UserID>"
                                  "<ExternalUserID>wm2</ExternalUserID>"));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->dedup_key == b->dedup_key);
  CHECK(a->dedup_key != c->dedup_key);
  CHECK(a->dedup_key.size() == 11 + 64);
  CHECK(a->dedup_key.rfind("1700000000-", 0) == 0);
  CHECK(a->kind == "event:change_external_contact");
  // The key is stored: it must never change between releases, or a retry
  // that crosses an upgrade is stored twice. SHA-256 over the sorted
  // "path\0text\n" leaves, computed independently.
  CHECK(b->dedup_key ==
        "1700000000-db98e4aa7acbc7a56daf805e56831f32240eb29745862b9dc86d06dc48e5087d");
}

TEST_CASE("malformed payloads are refused", "[callback]") {
  for (std::string bad :
       {std::string(""), std::string("<xml>"), std::string("<xml><MsgType>text</xml>"),
        std::string("plain text"), std::string("<other><MsgType>text</MsgType></other>"),
        std::string("<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                    "<xml><MsgType>text</MsgType><Content>&x;</Content></xml>"),
        Msg("text", "<Content>a</Content>").substr(0, 80)}) {
    INFO(bad);
    auto parsed = ParseCallback(bad);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == Errc::kBadPayload);
  }
}

TEST_CASE("a well-formed payload with a number that is not one is kept whole", "[callback]") {
  const std::string approval =
      EventXml("sys", "sys_approval_change",
               "<ApprovalInfo><SpNo>202311210001</SpNo><SpStatus>two</SpStatus></ApprovalInfo>");
  const std::string bad_time =
      "<xml><FromUserName>lisi</FromUserName><MsgType>text</MsgType>"
      "<CreateTime>12abc</CreateTime><MsgId>42</MsgId></xml>";
  const std::string huge_time =
      "<xml><MsgType>text</MsgType><CreateTime>99999999999999999999"
      "</CreateTime></xml>";
  const std::string big_status =
      EventXml("sys", "sys_approval_change",
               "<ApprovalInfo><StatuChangeEvent>2000001</StatuChangeEvent>"
               "</ApprovalInfo>");
  for (const std::string& xml : {approval, bad_time, huge_time, big_status}) {
    INFO(xml);
    auto parsed = ParseCallback(xml);
    REQUIRE(parsed);
    CHECK(parsed->malformed_field);
    REQUIRE(std::holds_alternative<Unknown>(parsed->event));
    CHECK(std::get<Unknown>(parsed->event).raw_xml == xml);
    CHECK_FALSE(parsed->dedup_key.empty());
    CHECK(ParseCallback(xml)->dedup_key == parsed->dedup_key);  // a re-send is a duplicate
  }
  auto a = ParseCallback(approval);
  CHECK(a->kind == "event:sys_approval_change");
  CHECK(std::get<Unknown>(a->event).header.from_user == "sys");
  auto t = ParseCallback(bad_time);
  CHECK(t->kind == "text");
  CHECK(t->dedup_key == "42");
  CHECK(std::get<Unknown>(t->event).header.from_user == "lisi");
  CHECK(std::get<Unknown>(t->event).header.create_time == 0);
  CHECK_FALSE(ParseCallback(Msg("text", "<Content>a</Content>"))->malformed_field);
}

TEST_CASE("the intake's fields are ParseCallback's, without the typed event", "[callback]") {
  const std::vector<std::string> payloads = {
      Msg("text", "<Content>你好</Content>"),
      Msg("IMAGE", "<PicUrl>u</PicUrl>"),
      EventXml("zhangsan", "enter_agent", "<EventKey></EventKey>"),
      EventXml("sys", "Change_External_Contact",
               "<ChangeType>add_external_contact</ChangeType><ExternalUserID>wm1</ExternalUserID>"),
      EventXml("sys", "sys_approval_change",
               "<ApprovalInfo><SpNo>1</SpNo><SpStatus>two</SpStatus></ApprovalInfo>"),
      EventXml("sys", "", "<Foo>1</Foo>"),
      "<xml><FromUserName>lisi</FromUserName><MsgType>text</MsgType>"
      "<CreateTime>12abc</CreateTime><MsgId>42</MsgId></xml>",
      "<xml><MsgType>event</MsgType><CreateTime>x</CreateTime><MsgId>4.2</MsgId></xml>",
      "<xml><Foo>1</Foo></xml>",
      "<xml><FromUserName>a<![CDATA[b]]>c</FromUserName><MsgType>voice</MsgType></xml>",
  };
  for (const std::string& xml : payloads) {
    INFO(xml);
    auto parsed = ParseCallback(xml);
    auto intake = ReadIntake(xml);
    REQUIRE(parsed);
    REQUIRE(intake);
    CHECK(intake->kind == parsed->kind);
    CHECK(intake->dedup_key == parsed->dedup_key);
    CHECK(intake->from_user == HeaderOf(parsed->event).from_user);
  }
  CHECK(ReadIntake(payloads[3])->kind == "event:change_external_contact");
  CHECK(ReadIntake(payloads[5])->kind == "event:");
  CHECK(ReadIntake(payloads[7])->dedup_key.rfind("0-", 0) == 0);
  CHECK(ReadIntake(payloads[8])->kind == "unknown");
  CHECK(ReadIntake(payloads[9])->from_user == "abc");
  for (std::string bad : {std::string(""), std::string("<xml>"), std::string("<a></a>"),
                          std::string("<!DOCTYPE xml><xml></xml>"), std::string("<xml/>x")}) {
    INFO(bad);
    auto intake = ReadIntake(bad);
    REQUIRE_FALSE(intake);
    CHECK(intake.error() == Errc::kBadPayload);
    CHECK_FALSE(ParseCallback(bad));
  }
}
