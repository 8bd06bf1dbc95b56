// Discounts beyond a rep's authority: the quote waits for the manager's
// decision, taken in an OA approval or on an interactive card, applied once.
#include <catch2/catch.hpp>

#include "bot/approvals.h"
#include "bot/customer_events.h"
#include "bot/digest.h"
#include "storage/crm.h"
#include "storage/reports.h"
#include "tests/support/crm_fixture.h"

using namespace scrm;

namespace {

std::int64_t Setup(test::CrmFixture& f) {
  f.config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  domain::Customer c;
  c.owner = "zhangsan";
  c.name = "王总";
  c.created_at = f.now;
  return storage::InsertCustomer(f.conn(), c);
}

bool Has(const std::string& text, const std::string& part) {
  INFO(text);
  return text.find(part) != std::string::npos;
}

wecom::TemplateCardEvent Click(const std::string& who, const std::string& key) {
  wecom::TemplateCardEvent e;
  e.header.from_user = who;
  e.event_key = key;
  e.response_code = "RC-1";
  return e;
}

wecom::ApprovalChangeEvent Approval(const std::string& sp_no, int status) {
  wecom::ApprovalChangeEvent e;
  e.info.sp_no = sp_no;
  e.info.sp_status = status;
  return e;
}

}  // namespace

TEST_CASE("within authority a quote applies at once", "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  CHECK(Has(f.Reply("zhangsan", "报价 王总 3万 折扣 5"), "已记录"));  // ≤ 50,000 and ≤ 5%
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 2'850'000);
  CHECK(domain::NeedsApproval(5'000'000, 500, domain::DefaultAuthority()) == false);
  CHECK(domain::NeedsApproval(5'000'000, 600, domain::DefaultAuthority()));
  CHECK(domain::NeedsApproval(5'000'100, 100, domain::DefaultAuthority()));
  CHECK_FALSE(domain::NeedsApproval(90'000'000, 0, domain::DefaultAuthority()));
}

TEST_CASE("an over-authority quote from a rep without a manager is refused", "[approval]") {
  test::CrmFixture f;
  domain::Customer c;
  c.owner = "loner";  // in no team: nobody to approve
  c.name = "李总";
  c.created_at = f.now;
  auto id = storage::InsertCustomer(f.conn(), c);
  f.Reply("loner", "报价 李总 1万");
  std::string reply = f.Reply("loner", "报价 李总 10万 折扣 50");
  CHECK(Has(reply, "超出你的折扣权限"));
  CHECK(Has(reply, "报价未记录"));
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 1'000'000);  // unchanged
  CHECK(storage::PendingQuotes(f.conn(), {"loner"}).empty());
  CHECK(Has(f.Reply("loner", "报价 李总 3万 折扣 5"), "已记录"));  // within authority: as usual

  // The manager at the top of a team has nobody above: decides alone.
  f.config.teams.push_back({"华南", "chief", {"loner"}, "", ""});
  domain::Customer big;
  big.owner = "chief";
  big.name = "赵总";
  big.created_at = f.now;
  auto big_id = storage::InsertCustomer(f.conn(), big);
  CHECK(Has(f.Reply("chief", "报价 赵总 10万 折扣 20"), "已记录"));
  CHECK(storage::OpenDeal(f.conn(), big_id)->amount == 8'000'000);
}

