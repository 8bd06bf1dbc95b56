// Every typed API end to end: the request built by wecom/, sent through the
// API client to the fake WeCom, and its reply parsed back.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "tests/support/catch_result.h"
#include "tests/support/fake_wecom.h"
#include "wecom/api.h"
#include "wecom/approval.h"
#include "wecom/cards.h"
#include "wecom/contacts.h"
#include "wecom/directory.h"

using namespace scrm;
namespace net = boost::asio;

namespace {

struct Client {
  Client()
      : http(ioc.get_executor()),
        tokens(
            http, fake.base_url(), "ww0123456789abcdef", "fake-secret", [] { return 1700000000; },
            nullptr),
        api(http, tokens, fake.base_url()) {}

  wecom::ApiReply Run(std::string path, std::string query, std::string body) {
    wecom::ApiReply reply;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
          // (No co_await inside ?: : GCC 12 destroys its temporaries twice.)
          if (body.empty()) {
            reply = co_await api.Get(path, query);
          } else {
            reply = co_await api.Post(path, body);
          }
        },
        net::detached);
    ioc.restart();
    ioc.run();
    return reply;
  }
  wecom::ApiReply Post(std::string path, std::string body) { return Run(path, "", body); }
  wecom::ApiReply Get(std::string path, std::string query) { return Run(path, query, ""); }

  test::FakeWeCom fake;
  net::io_context ioc;
  wecom::HttpClient http;
  wecom::TokenCache tokens;
  wecom::Api api;
};

}  // namespace

TEST_CASE("directory APIs against the fake", "[typed-api][fake]") {
  Client c;
  c.fake.AddDepartment({1, "公司", 0, {"boss"}});
  c.fake.AddDepartment({2, "华东销售", 1, {"lisi"}});
  c.fake.AddMember({"lisi", "李四", {2}, {"boss"}});
  c.fake.AddMember({"zhangsan", "张三", {2}, {"lisi"}});

  auto departments = wecom::ParseDepartments(
      c.Get(wecom::kDepartmentListPath, wecom::DepartmentListQuery(0)).body);
  REQUIRE(departments);
  REQUIRE(departments->size() == 2);
  CHECK((*departments)[1].leaders == std::vector<std::string>{"lisi"});

  auto team = wecom::ParseMemberList(c.Get(wecom::kUserListPath, wecom::UserListQuery(2)).body);
  REQUIRE(team);
  CHECK(team->size() == 2);

  auto zhangsan = c.Get(wecom::kUserGetPath, wecom::UserGetQuery("zhangsan"));
  REQUIRE(zhangsan.ok());
  auto member = wecom::ParseMember(zhangsan.body);
  REQUIRE(member);
  CHECK(member->direct_leader == std::vector<std::string>{"lisi"});

  auto missing = c.Get(wecom::kUserGetPath, wecom::UserGetQuery("nobody"));
  CHECK(missing.errcode == 60111);
}