TEST_CASE("an over-authority quote waits for the manager's card", "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  f.Reply("zhangsan", "报价 王总 1万");  // the current quote
  auto out = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context());
  REQUIRE(out.size() == 2);
  CHECK(out[0].recipient == "user:boss");
  CHECK(Has(out[0].body, "\"card_type\":\"button_interaction\""));
  CHECK(Has(out[0].body, "approve:"));
  CHECK(Has(test::ContentOf(out[1].body), "已提交 boss 审批"));
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 1'000'000);  // unchanged while pending
  // Sent again before any answer: the manager is not asked twice, and the
  // rep's answer is not one WeCom's duplicate check would drop.
  CHECK_FALSE(Has(out[1].body, "\"enable_duplicate_check\":1"));
  auto again = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context());
  REQUIRE(again.size() == 1);
  CHECK(again[0].recipient == "user:zhangsan");
  CHECK(Has(test::ContentOf(again[0].body), "已在 boss 审批中，没有再次提交"));
  CHECK(storage::PendingQuotes(f.conn(), {"zhangsan"}).size() == 1);

  auto quote = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  std::string key = "approve:" + std::to_string(quote.id);
  CHECK(bot::HandleCardClick(f.conn(), Click("zhangsan", key), f.Context()).empty());  // not theirs
  for (const char* bad :
       {"approve:", "approve:abc", "approve:-1", "approve:99999999999999999999", "accept:1", ""}) {
    CHECK(bot::HandleCardClick(f.conn(), Click("boss", bad), f.Context()).empty());
  }
  CHECK(bot::ApprovalSubmitted(f.conn(), "approval_submitted:x", R"({"sp_no":"1"})", f.Context())
            .empty());  // ignored
  CHECK(bot::ApprovalSubmitted(f.conn(), "approval_submitted:1", "not json", f.Context())
            .empty());  // ignored
  CHECK(storage::QuoteById(f.conn(), quote.id)->status == "pending");
  auto decided = bot::HandleCardClick(f.conn(), Click("boss", key), f.Context());
  REQUIRE(decided.size() == 2);
  CHECK(Has(test::ContentOf(decided[0].body), "boss 已批准 王总"));
  CHECK_FALSE(Has(decided[0].body, "\"enable_duplicate_check\":1"));  // the next may read the same
  CHECK(decided[1].api == "/cgi-bin/message/update_template_card");
  CHECK(Has(decided[1].body, "\"response_code\":\"RC-1\""));
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 5'400'000);
  // WeCom re-sends, or the manager clicks again: nothing more happens.
  CHECK(bot::HandleCardClick(f.conn(), Click("boss", key), f.Context()).empty());
  CHECK(bot::HandleCardClick(f.conn(), Click("boss", "reject:" + std::to_string(quote.id)),
                             f.Context())
            .empty());
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 5'400'000);
}

namespace {

// A pending over-authority quote of zhangsan's, decided by boss's card.
std::vector<storage::OutboxMessage> DecideByCard(test::CrmFixture& f, bool approve) {
  auto quote = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  std::string key = (approve ? "approve:" : "reject:") + std::to_string(quote.id);
  return bot::HandleCardClick(f.conn(), Click("boss", key), f.Context());
}

}  // namespace

TEST_CASE("an approval decided after payments: paid off wins, paid past it is not applied",
          "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  f.Reply("zhangsan", "报价 王总 4万");
  f.Reply("zhangsan", "回款 王总 3万");
  REQUIRE(bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 4万 折扣 25", f.Context()).size() ==
          2);  // 3万, waits for boss
  auto decided = DecideByCard(f, true);
  REQUIRE(decided.size() == 2);
  CHECK(Has(test::ContentOf(decided[0].body), "款项已结清，商机成交"));
  auto deal = storage::LatestDeal(f.conn(), id);
  CHECK(deal->amount == 3'000'000);
  CHECK(deal->stage == "成交");
  CHECK(deal->closed_at == f.now);

  // Another customer: more is paid while the approval waits than it allows.
  domain::Customer li;
  li.owner = "zhangsan";
  li.name = "李总";
  li.created_at = f.now;
  auto li_id = storage::InsertCustomer(f.conn(), li);
  f.Reply("zhangsan", "报价 李总 4万");
  f.Reply("zhangsan", "回款 李总 2万");
  REQUIRE(bot::RunRepMessage(f.conn(), "zhangsan", "报价 李总 4万 折扣 25", f.Context()).size() ==
          2);
  f.Reply("zhangsan", "回款 李总 1.5万");  // 3.5万 paid, more than the 3万 asked for
  auto quote = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  decided = DecideByCard(f, true);
  REQUIRE(decided.size() == 2);
  CHECK(Has(test::ContentOf(decided[0].body), "已回款 ¥35,000.00，多于此报价，未按此报价更改"));
  CHECK(storage::OpenDeal(f.conn(), li_id)->amount == 4'000'000);
  CHECK(storage::QuoteById(f.conn(), quote.id)->status == "overtaken");
}

TEST_CASE("a new quote equal to what has been paid wins the deal", "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  f.Reply("zhangsan", "报价 王总 4万");
  f.Reply("zhangsan", "回款 王总 3万");
  CHECK(Has(f.Reply("zhangsan", "报价 王总 3万"), "已全部回款，商机成交"));
  CHECK(storage::LatestDeal(f.conn(), id)->stage == "成交");
  CHECK_FALSE(storage::OpenDeal(f.conn(), id));
}

TEST_CASE("an approval revoked or deleted in WeCom ends its quote; the rep can ask again",
          "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  f.config.approval = {"tpl-1", "Text-1", "Money-1", "Number-1", 24};
  f.Reply("zhangsan", "报价 王总 1万");
  auto submit = [&](const std::string& sp_no) {
    auto out = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 8万 折扣 12", f.Context());
    REQUIRE(out.size() == 2);  // filed (not "已在审批中")
    CHECK(out[0].api == "/cgi-bin/oa/applyevent");
    bot::ApprovalSubmitted(f.conn(), out[0].on_reply, R"({"errcode":0,"sp_no":")" + sp_no + R"("})",
                           f.Context());
    return storage::QuoteBySpNo(f.conn(), sp_no)->id;
  };
  for (int status : {4, 7}) {  // revoked by the applicant, deleted
    INFO(status);
    std::string sp_no = "2026112800" + std::to_string(status);
    auto quote = submit(sp_no);
    auto told = bot::HandleApprovalChange(f.conn(), Approval(sp_no, status), f.Context());
    REQUIRE(told.size() == 1);
    CHECK(Has(test::ContentOf(told[0].body),
              status == 4 ? "的审批已撤销，报价未生效" : "的审批已被删除，报价未生效"));
    // The same terms asked and withdrawn again say the same words: each must
    // reach the rep, so WeCom's duplicate check is off.
    CHECK_FALSE(Has(told[0].body, "\"enable_duplicate_check\":1"));
    CHECK(storage::QuoteById(f.conn(), quote)->status == "withdrawn");
    CHECK(storage::PendingQuotes(f.conn(), {"zhangsan"}).empty());
    CHECK(storage::OpenDeal(f.conn(), id)->amount == 1'000'000);
    CHECK(bot::HandleApprovalChange(f.conn(), Approval(sp_no, status), f.Context()).empty());
    CHECK(bot::HandleApprovalChange(f.conn(), Approval(sp_no, 2), f.Context()).empty());
  }
  // Approved, then revoked: the rep is told to check the price.
  auto quote = submit("202611280099");
  REQUIRE(bot::HandleApprovalChange(f.conn(), Approval("202611280099", 2), f.Context()).size() ==
          1);
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 7'040'000);
  auto told = bot::HandleApprovalChange(f.conn(), Approval("202611280099", 6), f.Context());
  REQUIRE(told.size() == 1);
  CHECK(Has(test::ContentOf(told[0].body), "在通过后被撤销。商机的报价没有自动改回"));
  CHECK(storage::QuoteById(f.conn(), quote)->status == "withdrawn");
  CHECK(bot::HandleApprovalChange(f.conn(), Approval("202611280099", 6), f.Context()).empty());
  // Revoked after it passed, the approval's own callback not seen yet (it
  // comes later, or never): the quote ends unapplied, the late approval
  // changes nothing.
  quote = submit("202611280100");
  auto early = bot::HandleApprovalChange(f.conn(), Approval("202611280100", 6), f.Context());
  REQUIRE(early.size() == 1);
  CHECK(Has(test::ContentOf(early[0].body), "的审批已撤销，报价未生效"));
  CHECK(storage::QuoteById(f.conn(), quote)->status == "withdrawn");
  CHECK(bot::HandleApprovalChange(f.conn(), Approval("202611280100", 2), f.Context()).empty());
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 7'040'000);  // as before it
}

TEST_CASE("asked again after a quote within authority, a waiting request is asked anew",
          "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  auto first = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 4万 折扣 10", f.Context());
  REQUIRE(first.size() == 2);
  auto waiting = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  f.Reply("zhangsan", "报价 王总 4万 折扣 5");  // within authority: recorded
  // The same request as the first: a new one, since an approval of the
  // first would no longer apply.
  auto again = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 4万 折扣 10", f.Context());
  REQUIRE(again.size() == 2);
  CHECK(again[0].recipient == "user:boss");
  CHECK(storage::QuoteById(f.conn(), waiting.id)->status == "overtaken");
  // The first request's card, clicked now: its buttons say it no longer applies.
  wecom::TemplateCardEvent stale;
  stale.header.from_user = "boss";
  stale.event_key = "approve:" + std::to_string(waiting.id);
  stale.response_code = "RC-OLD";
  auto greyed = bot::HandleCardClick(f.conn(), stale, f.Context());
  REQUIRE(greyed.size() == 1);
  CHECK(greyed[0].api == "/cgi-bin/message/update_template_card");
  CHECK(Has(greyed[0].body, "已失效"));
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 3'800'000);  // the quote within authority
  auto now_waiting = storage::PendingQuotes(f.conn(), {"zhangsan"});
  REQUIRE(now_waiting.size() == 1);
  CHECK(now_waiting[0].id != waiting.id);
  // The manager approves the new one: it applies.
  wecom::TemplateCardEvent click;
  click.header.from_user = "boss";
  click.event_key = "approve:" + std::to_string(now_waiting[0].id);
  REQUIRE_FALSE(bot::HandleCardClick(f.conn(), click, f.Context()).empty());
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 3'600'000);
}