TEST_CASE("customer contact APIs against the fake", "[typed-api][fake]") {
  Client c;
  c.fake.AddCustomer({"wmCustomer1", "王总", "星辰科技", "zhangsan", "expo-2026", "", {}});

  auto got = c.Get(wecom::kExternalContactGetPath, wecom::ExternalContactQuery("wmCustomer1"));
  REQUIRE(got.ok());
  auto detail = wecom::ParseExternalContactDetail(got.body);
  REQUIRE(detail);
  CHECK(detail->contact.corp_name == "星辰科技");
  REQUIRE(detail->follow_users.size() == 1);
  CHECK(detail->follow_users[0].state == "expo-2026");
  CHECK(c.Get(wecom::kExternalContactGetPath, wecom::ExternalContactQuery("nope")).errcode ==
        40096);

  auto page_body = wecom::BatchGetByUserBody({"zhangsan"}, "", 100);
  REQUIRE(page_body);
  auto page = wecom::ParseContactPage(c.Post(wecom::kBatchGetByUserPath, *page_body).body);
  REQUIRE(page);
  CHECK(page->contacts.size() == 1);

  CHECK(c.Post(wecom::kRemarkPath,
               wecom::RemarkBody({"zhangsan", "wmCustomer1", "王总(A)", "", "", {}}))
            .ok());
  CHECK(c.fake.customer("wmCustomer1")->remark == "王总(A)");
  CHECK(c.Post(wecom::kRemarkPath, wecom::RemarkBody({"lisi", "wmCustomer1", "x", "", "", {}}))
            .errcode == 84061);

  auto added = wecom::ParseAddedCorpTags(
      c.Post(wecom::kAddCorpTagPath, wecom::AddCorpTagBody("", "客户等级", {"A类", "B类"}, 1000002))
          .body);
  REQUIRE(added);
  REQUIRE(added->tags.size() == 2);
  auto groups = wecom::ParseCorpTagGroups(
      c.Post(wecom::kGetCorpTagListPath, wecom::CorpTagListBody({}, {})).body);
  REQUIRE(groups);
  CHECK(groups->at(0).group_name == "客户等级");
  std::string tag_a = added->tags[0].id;
  CHECK(
      c.Post(wecom::kMarkTagPath, wecom::MarkTagBody("zhangsan", "wmCustomer1", {tag_a}, {})).ok());
  CHECK(c.fake.customer("wmCustomer1")->tag_ids == std::vector<std::string>{tag_a});
  CHECK(c.Post(wecom::kMarkTagPath, wecom::MarkTagBody("zhangsan", "wmCustomer1", {"bogus"}, {}))
            .errcode == 40068);

  CHECK(c.Post(wecom::kSendWelcomeMsgPath, wecom::WelcomeMessageBody("WELCOME1", "您好")).ok());
  auto again = c.Post(wecom::kSendWelcomeMsgPath, wecom::WelcomeMessageBody("WELCOME1", "您好"));
  CHECK(again.errcode == 41051);
  CHECK_FALSE(again.retryable());

  auto mass = wecom::ParseMassMessageReply(
      c.Post(wecom::kAddMsgTemplatePath,
             wecom::MassMessageBody("zhangsan", {"wmCustomer1", "wmGone"}, "新品上市"))
          .body);
  REQUIRE(mass);
  CHECK(mass->fail_list == std::vector<std::string>{"wmGone"});

  auto way_body = wecom::ContactWayBody({"zhangsan", "expo-2026", "展会", true});
  REQUIRE(way_body);
  auto way = wecom::ParseContactWayReply(c.Post(wecom::kAddContactWayPath, *way_body).body);
  REQUIRE(way);
  CHECK_FALSE(way->qr_code.empty());

  c.fake.AddMember({"zhangsan", "张三", {2}, {}});
  auto follow = wecom::ParseFollowUsers(c.Get(wecom::kGetFollowUserListPath, "").body);
  REQUIRE(follow);
  CHECK(*follow == std::vector<std::string>{"zhangsan"});
}