TEST_CASE("a quote whose discount leaves nothing is refused", "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  CHECK(Has(f.Reply("zhangsan", "报价 王总 0.01 折扣 60"), "折后金额为 ¥0.00，报价未记录"));
  CHECK_FALSE(storage::OpenDeal(f.conn(), id));
  CHECK(storage::PendingQuotes(f.conn(), {"zhangsan"}).empty());
}

TEST_CASE("an approval that arrives after a newer quote or the deal's end changes nothing",
          "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context());  // pending
  auto old_quote = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  CHECK(Has(f.Reply("zhangsan", "报价 王总 5万"), "已记录"));  // a newer price, within authority
  auto decided = bot::HandleCardClick(
      f.conn(), Click("boss", "approve:" + std::to_string(old_quote.id)), f.Context());
  REQUIRE_FALSE(decided.empty());
  CHECK(Has(test::ContentOf(decided[0].body), "未按此报价更改"));
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 5'000'000);  // the newer quote stands

  bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 8万 折扣 10", f.Context());  // pending
  auto pending = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  f.Reply("zhangsan", "输单 王总 预算砍掉");
  decided = bot::HandleCardClick(f.conn(), Click("boss", "approve:" + std::to_string(pending.id)),
                                 f.Context());
  REQUIRE_FALSE(decided.empty());
  CHECK(Has(test::ContentOf(decided[0].body), "未按此报价更改"));
  CHECK_FALSE(storage::OpenDeal(f.conn(), id));  // still lost
}

TEST_CASE("with an approval template the quote goes through OA", "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  f.config.approval = {"tpl-1", "Text-1", "Money-1", "Number-1", 24};
  auto out = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 8万 折扣 12", f.Context());
  REQUIRE(out.size() == 2);
  CHECK(out[0].api == "/cgi-bin/oa/applyevent");
  CHECK(Has(out[0].body, "\"creator_userid\":\"zhangsan\""));
  CHECK(Has(out[0].body, "\"userid\":[\"boss\"]"));
  CHECK(Has(out[0].body, "\"new_money\":\"80000.00\""));
  auto quote = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  CHECK(bot::ApprovalSubmitted(f.conn(), out[0].on_reply, R"({"errcode":0,"sp_no":"202611270001"})",
                               f.Context())
            .empty());  // pending already: nothing to tell
  CHECK(storage::QuoteById(f.conn(), quote.id)->sp_no == "202611270001");

  CHECK(bot::HandleApprovalChange(f.conn(), Approval("202611270001", 1), f.Context()).empty());
  auto rejected = bot::HandleApprovalChange(f.conn(), Approval("202611270001", 3), f.Context());
  REQUIRE(rejected.size() == 1);
  CHECK(Has(test::ContentOf(rejected[0].body), "驳回"));
  CHECK(Has(test::ContentOf(rejected[0].body), "商机暂无报价"));  // there was none to keep
  CHECK(bot::HandleApprovalChange(f.conn(), Approval("202611270001", 2), f.Context()).empty());
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 0);  // rejected stays rejected: no price yet
  CHECK(storage::QuoteBySpNo(f.conn(), "202611270001")->status == "rejected");
  CHECK(bot::HandleApprovalChange(f.conn(), Approval("unknown", 2), f.Context()).empty());
}

namespace {

wecom::ApprovalChangeEvent OurApproval(const std::string& sp_no, int status) {
  wecom::ApprovalChangeEvent e = Approval(sp_no, status);
  e.info.template_id = "tpl-1";
  e.info.applyer_user_id = "zhangsan";
  return e;
}

// A minute after the fixture's quotes: when their requests were filed.
constexpr std::int64_t kFiled = 1764032400 + 60;

// oa/getapprovaldetail's answer for an approval of tpl-1 by zhangsan, filed
// at `filed` and decided (as `status` says) by `approver`.
std::string Detail(const std::string& sp_no, int status, const std::string& contents,
                   const std::string& template_id = "tpl-1", const std::string& approver = "boss",
                   int line_status = 0, std::int64_t filed = kFiled) {
  std::string s = std::to_string(status);
  std::string line = std::to_string(line_status ? line_status : status);
  return R"({"errcode":0,"errmsg":"ok","info":{"sp_no":")" + sp_no +
         R"(","sp_name":"折扣审批","sp_status":)" + s + R"(,"template_id":")" + template_id +
         R"(","apply_time":)" + std::to_string(filed) +
         R"(,"applyer":{"userid":"zhangsan","partyid":"1"},)"
         R"("sp_record":[{"sp_status":)" +
         s + R"(,"approverattr":1,"details":[{"approver":{"userid":")" + approver +
         R"("},"speech":"","sp_status":)" + line +
         R"(,"sptime":1700000100}]}],)"
         R"("apply_data":{"contents":[)" +
         contents + "]}}}";
}

std::string Form(const std::string& customer) {
  return R"({"control":"Text","id":"Text-1","value":{"text":")" + customer +
         R"("}},)"
         R"({"control":"Money","id":"Money-1","value":{"new_money":"80000.00"}},)"
         R"({"control":"Number","id":"Number-1","value":{"new_number":"12"}})";
}

}  // namespace

TEST_CASE("a decision on an approval whose sp_no was lost is matched by its form", "[approval]") {
  test::CrmFixture f;
  auto wang = Setup(f);
  domain::Customer li;
  li.owner = "zhangsan";
  li.name = "李总";
  li.created_at = f.now;
  auto li_id = storage::InsertCustomer(f.conn(), li);
  f.config.approval = {"tpl-1", "Text-1", "Money-1", "Number-1", 24};
  // Two quotes of the same price wait; neither applyevent answer was kept.
  REQUIRE(bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 8万 折扣 12", f.Context()).size() ==
          2);
  REQUIRE(bot::RunRepMessage(f.conn(), "zhangsan", "报价 李总 8万 折扣 12", f.Context()).size() ==
          2);

  // Only decisions on the bot's own template lead to reading the form.
  CHECK(bot::HandleApprovalChange(f.conn(), OurApproval("SP-9", 1), f.Context()).empty());
  auto other = OurApproval("SP-9", 2);
  other.info.template_id = "leave-request";
  CHECK(bot::HandleApprovalChange(f.conn(), other, f.Context()).empty());
  auto read = bot::HandleApprovalChange(f.conn(), OurApproval("SP-9", 2), f.Context());
  REQUIRE(read.size() == 1);
  CHECK(read[0].api == "/cgi-bin/oa/getapprovaldetail");
  CHECK(read[0].body == R"({"sp_no":"SP-9"})");
  CHECK(read[0].on_reply == bot::kApprovalDetail);

  // A form that fits both quotes, another template's, or one still
  // pending: nothing is applied.
  std::string amounts_only = R"({"control":"Money","id":"Money-1","value":{"new_money":"80000"}})";
  CHECK(bot::ApprovalDetailRead(f.conn(), Detail("SP-9", 2, amounts_only), f.Context()).empty());
  CHECK(bot::ApprovalDetailRead(f.conn(), Detail("SP-9", 2, Form("王总"), "other"), f.Context())
            .empty());
  CHECK(bot::ApprovalDetailRead(f.conn(), Detail("SP-9", 1, Form("王总")), f.Context()).empty());
  CHECK(bot::ApprovalDetailRead(f.conn(), "{\"errcode\":0}", f.Context()).empty());
  // The rep's own approval, filed by hand with the same form and approved
  // by a colleague (or by the rep): not the manager's decision.
  for (const char* approver : {"lisi", "zhangsan"}) {
    CHECK(bot::ApprovalDetailRead(f.conn(), Detail("SP-8", 2, Form("王总"), "tpl-1", approver),
                                  f.Context())
              .empty());
  }
  // 李总's request was filed twice (its first answer lost, the second kept):
  // the manager rejecting the unknown copy is clearing it away.
  auto li_quote = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(1);
  REQUIRE(li_quote.customer_id == li_id);
  storage::SetQuoteSpNo(f.conn(), li_quote.id, "SP-LI");
  CHECK(bot::ApprovalDetailRead(f.conn(), Detail("SP-7", 3, Form("李总")), f.Context()).empty());
  CHECK(storage::QuoteById(f.conn(), li_quote.id)->status == "pending");
  CHECK(storage::QuoteById(f.conn(), li_quote.id)->sp_no == "SP-LI");
  CHECK(storage::PendingQuotes(f.conn(), {"zhangsan"}).size() == 2);

  // The manager handed it to a deputy (转审, the manager's line 4), who
  // approved it.
  auto told = bot::ApprovalDetailRead(f.conn(), Detail("SP-9", 2, Form("王总"), "tpl-1", "boss", 4),
                                      f.Context());
  REQUIRE(told.size() == 1);
  CHECK(Has(test::ContentOf(told[0].body), "批准"));
  CHECK(storage::OpenDeal(f.conn(), wang)->amount == 7'040'000);
  CHECK(storage::QuoteBySpNo(f.conn(), "SP-9")->customer_id == wang);
  auto waiting = storage::PendingQuotes(f.conn(), {"zhangsan"});
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].customer_id == li_id);
  // The same decision read again changes nothing and tells nobody.
  CHECK(bot::ApprovalDetailRead(f.conn(), Detail("SP-9", 2, Form("王总")), f.Context()).empty());
  // An approval of the same form filed well before 李总's quote (an old
  // one, commented on today, say) does not settle it.
  CHECK(bot::ApprovalDetailRead(
            f.conn(), Detail("SP-OLD", 2, Form("李总"), "tpl-1", "boss", 0, f.now - 7 * 86400),
            f.Context())
            .empty());
  CHECK(storage::PendingQuotes(f.conn(), {"zhangsan"}).size() == 1);
  // Events of the approval now on record are applied as usual (already decided).
  CHECK(bot::HandleApprovalChange(f.conn(), OurApproval("SP-9", 2), f.Context()).empty());
}