TEST_CASE("approval APIs against the fake", "[typed-api][fake]") {
  Client c;
  auto t = wecom::ParseApprovalTemplate(
      c.Post(wecom::kGetTemplateDetailPath, wecom::TemplateDetailBody(test::kFakeTemplateId)).body);
  REQUIRE(t);
  REQUIRE(t->controls.size() == 3);
  CHECK(t->controls[1].control == "Money");

  wecom::ApprovalApplication a;
  a.creator_userid = "zhangsan";
  a.template_id = test::kFakeTemplateId;
  a.approvers = {"lisi"};
  a.values = {{wecom::ApplyValue::Kind::kText, "Text-1", "星辰科技"},
              {wecom::ApplyValue::Kind::kMoney, "Money-1", "60000.00"},
              {wecom::ApplyValue::Kind::kNumber, "Number-1", "12"}};
  // As WeCom: every required control of the template, each with its type's value.
  for (auto wrong : {wecom::ApplyValue::Kind::kText, wecom::ApplyValue::Kind::kNumber}) {
    wecom::ApprovalApplication partial = a;
    partial.values.erase(partial.values.begin() + 1);  // no Money-1
    if (wrong == wecom::ApplyValue::Kind::kNumber) {
      partial = a;
      partial.values[1].kind = wecom::ApplyValue::Kind::kNumber;  // Money-1 as a number
    }
    auto refused = c.Post(wecom::kApplyEventPath, *wecom::ApplyEventBody(partial)).body;
    CHECK(refused.find("\"errcode\":301025") != std::string::npos);
    CHECK(refused.find("Money-1") != std::string::npos);
  }
  CHECK(c.fake.approvals().empty());
  auto body = wecom::ApplyEventBody(a);
  REQUIRE(body);
  auto sp_no = wecom::ParseApplyEventReply(c.Post(wecom::kApplyEventPath, *body).body);
  REQUIRE(sp_no);
  REQUIRE(c.fake.approvals().size() == 1);
  CHECK(c.fake.approvals()[0].approvers == std::vector<std::string>{"lisi"});

  auto pending = wecom::ParseApprovalDetail(
      c.Post(wecom::kGetApprovalDetailPath, wecom::ApprovalDetailBody(*sp_no)).body);
  REQUIRE(pending);
  CHECK(pending->status == static_cast<int>(wecom::ApprovalStatus::kPending));
  REQUIRE(c.fake.Decide(*sp_no, 2, "同意"));
  auto decided = wecom::ParseApprovalDetail(
      c.Post(wecom::kGetApprovalDetailPath, wecom::ApprovalDetailBody(*sp_no)).body);
  REQUIRE(decided);
  CHECK(decided->status == static_cast<int>(wecom::ApprovalStatus::kApproved));
  CHECK(decided->applicant == "zhangsan");
  CHECK(decided->decisions.at(0).speech == "同意");
}

TEST_CASE("cards, card updates and app chats against the fake", "[typed-api][fake]") {
  Client c;
  wecom::TemplateCard card;
  card.card_type = "button_interaction";
  card.task_id = "quote-1";
  card.title = "折扣审批";
  card.buttons = {{"批准", 1, "approve:1"}, {"驳回", 2, "reject:1"}};
  auto body = wecom::TemplateCardMessageBody(wecom::Users({"lisi"}), 1000002, card);
  REQUIRE(body);
  auto sent = wecom::ParseSendReply(c.Post(wecom::kMessageSendPath, *body).body);
  REQUIRE(sent);
  REQUIRE_FALSE(sent->response_code.empty());
  auto update = wecom::UpdateCardButtonBody({"lisi"}, 1000002, sent->response_code, "已批准");
  CHECK(c.Post(wecom::kUpdateTemplateCardPath, update).ok());
  CHECK(c.Post(wecom::kUpdateTemplateCardPath, update).errcode == 40058);  // used once

  auto news = wecom::NewsMessageBody(wecom::Users({"lisi"}), 1000002,
                                     {{"周报", "本周回款", "https://e.com/w", ""}});
  CHECK(c.Post(wecom::kMessageSendPath, news).ok());
  auto textcard = wecom::TextCardMessageBody({{}, {"2"}, {}}, 1000002,
                                             {"日报", "昨日新增客户 3", "https://e.com/d", ""});
  CHECK(c.Post(wecom::kMessageSendPath, textcard).ok());
  CHECK(c.Post(wecom::kMessageSendPath, wecom::TextCardMessageBody({}, 1000002, {})).errcode ==
        82001);

  auto create = wecom::AppChatCreateBody({"华东销售", "lisi", {"lisi", "zhangsan"}, ""});
  REQUIRE(create);
  auto chat = wecom::ParseAppChatCreated(c.Post(wecom::kAppChatCreatePath, *create).body);
  REQUIRE(chat);
  for (const auto& part : wecom::AppChatMarkdownBodies(*chat, "**日报**")) {
    CHECK(c.Post(wecom::kAppChatSendPath, part).ok());
  }
}