TEST_CASE("an approval request WeCom refuses for good ends the quote and tells the rep",
          "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  f.Reply("zhangsan", "报价 王总 1万");
  auto out = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context());
  REQUIRE(out.size() == 2);
  auto quote = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  CHECK(out[0].on_reply == bot::kApprovalCard + std::to_string(quote.id));
  // The card's message/send went to the dead letter (the manager is not in
  // the app's visible range, say).
  CHECK(bot::ApplyRefusal(f.conn(), "", 81013, "errcode 81013", f.Context()).empty());
  auto told = bot::ApplyRefusal(f.conn(), out[0].on_reply, 81013,
                                "errcode 81013: answered 0 but not delivered: invaliduser boss",
                                f.Context());
  REQUIRE(told.size() == 1);
  CHECK(told[0].recipient == "user:zhangsan");
  // In words, without WeCom's English text (it names userids): that is in the log.
  std::string content = test::ContentOf(told[0].body);
  CHECK(Has(content, "审批没能提交给 boss：审批人不在应用的可见范围内，或账号已停用。"));
  CHECK_FALSE(Has(content, "errcode"));
  CHECK_FALSE(Has(content, "invaliduser"));
  CHECK(storage::QuoteById(f.conn(), quote.id)->status == "failed");
  CHECK(storage::PendingQuotes(f.conn(), {"zhangsan"}).empty());
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 1'000'000);
  // Nothing waits any more: no reminder, and a late click changes nothing
  // but the card, whose buttons now say so.
  f.now += 48 * 3600;
  CHECK(bot::ApprovalReminders(f.conn(), f.Context()).empty());
  auto late = bot::HandleCardClick(f.conn(), Click("boss", "approve:" + std::to_string(quote.id)),
                                   f.Context());
  REQUIRE(late.size() == 1);
  CHECK(late[0].api == "/cgi-bin/message/update_template_card");
  CHECK(Has(late[0].body, "已失效"));
  CHECK(storage::QuoteById(f.conn(), quote.id)->status == "failed");
  CHECK(bot::ApplyRefusal(f.conn(), out[0].on_reply, 81013, "again", f.Context()).empty());
  // The dead card sent again once the setup is fixed (`outbox retry`): the
  // quote waits again, the rep is told, and the manager's click counts.
  auto again = bot::ApplyReply(f.conn(), out[0].on_reply, R"({"errcode":0})", f.Context());
  REQUIRE(again.size() == 1);
  CHECK(Has(test::ContentOf(again[0].body), "已提交 boss 审批"));
  CHECK(storage::QuoteById(f.conn(), quote.id)->status == "pending");
  // Asked again just now: reminded remind_hours from now, not at once.
  CHECK(bot::ApprovalReminders(f.conn(), f.Context()).empty());
  f.now += 24 * 3600 + 1;
  CHECK(bot::ApprovalReminders(f.conn(), f.Context()).size() == 1);
  CHECK(bot::ApplyReply(f.conn(), out[0].on_reply, R"({"errcode":0})", f.Context()).empty());
  REQUIRE(bot::HandleCardClick(f.conn(), Click("boss", "approve:" + std::to_string(quote.id)),
                               f.Context())
              .size() == 2);
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 5'400'000);

  // The same through OA: the applyevent row's refusal.
  f.config.approval = {"tpl-1", "Text-1", "Money-1", "Number-1", 24};
  auto oa = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 7万 折扣 10", f.Context());
  REQUIRE(oa.size() == 2);
  auto refused = bot::ApplyRefusal(f.conn(), oa[0].on_reply, 301025, "errcode 301025", f.Context());
  REQUIRE(refused.size() == 1);
  CHECK(Has(test::ContentOf(refused[0].body), "审批参数有误"));
  auto other = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 7万 折扣 11", f.Context());
  REQUIRE(other.size() == 2);
  auto unknown =
      bot::ApplyRefusal(f.conn(), other[0].on_reply, 40058, "errcode 40058: invalid", f.Context());
  REQUIRE(unknown.size() == 1);
  CHECK(Has(test::ContentOf(unknown[0].body), "企业微信拒绝了请求（错误码 40058）"));
  CHECK(storage::PendingQuotes(f.conn(), {"zhangsan"}).empty());
}

TEST_CASE("a request asked of a manager who has left gives way to one for the new manager",
          "[approval]") {
  test::CrmFixture f;
  Setup(f);
  REQUIRE(bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context()).size() ==
          2);
  auto first = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  CHECK(first.manager == "boss");
  // boss leaves; the team now reports to newboss.
  storage::SetRepDeparted(f.conn(), "boss", f.now);
  f.config.teams[0].manager = "newboss";
  f.now += 25 * 3600;
  // Not boss, who is gone: the rep, who is asked to send it again.
  auto reminded = bot::ApprovalReminders(f.conn(), f.Context());
  REQUIRE(reminded.size() == 1);
  CHECK(reminded[0].recipient == "user:zhangsan");
  CHECK(Has(test::ContentOf(reminded[0].body), "还在等 boss 审批，但 boss 已不是你的上级"));
  CHECK(Has(test::ContentOf(reminded[0].body), "它会提交给 newboss 审批"));
  // Nor in newboss's digest: nobody there can decide it.
  CHECK_FALSE(Has(bot::DailyDigest(f.conn(), "newboss", f.now - 86400, f.Context()), "待审批报价"));
  auto again = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context());
  REQUIRE(again.size() == 2);
  CHECK(again[0].recipient == "user:newboss");
  CHECK(Has(test::ContentOf(again[1].body), "已提交 newboss 审批"));
  CHECK(storage::QuoteById(f.conn(), first.id)->status == "overtaken");
  auto waiting = storage::PendingQuotes(f.conn(), {"zhangsan"});
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].manager == "newboss");
}

TEST_CASE("a decision made after 转审 names who made it", "[approval]") {
  test::CrmFixture f;
  Setup(f);
  f.config.approval = {"tpl-1", "Text-1", "Money-1", "Number-1", 24};
  auto out = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 8万 折扣 12", f.Context());
  REQUIRE(out.size() == 2);
  bot::ApprovalSubmitted(f.conn(), out[0].on_reply, R"({"errcode":0,"sp_no":"SP-T"})", f.Context());
  // boss handed it to wangwu (boss's line 4), who approved it.
  auto e = Approval("SP-T", 2);
  e.info.records = {{2, 1, {{"boss", "", 4, 0}}}, {2, 1, {{"wangwu", "", 2, 0}}}};
  auto told = bot::HandleApprovalChange(f.conn(), e, f.Context());
  REQUIRE(told.size() == 1);
  CHECK(Has(test::ContentOf(told[0].body), "wangwu 已批准 王总"));
  // Approved by boss, then by someone in a later step: boss decided.
  out = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 9万 折扣 12", f.Context());
  REQUIRE(out.size() == 2);
  bot::ApprovalSubmitted(f.conn(), out[0].on_reply, R"({"errcode":0,"sp_no":"SP-U"})", f.Context());
  e = Approval("SP-U", 2);
  e.info.records = {{2, 1, {{"boss", "", 2, 0}}}, {2, 1, {{"finance", "", 2, 0}}}};
  told = bot::HandleApprovalChange(f.conn(), e, f.Context());
  REQUIRE(told.size() == 1);
  CHECK(Has(test::ContentOf(told[0].body), "boss 已批准 王总"));
}

TEST_CASE("an unanswered approval gets one reminder", "[approval]") {
  test::CrmFixture f;
  Setup(f);
  bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context());
  f.now += 23 * 3600;
  CHECK(bot::ApprovalReminders(f.conn(), f.Context()).empty());
  f.now += 2 * 3600;
  auto reminders = bot::ApprovalReminders(f.conn(), f.Context());
  REQUIRE(reminders.size() == 1);
  CHECK(reminders[0].recipient == "user:boss");
  CHECK(Has(test::ContentOf(reminders[0].body), "待审批"));
  CHECK(bot::ApprovalReminders(f.conn(), f.Context()).empty());
}

TEST_CASE("a request whose deal ended or was quoted again is not reminded nor in the digest",
          "[approval]") {
  test::CrmFixture f;
  Setup(f);
  f.AddCustomer("zhangsan", "李总", f.now);
  bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context());
  bot::RunRepMessage(f.conn(), "zhangsan", "报价 李总 6万 折扣 10", f.Context());
  REQUIRE(storage::QuotesAwaitingDecision(f.conn(), {"zhangsan"}).size() == 2);
  // 王总 quoted again within the rep's authority; 李总's deal lost.
  bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 5万", f.Context());
  bot::RunRepMessage(f.conn(), "zhangsan", "输单 李总 预算砍掉", f.Context());
  CHECK(storage::QuotesAwaitingDecision(f.conn(), {"zhangsan"}).empty());
  // Still pending, so that an answer that comes for them is recognised.
  CHECK(storage::PendingQuotes(f.conn(), {"zhangsan"}).size() == 2);
  f.now += 25 * 3600;
  CHECK(bot::ApprovalReminders(f.conn(), f.Context()).empty());
}

TEST_CASE("a request that waited in the outbox is reminded a day after it arrived", "[approval]") {
  test::CrmFixture f;
  Setup(f);
  auto out = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 6万 折扣 10", f.Context());
  REQUIRE(out.size() == 2);
  f.now += 30 * 3600;  // the card waited (a setup error, say) and went out only now
  CHECK(bot::ApplyReply(f.conn(), out[0].on_reply, R"({"errcode":0})", f.Context()).empty());
  CHECK(bot::ApprovalReminders(f.conn(), f.Context()).empty());
  f.now += 24 * 3600 + 1;
  CHECK(bot::ApprovalReminders(f.conn(), f.Context()).size() == 1);
}

TEST_CASE("a quote sent for approval after a lost deal opens a new one: no longer a loss",
          "[approval]") {
  test::CrmFixture f;
  auto id = Setup(f);
  f.Reply("zhangsan", "阶段 王总 需求调研");
  f.Reply("zhangsan", "输单 王总 预算不够");
  CHECK(storage::CustomerById(f.conn(), id)->lifecycle == domain::Lifecycle::kAtRisk);
  f.now += 86400;
  auto asked = bot::RunRepMessage(f.conn(), "zhangsan", "报价 王总 8万 折扣 12", f.Context());
  CHECK(asked.size() == 2);  // beyond authority: to the manager, and the rep told
  auto customer = storage::CustomerById(f.conn(), id);
  CHECK(customer->lost_at == 0);
  CHECK(customer->last_contact_at == f.now);
  CHECK(customer->lifecycle != domain::Lifecycle::kAtRisk);
}

TEST_CASE("an approval that comes after a transfer to another team's rep is not applied",
          "[approval]") {
  test::CrmFixture f;
  f.config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  using Change = wecom::ExternalContactChange;
  auto event = [&](Change change, const std::string& rep) {
    wecom::ExternalContactEvent e;
    e.change = change;
    e.user_id = rep;
    e.external_user_id = "wmT";
    return bot::HandleContactEvent(f.conn(), e, f.Context());
  };
  event(Change::kAdd, "zhangsan");
  auto id = storage::CustomerByExternalId(f.conn(), "wmT")->id;
  std::string ref = "#" + std::to_string(id);
  REQUIRE(bot::RunRepMessage(f.conn(), "zhangsan", "报价 " + ref + " 4万 折扣 10", f.Context())
              .size() == 2);
  auto quote = storage::PendingQuotes(f.conn(), {"zhangsan"}).at(0);
  wecom::ExternalContactEvent moved;
  moved.change = Change::kDelete;
  moved.user_id = "zhangsan";
  moved.external_user_id = "wmT";
  moved.source = "DELETE_BY_TRANSFER";
  bot::HandleContactEvent(f.conn(), moved, f.Context());
  event(Change::kAdd, "wangwu");
  REQUIRE(storage::CustomerById(f.conn(), id)->owner == "wangwu");
  wecom::TemplateCardEvent click;
  click.header.from_user = "boss";
  click.event_key = "approve:" + std::to_string(quote.id);
  auto told = bot::HandleCardClick(f.conn(), click, f.Context());
  REQUIRE_FALSE(told.empty());
  CHECK(told[0].recipient == "user:zhangsan");
  CHECK(Has(test::ContentOf(told[0].body), "已转给他人，未按此报价更改"));
  CHECK(storage::QuoteById(f.conn(), quote.id)->status == "overtaken");
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 0);
}
