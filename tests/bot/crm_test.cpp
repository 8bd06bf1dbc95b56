// The rep's chat commands and WeCom's customer events against a real
// database: what they change, what they answer, and who may see what.
#include "storage/crm.h"

#include <catch2/catch.hpp>
#include <set>

#include "bot/customer_events.h"
#include "bot/dispatch.h"
#include "bot/reminders.h"
#include "storage/reports.h"
#include "tests/support/crm_fixture.h"
#include "tests/support/customers.h"

using namespace scrm;

namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t AddCustomer(test::CrmFixture& f, const std::string& owner, const std::string& name,
                         const std::string& company = "", const std::string& remark = "") {
  domain::Customer c = test::MakeCustomer(owner, name, company, remark, f.now);
  c.next_follow_up_at = f.now + kDay;  // first contact, as a new customer gets
  return storage::InsertCustomer(f.conn(), c);
}

bool Has(const std::string& text, const std::string& part) {
  INFO(text);
  return text.find(part) != std::string::npos;
}

wecom::ExternalContactEvent ContactEvent(wecom::ExternalContactChange change,
                                         const std::string& rep, const std::string& external) {
  wecom::ExternalContactEvent e;
  e.change = change;
  e.user_id = rep;
  e.external_user_id = external;
  return e;
}

}  // namespace

TEST_CASE("a rep records a follow-up, moves the stage, quotes, gets paid", "[crm]") {
  test::CrmFixture f;
  f.config.crm.authority = {{10'000'000, 500}};  // 5 % alone on orders up to 100,000 元
  auto id = AddCustomer(f, "zhangsan", "王总", "星辰科技");
  std::string tag = "#" + std::to_string(id);

  CHECK(Has(f.Reply("zhangsan", "跟进 王总 电话沟通，对方案B感兴趣"), "已记录对 王总"));
  auto customer = storage::CustomerById(f.conn(), id);
  CHECK(customer->last_follow_up_at == f.now);
  CHECK(customer->next_follow_up_at == f.now + 30 * kDay);  // C tier: monthly

  CHECK(Has(f.Reply("zhangsan", "阶段 王总 需求调研"), "线索 → 需求调研"));
  f.now += kDay;
  std::string quote = f.Reply("zhangsan", "报价 " + tag + " 6万 折扣 5");
  CHECK(Has(quote, "¥57,000.00"));
  CHECK(Has(quote, "原价 ¥60,000.00，折扣 5%"));
  CHECK(Has(quote, "方案报价"));  // a quote moves the deal to the quote stage
  auto deal = storage::OpenDeal(f.conn(), id);
  REQUIRE(deal);
  CHECK(deal->amount == 5'700'000);
  CHECK(storage::CustomerById(f.conn(), id)->tier == 'B');  // a 57,000 元 quote

  CHECK(Has(f.Reply("zhangsan", "回款 王总 2万"), "待回款 ¥37,000.00"));
  CHECK(storage::OpenDeal(f.conn(), id)->stage == "回款跟进");
  std::string done = f.Reply("zhangsan", "paid 王总 37,000");
  CHECK(Has(done, "成交"));
  CHECK_FALSE(storage::OpenDeal(f.conn(), id));
  customer = storage::CustomerById(f.conn(), id);
  CHECK(customer->paid_total == 5'700'000);
  CHECK(customer->won_at == f.now);
  CHECK(customer->next_follow_up_at == f.now + 7 * kDay);  // revisit after the win

  std::string card = f.Reply("zhangsan", "客户 王总");
  CHECK(Has(card, "【王总】" + tag));
  CHECK(Has(card, "星辰科技"));
  CHECK(Has(card, "成交"));
  CHECK(Has(card, "¥57,000.00"));
  CHECK(Has(card, "电话沟通"));
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 签约"), "没有这个阶段"));
  {
    // What is quoted back of an unknown stage is cut short.
    std::string stage;
    for (int i = 0; i < 500; ++i) stage += "阶";
    std::string reply = f.Reply("zhangsan", "阶段 王总 " + stage);
    CHECK(Has(reply, "没有这个阶段"));
    CHECK(reply.find(stage.substr(0, 100 * 3)) == std::string::npos);
  }
  CHECK_FALSE(storage::OpenDeal(f.conn(), id));  // a refused move creates no deal
  // Repeat business: a new deal, and the answer says so.
  CHECK(Has(
      f.Reply("zhangsan", "阶段 王总 需求调研"),
      "已为 王总（#" + std::to_string(id) + "）新建商机（上一个商机已成交）：线索 → 需求调研。"));
  CHECK(storage::OpenDeal(f.conn(), id)->id != deal->id);
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 方案报价"), "的商机：需求调研 → 方案报价。"));
  // A quote after the deal is lost starts another, and says so too.
  CHECK(Has(f.Reply("zhangsan", "输单 王总 预算取消"), "输单"));
  std::string again = f.Reply("zhangsan", "报价 王总 3万");
  CHECK(Has(again, "报价 ¥30,000.00，上一个商机已输单，已新建商机，商机阶段：方案报价。"));
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 3'000'000);
  // A quote on the open deal does not.
  CHECK_FALSE(Has(f.Reply("zhangsan", "报价 王总 4万"), "新建商机"));
}

TEST_CASE("a stage move for a customer without any deal starts one, also at the first stage",
          "[crm]") {
  test::CrmFixture f;
  auto id = AddCustomer(f, "zhangsan", "王总");
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 线索"),
            "已为 王总（#" + std::to_string(id) + "）新建商机：线索。"));
  REQUIRE(storage::OpenDeal(f.conn(), id));
  CHECK(storage::OpenDeal(f.conn(), id)->stage == "线索");
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 线索"), "已经在这个阶段"));
}

TEST_CASE("a rep cannot see another rep's customers; a manager sees the team's", "[crm]") {
  test::CrmFixture f;
  f.config.teams.push_back({"华东", "boss", {"zhangsan", "lisi"}, "", ""});
  auto id = AddCustomer(f, "zhangsan", "王总");
  CHECK(Has(f.Reply("lisi", "客户 王总"), "没有找到客户「王总」"));
  CHECK(Has(f.Reply("lisi", "跟进 #" + std::to_string(id) + " 你好"), "没有找到"));
  CHECK_FALSE(storage::LastFollowUp(f.conn(), id));  // nothing changed
  CHECK(Has(f.Reply("boss", "客户 王总"), "【王总】"));
  CHECK(Has(f.Reply("boss", "跟进 王总 主管陪访"), "已记录"));
  // Two of the team's customers share a name: the manager's list says whose.
  AddCustomer(f, "lisi", "王总");
  std::string choice = f.Reply("boss", "客户 王总");
  CHECK(Has(choice, " · zhangsan"));
  CHECK(Has(choice, " · lisi"));
  AddCustomer(f, "zhangsan", "王总", "乙公司");
  std::string own = f.Reply("zhangsan", "客户 王总");
  CHECK(Has(own, "请回复序号"));
  CHECK_FALSE(Has(own, " · "));  // only their own: no names
  CHECK(Has(f.Reply("outsider", "漏斗"), "我目前没有进行中的商机"));
}

TEST_CASE("an ambiguous customer gets a numbered choice", "[crm]") {
  test::CrmFixture f;
  auto first = AddCustomer(f, "zhangsan", "张伟", "甲公司");
  auto second = AddCustomer(f, "zhangsan", "张伟", "乙公司");
  std::string choice = f.Reply("zhangsan", "跟进 张伟 上门拜访");
  CHECK(Has(choice, "1. 张伟（甲公司） #" + std::to_string(first)));
  CHECK(Has(choice, "2. 张伟（乙公司） #" + std::to_string(second)));
  CHECK_FALSE(Has(choice, "还有更多"));
  CHECK_FALSE(storage::LastFollowUp(f.conn(), first));
  // A number past the list says so and keeps the list for another try.
  CHECK(Has(f.Reply("zhangsan", "5"), "回复 1 到 2 之间的序号"));
  CHECK_FALSE(storage::LastFollowUp(f.conn(), first));
  CHECK(Has(f.Reply("zhangsan", "２"), "已记录对 张伟（#" + std::to_string(second) + "）"));
  CHECK(storage::LastFollowUp(f.conn(), second)->content == "上门拜访");
  CHECK_FALSE(storage::LastFollowUp(f.conn(), first));
  CHECK(Has(f.Reply("zhangsan", "2"), "没有待选择的客户列表"));  // the choice was used up

  f.Reply("zhangsan", "报价 张伟 1.2万");
  f.now += 11 * 60;  // choices expire
  CHECK(Has(f.Reply("zhangsan", "1"), "10 分钟内有效"));
  CHECK_FALSE(storage::OpenDeal(f.conn(), first));

  AddCustomer(f, "zhangsan", "李雷", "", "老李");
  CHECK(Has(f.Reply("zhangsan", "客户 老李"), "【李雷】"));  // by remark
  // A name of two words: found whole, and the follow-up is what comes after it.
  auto tom = AddCustomer(f, "zhangsan", "Tom Lee");
  AddCustomer(f, "zhangsan", "Tom Hanks");
  CHECK(Has(f.Reply("zhangsan", "跟进 Tom Lee 电话沟通 约下周"), "已记录对 Tom Lee"));
  CHECK(storage::LastFollowUp(f.conn(), tom)->content == "电话沟通 约下周");
  CHECK(Has(f.Reply("zhangsan", "分级 Tom Lee A"), "Tom Lee（#"));
  // The name, a comma, and nothing after it: an error, nothing recorded.
  CHECK(Has(f.Reply("zhangsan", "跟进 Tom Lee，"), "请写明客户和跟进内容"));
  CHECK(storage::LastFollowUp(f.conn(), tom)->content == "电话沟通 约下周");
  f.Reply("zhangsan", "报价 Tom Lee 1万");
  CHECK(Has(f.Reply("zhangsan", "输单 Tom Lee："), "请写明客户和输单原因"));
  // The name alone, the reason forgotten: "Lee" is not taken for it.
  CHECK(Has(f.Reply("zhangsan", "输单 Tom Lee"), "请写明客户和输单原因"));
  CHECK(Has(f.Reply("zhangsan", "输单 Tom Lee。"), "请写明客户和输单原因"));
  CHECK(Has(f.Reply("zhangsan", "跟进 Tom Lee"), "请写明客户和跟进内容"));
  CHECK(storage::LastFollowUp(f.conn(), tom)->content == "电话沟通 约下周");
  CHECK(storage::OpenDeal(f.conn(), tom).has_value());  // still open
  // Saved half-width, typed full-width: found all the same.
  AddCustomer(f, "zhangsan", "ABC公司");
  CHECK(Has(f.Reply("zhangsan", "客户 ＡＢＣ公司"), "【ABC公司】"));
  // A name with the full-width brackets an IME types is found as typed.
  auto fair = AddCustomer(f, "zhangsan", "钱总（展会）");
  CHECK(Has(f.Reply("zhangsan", "客户 钱总（展会）"), "【钱总（展会）】"));
  CHECK(Has(f.Reply("zhangsan", "跟进 钱总（展会） 寄样品，对方说“收到”"), "已记录"));
  CHECK(storage::LastFollowUp(f.conn(), fair)->content == "寄样品，对方说“收到”");
  // Saved full-width, typed half-width (a phone keyboard in English mode).
  CHECK(Has(f.Reply("zhangsan", "客户 钱总(展会)"), "【钱总（展会）】"));
  AddCustomer(f, "zhangsan", "ＸＹＺ集团");
  CHECK(Has(f.Reply("zhangsan", "客户 XYZ"), "【ＸＹＺ集团】"));
  // One match as typed and one only folded: both are offered, not the first
  // taken silently.
  AddCustomer(f, "zhangsan", "XYZ科技");
  std::string both = f.Reply("zhangsan", "回款 XYZ 2万");
  CHECK(Has(both, "ＸＹＺ集团"));
  CHECK(Has(both, "XYZ科技"));
  CHECK(Has(f.Reply("zhangsan", "客户 XYZ科技"), "【XYZ科技】"));  // exact as typed wins
  CHECK(Has(f.Reply("zhangsan", "客户 李"), "【李雷】"));          // by part of the name
  // Latin letters in any case.
  CHECK(Has(f.Reply("zhangsan", "跟进 tom lee 又通了电话"), "已记录对 Tom Lee"));
  CHECK(storage::LastFollowUp(f.conn(), tom)->content == "又通了电话");
  CHECK(Has(f.Reply("zhangsan", "客户 TOM HANKS"), "【Tom Hanks】"));
  // Exact in another case or width beats names that only contain what was
  // typed, however many of those there are.
  auto lucy = AddCustomer(f, "zhangsan", "Lucy");
  AddCustomer(f, "zhangsan", "lucy介绍的张总");
  AddCustomer(f, "zhangsan", "lucy介绍的李总");
  CHECK(Has(f.Reply("zhangsan", "跟进 lucy 电话"), "已记录对 Lucy"));
  CHECK(storage::LastFollowUp(f.conn(), lucy)->content == "电话");
  auto wide = AddCustomer(f, "zhangsan", "ＭＮＯ");
  AddCustomer(f, "zhangsan", "MNO科技");
  AddCustomer(f, "zhangsan", "MNO贸易");
  CHECK(Has(f.Reply("zhangsan", "跟进 MNO 寄资料"), "已记录对 ＭＮＯ"));
  CHECK(storage::LastFollowUp(f.conn(), wide)->content == "寄资料");
}

TEST_CASE("one character that is part of one name is asked about before a change", "[crm]") {
  test::CrmFixture f;
  auto id = AddCustomer(f, "zhangsan", "了然科技王总");
  f.Reply("zhangsan", "报价 了然科技王总 2万");
  // A sentence that starts like a command: 输单 with "了" for the customer.
  std::string asked = f.Reply("zhangsan", "输单了，王总预算砍了");
  CHECK(Has(asked, "「了」可能是这位客户，确认请回复序号："));
  CHECK(Has(asked, "1. 了然科技王总"));
  REQUIRE(storage::OpenDeal(f.conn(), id).has_value());  // not lost
  // The rep confirms: then it is.
  CHECK(Has(f.Reply("zhangsan", "1"), "输单"));
  CHECK_FALSE(storage::OpenDeal(f.conn(), id).has_value());
  // The whole name of one character is no guess; a card to look at is shown.
  AddCustomer(f, "zhangsan", "李");
  CHECK(Has(f.Reply("zhangsan", "跟进 李 电话"), "已记录对 李"));
  CHECK(Has(f.Reply("zhangsan", "客户 然"), "【了然科技王总】"));
}

TEST_CASE("more matches than a choice lists: ten are listed and the rest announced", "[crm]") {
  test::CrmFixture f;
  for (int i = 1; i <= 12; ++i) AddCustomer(f, "zhangsan", "赵" + std::to_string(i), "赵氏集团");
  std::string choice = f.Reply("zhangsan", "客户 赵氏");
  CHECK(Has(choice, "10. 赵10"));
  CHECK_FALSE(Has(choice, "11. "));
  CHECK(Has(choice, "还有更多匹配的客户"));
}

TEST_CASE("malformed and unknown commands get a hint and change nothing", "[crm]") {
  test::CrmFixture f;
  auto id = AddCustomer(f, "zhangsan", "王总");
  std::string bad = f.Reply("zhangsan", "报价 王总 很多钱");
  CHECK(Has(bad, "「报价」没有执行"));
  CHECK(Has(bad, "用法：报价 <客户> <金额> [折扣 <百分比>]"));
  CHECK_FALSE(storage::OpenDeal(f.conn(), id));
  CHECK(Has(f.Reply("zhangsan", "跟近 王总 你好"), "你是不是想用「跟进」"));
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 签约"), "没有这个阶段"));
  std::string unpaid = f.Reply("zhangsan", "回款 王总 5000");  // nothing quoted yet
  CHECK(Has(unpaid, "没有已报价、待回款的商机，回款未记录"));
  CHECK(storage::CustomerById(f.conn(), id)->paid_total == 0);
  std::string lost = f.Reply("zhangsan", "输单 王总 太贵");
  CHECK(Has(lost, "没有进行中的商机"));
  CHECK_FALSE(Has(lost, "可用阶段"));  // no empty list of stages
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 输单"), "没有进行中的商机"));
  SQLite::Statement deals(f.conn().db, "SELECT count(*) FROM deals");
  REQUIRE(deals.executeStep());
  CHECK(deals.getColumn(0).getInt() == 0);  // not a new deal only to lose it
  f.Reply("zhangsan", "阶段 王总 需求调研");
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 输单"), "输单请写明原因"));  // the reason is asked for
  CHECK(storage::OpenDeal(f.conn(), id));
  f.Reply("zhangsan", "输单 王总 预算不够");
  CHECK(Has(f.Reply("zhangsan", "分级 王总 a"), "A 类客户"));
  CHECK(storage::CustomerById(f.conn(), id)->tier_manual);
  // The rep dealt with the customer and lost the deal: a win-back in 3 days.
  CHECK(storage::CustomerById(f.conn(), id)->next_follow_up_at == f.now + 3 * kDay);
}

TEST_CASE("a stage named with full-width characters is found typed either way", "[crm]") {
  test::CrmFixture f;
  f.funnel = *domain::Funnel::Create({{"线索", 7}, {"POC（试用）", 14}, {"成交", 0}}, "输单");
  auto id = AddCustomer(f, "zhangsan", "王总");
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 POC(试用)"), "线索 → POC（试用）"));
  CHECK(storage::OpenDeal(f.conn(), id)->stage == "POC（试用）");
}

TEST_CASE("a deal moved to 成交 says when to revisit, from the cadence", "[crm]") {
  test::CrmFixture f;
  auto id = AddCustomer(f, "zhangsan", "王总");
  f.Reply("zhangsan", "报价 王总 15万");
  CHECK(storage::CustomerById(f.conn(), id)->tier == 'A');
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 成交"), "恭喜成交！7 天内记得回访"));
  // Never followed up, yet the revisit is planned; won before it is paid,
  // the customer keeps the tier of the price.
  auto won = storage::CustomerById(f.conn(), id);
  CHECK(won->next_follow_up_at == f.now + 7 * kDay);
  CHECK(won->tier == 'A');
  f.now += 7 * kDay + 60;
  auto reminded = bot::ReminderMessages(f.conn(), f.Context());
  REQUIRE(reminded.size() == 1);
  CHECK(Has(test::ContentOf(reminded[0].body), "成交回访：王总"));
  f.now -= 7 * kDay + 60;
  f.config.crm.cadence.post_win_days = 3;
  AddCustomer(f, "zhangsan", "李总");
  f.Reply("zhangsan", "报价 李总 1万");
  CHECK(Has(f.Reply("zhangsan", "阶段 李总 成交"), "恭喜成交！3 天内记得回访"));
}

TEST_CASE("no win without a deal, no payment past what is owed", "[crm]") {
  test::CrmFixture f;
  auto id = AddCustomer(f, "zhangsan", "王总");
  // 成交 for a customer without an open deal: no deal made only to win it;
  // nor a win of ¥0.
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 成交"), "没有进行中的商机"));
  CHECK_FALSE(storage::LatestDeal(f.conn(), id));
  f.Reply("zhangsan", "阶段 王总 需求调研");
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 成交"), "还没有报价，不能直接成交"));
  CHECK(storage::OpenDeal(f.conn(), id)->stage == "需求调研");
  CHECK(Has(f.Reply("zhangsan", "报价 王总 6万"), "已记录"));
  // A mistyped payment larger than the quote changes nothing.
  std::string over = f.Reply("zhangsan", "回款 王总 20万");
  CHECK(Has(over, "¥200,000.00 超过 王总 的待回款 ¥60,000.00，回款未记录"));
  CHECK(storage::CustomerById(f.conn(), id)->paid_total == 0);
  CHECK(storage::OpenDeal(f.conn(), id)->paid == 0);
  // A new quote below what has been paid is refused.
  CHECK(Has(f.Reply("zhangsan", "回款 王总 1万"), "待回款 ¥50,000.00"));
  CHECK(Has(f.Reply("zhangsan", "报价 王总 5000"), "新报价不能低于已回款，报价未记录"));
  CHECK(storage::OpenDeal(f.conn(), id)->amount == 6'000'000);
  // Won by hand when the contract was signed: payments still go to it.
  CHECK(Has(f.Reply("zhangsan", "阶段 王总 成交"), "恭喜成交"));
  std::string part = f.Reply("zhangsan", "回款 王总 2万");
  CHECK(Has(part, "累计 ¥30,000.00。待回款 ¥30,000.00。"));
  CHECK_FALSE(Has(part, "商机成交！"));  // won once, not announced again
  CHECK(Has(part, "计入已成交商机的尾款"));
  CHECK(Has(f.Reply("zhangsan", "回款 王总 3万"), "累计 ¥60,000.00。已全部回款。"));
  CHECK(storage::CustomerById(f.conn(), id)->paid_total == 6'000'000);
  CHECK(Has(f.Reply("zhangsan", "回款 王总 1"), "没有已报价、待回款的商机"));
  SQLite::Statement deals(f.conn().db, "SELECT count(*) FROM deals");
  REQUIRE(deals.executeStep());
  CHECK(deals.getColumn(0).getInt() == 1);
}

TEST_CASE("a customer's name with the amount left out records nothing", "[crm]") {
  test::CrmFixture f;
  auto id = AddCustomer(f, "zhangsan", "Lucy 520");
  // "Lucy" finds "Lucy 520", and 520 would be the amount: the name was typed
  // whole and the amount forgotten.
  std::string quote = f.Reply("zhangsan", "报价 Lucy 520");
  CHECK(Has(quote, "“Lucy 520”就是客户 Lucy 520 的名字，金额像是漏写了，报价未记录"));
  CHECK(Has(quote,
            "提示：名字后面写上带单位的金额，如：报价 Lucy 520 "
            "2万；数字本身就是金额的话，在它后面加“元”"));
  CHECK_FALSE(storage::OpenDeal(f.conn(), id));
  CHECK(Has(f.Reply("zhangsan", "报价 lucy 520 折扣 5"), "金额像是漏写了"));  // folded
  CHECK_FALSE(storage::OpenDeal(f.conn(), id));
  CHECK(Has(f.Reply("zhangsan", "报价 Lucy 520 6万"), "已记录"));
  std::string paid = f.Reply("zhangsan", "回款 Lucy 520");
  CHECK(Has(paid, "金额像是漏写了，回款未记录"));
  CHECK(storage::OpenDeal(f.conn(), id)->paid == 0);
  CHECK(Has(f.Reply("zhangsan", "回款 Lucy 520。"), "金额像是漏写了"));  // a full stop after it
  CHECK(Has(f.Reply("zhangsan", "回款 Lucy 520 520元"), "累计 ¥520.00"));
  // With another "Lucy" the name is not a choice to make: the amount is
  // asked for first, and "520元" is the amount.
  auto chen = AddCustomer(f, "zhangsan", "Lucy Chen");
  CHECK(Has(f.Reply("zhangsan", "回款 Lucy 520"), "金额像是漏写了"));
  CHECK(storage::OpenDeal(f.conn(), id)->paid == 52'000);
  CHECK(Has(f.Reply("zhangsan", "报价 Lucy Chen 1万"), "已记录"));
  CHECK(Has(f.Reply("zhangsan", "回款 Lucy Chen 520元"), "累计 ¥520.00"));
  CHECK(storage::OpenDeal(f.conn(), chen)->paid == 52'000);
  // A customer named without the number: the number is the amount.
  auto tom = AddCustomer(f, "zhangsan", "Tom");
  f.Reply("zhangsan", "报价 Tom 6万");
  CHECK(Has(f.Reply("zhangsan", "回款 Tom 520"), "累计 ¥520.00"));
  CHECK(storage::OpenDeal(f.conn(), tom)->paid == 52'000);
  // A name saved with a full-width space, found folded.
  auto room = AddCustomer(f, "zhangsan", "Room　101");
  f.Reply("zhangsan", "报价 #" + std::to_string(room) + " 1万");
  CHECK(Has(f.Reply("zhangsan", "回款 Room 101"), "金额像是漏写了"));
  CHECK(storage::OpenDeal(f.conn(), room)->paid == 0);
  // Or the remark the rep gave the customer.
  auto lucy = AddCustomer(f, "zhangsan", "露西");
  SQLite::Statement remark(f.conn().db, "UPDATE customers SET remark = 'Room 8' WHERE id = ?");
  remark.bind(1, lucy);
  remark.exec();
  CHECK(Has(f.Reply("zhangsan", "回款 Room 8"), "“Room 8”就是客户 露西 的备注名，金额像是漏写了"));
}

TEST_CASE("a comma after the customer, a full-width space in a name, 分级 A类", "[crm]") {
  test::CrmFixture f;
  auto wang = AddCustomer(f, "zhangsan", "王总");
  CHECK(Has(f.Reply("zhangsan", "跟进 王总，电话沟通了"), "已记录对 王总"));
  CHECK(storage::LastFollowUp(f.conn(), wang)->content == "电话沟通了");
  CHECK(Has(f.Reply("zhangsan", "报价 王总：1.2万"), "已记录"));
  CHECK(storage::OpenDeal(f.conn(), wang)->amount == 1'200'000);
  CHECK(Has(f.Reply("zhangsan", "分级 王总 B类"), "B 类客户"));
  // "Tom" and "Tom Lee": the longer name typed with an ideographic space,
  // or two spaces, is still Tom Lee, not Tom with "Lee …" after it.
  auto tom = AddCustomer(f, "zhangsan", "Tom");
  auto tom_lee = AddCustomer(f, "zhangsan", "Tom Lee");
  f.Reply("zhangsan", "阶段 Tom 需求调研");
  f.Reply("zhangsan", "阶段 Tom Lee 需求调研");
  CHECK(Has(f.Reply("zhangsan", "跟进 Tom　Lee 寄了样品"), "已记录对 Tom Lee"));
  CHECK(storage::LastFollowUp(f.conn(), tom_lee)->content == "寄了样品");
  // In another case too, though "Tom" alone is a customer.
  CHECK(Has(f.Reply("zhangsan", "跟进 Tom lee 回访"), "已记录对 Tom Lee"));
  CHECK(storage::LastFollowUp(f.conn(), tom_lee)->content == "回访");
  CHECK(Has(f.Reply("zhangsan", "跟进 tom LEE 又回访"), "已记录对 Tom Lee"));
  CHECK(storage::LastFollowUp(f.conn(), tom_lee)->content == "又回访");
  CHECK(Has(f.Reply("zhangsan", "输单 Tom  Lee 预算砍掉"), "Tom Lee"));
  CHECK_FALSE(storage::OpenDeal(f.conn(), tom_lee));
  CHECK(storage::OpenDeal(f.conn(), tom));  // the other one is untouched
  CHECK_FALSE(storage::LastFollowUp(f.conn(), tom));
  CHECK(Has(f.Reply("zhangsan", "跟进 Tom Lee，回电了"), "已记录对 Tom Lee"));
  CHECK(storage::LastFollowUp(f.conn(), tom_lee)->content == "回电了");
  CHECK_FALSE(storage::LastFollowUp(f.conn(), tom));
}

TEST_CASE("待办 lists fifty customers and says when more are due", "[crm]") {
  test::CrmFixture f;
  for (int i = 0; i < 51; ++i) AddCustomer(f, "zhangsan", "客户" + std::to_string(i));
  f.now += 3 * kDay;  // every first contact is due
  std::string due = f.Reply("zhangsan", "待办");
  CHECK(Has(due, "还有更多待跟进的客户没有列出"));
  f.Reply("zhangsan", "跟进 客户0 电话");
  CHECK_FALSE(Has(f.Reply("zhangsan", "待办"), "还有更多"));  // fifty left: all listed
}

TEST_CASE("the card shows the lifecycle as of now", "[crm]") {
  test::CrmFixture f;
  AddCustomer(f, "zhangsan", "王总");
  CHECK(Has(f.Reply("zhangsan", "客户 王总"), "新客户"));
  f.now += 45 * kDay;  // nothing happened since: at risk, though nothing was written
  CHECK(Has(f.Reply("zhangsan", "客户 王总"), "流失风险"));
}

TEST_CASE("todo and funnel", "[crm]") {
  test::CrmFixture f;
  CHECK(Has(f.Reply("zhangsan", "待办"), "今天没有待跟进的客户"));
  AddCustomer(f, "zhangsan", "王总");
  auto old = AddCustomer(f, "zhangsan", "赵总");
  f.Reply("zhangsan", "阶段 赵总 方案报价");
  f.Reply("zhangsan", "报价 赵总 10000");
  f.now += 16 * kDay;
  std::string todo = f.Reply("zhangsan", "todo");
  CHECK(Has(todo, "⚠ 王总"));  // first contact overdue
  CHECK(Has(todo, "卡点：赵总 #" + std::to_string(old) + " 在「方案报价」已 16 天"));
  storage::MarkCustomerRemoved(f.conn(), old, f.now);  // the rep deleted 赵总 in WeCom
  CHECK_FALSE(Has(f.Reply("zhangsan", "待办"), "赵总"));
  CHECK(
      Has(f.Reply("zhangsan", "漏斗"), "目前没有进行中的商机"));  // the deal left with the customer
  CHECK(storage::OpenDeals(f.conn(), {}).empty());
  storage::MarkCustomerRemoved(f.conn(), old, 0);
  std::string funnel = f.Reply("zhangsan", "漏斗");
  CHECK(Has(funnel, "共 1 个，¥10,000.00"));
  CHECK(Has(funnel, "方案报价：1 个，¥10,000.00"));
}

TEST_CASE("a customer added in WeCom is created, welcomed and fetched", "[crm][events]") {
  test::CrmFixture f;
  f.config.crm.tag_tiers["A类客户"] = 'A';
  auto e = ContactEvent(wecom::ExternalContactChange::kAdd, "zhangsan", "wmNew1");
  e.state = "expo-2026";
  e.welcome_code = "WELCOME1";
  auto out = bot::HandleContactEvent(f.conn(), e, f.Context());
  REQUIRE(out.size() == 2);
  CHECK(out[0].api == "/cgi-bin/externalcontact/send_welcome_msg");
  CHECK(out[0].recipient == "welcome:wmNew1:zhangsan");  // not behind the customer's fetches
  CHECK(Has(out[0].body, "\"welcome_code\":\"WELCOME1\""));
  // No name synced for zhangsan: the customer does not read a userid.
  CHECK(Has(out[0].body, "您好，很高兴认识您"));
  CHECK_FALSE(Has(out[0].body, "zhangsan"));
  storage::ReplaceOrgMembers(f.conn(), {{"lisi", "李四", ""}}, f.now);
  auto named = ContactEvent(wecom::ExternalContactChange::kAdd, "lisi", "wmNew2");
  named.welcome_code = "WELCOME2";
  CHECK(Has(bot::HandleContactEvent(f.conn(), named, f.Context())[0].body, "您好，我是李四，"));
  CHECK(out[1].api == "/cgi-bin/externalcontact/get?external_userid=wmNew1");
  CHECK(out[1].on_reply == bot::kCustomerDetail);
  auto customer = storage::CustomerByExternalId(f.conn(), "wmNew1");
  REQUIRE(customer);
  CHECK(customer->owner == "zhangsan");
  CHECK(customer->channel == "expo-2026");
  CHECK(customer->next_follow_up_at == f.now + kDay);  // first contact within 24 h
  // No name from WeCom yet: reps read （资料获取中）, not the external userid.
  std::string card = f.Reply("zhangsan", "客户 #" + std::to_string(customer->id));
  CHECK(Has(card, "【（资料获取中）】"));
  CHECK_FALSE(Has(card, "wmNew1"));
  std::string ref = "#" + std::to_string(customer->id);
  CHECK(Has(f.Reply("zhangsan", "跟进 " + ref + " 电话"), "（资料获取中）（" + ref + "）"));
  CHECK(storage::CustomerByExternalId(f.conn(), "wmNew1")->name.empty());  // only as shown

  auto more = bot::ApplyReply(
      f.conn(), bot::kCustomerDetail,
      R"({"errcode":0,"external_contact":{"external_userid":"wmNew1","name":"钱总",)"
      R"("corp_name":"星辰","corp_full_name":"星辰科技有限公司","type":2},"follow_user":[)"
      R"j({"userid":"zhangsan","remark":"钱总(展会)","tags":[{"tag_id":"t1","tag_name":"A类客户","type":1}],)j"
      R"("state":"expo-2026"}]})",
      f.Context());
  CHECK(more.empty());
  customer = storage::CustomerByExternalId(f.conn(), "wmNew1");
  CHECK(customer->name == "钱总");
  CHECK(customer->company == "星辰科技有限公司");
  CHECK(customer->remark == "钱总(展会)");
  CHECK(customer->tier == 'A');  // the tag maps to a tier
  CHECK(Has(f.Reply("zhangsan", "客户 钱总(展会)"), "来源：expo-2026"));

  e.welcome_code.clear();  // added again without a welcome code: no welcome, no new customer
  out = bot::HandleContactEvent(f.conn(), e, f.Context());
  REQUIRE(out.size() == 1);
  CHECK(out[0].on_reply == bot::kCustomerDetail);
  CHECK(storage::CustomerByExternalId(f.conn(), "wmNew1")->id == customer->id);
}

namespace {

// externalcontact/get's answer for wmX, with the given follow_user entries.
std::string Detail(const std::string& follow_users, const std::string& corp = "") {
  return R"({"errcode":0,"external_contact":{"external_userid":"wmX","name":"钱总","type":1,)"
         R"("corp_name":")" +
         corp + R"("},"follow_user":[)" + follow_users + "]}";
}

// zhangsan's follow_user entry, the friendship dating from `added`.
std::string ZhangsanSince(std::int64_t added) {
  return R"({"userid":"zhangsan","remark":"","createtime":)" + std::to_string(added) +
         R"(,"tags":[]})";
}

std::string Follow(const std::string& rep, const std::string& tags,
                   const std::string& remark_corp = "") {
  return R"({"userid":")" + rep + R"(","remark":"钱总","remark_corp_name":")" + remark_corp +
         R"(","tags":[)" + tags + "]}";
}

std::string Tag(const std::string& id, const std::string& name) {
  return R"({"tag_id":")" + id + R"(","tag_name":")" + name + R"(","type":1})";
}

// A customer `rep` added in WeCom (add_external_contact); its id.
std::int64_t AddedInWeCom(test::CrmFixture& f, const std::string& rep = "zhangsan",
                          const std::string& external = "wmX") {
  bot::HandleContactEvent(f.conn(), ContactEvent(wecom::ExternalContactChange::kAdd, rep, external),
                          f.Context());
  return storage::CustomerByExternalId(f.conn(), external)->id;
}

}  // namespace

TEST_CASE("a customer two reps follow stays the owner's; the owner's events alone count",
          "[crm][events]") {
  test::CrmFixture f;
  using Change = wecom::ExternalContactChange;
  auto id = AddedInWeCom(f);
  auto second = ContactEvent(Change::kAdd, "lisi", "wmX");
  second.state = "other-channel";
  second.welcome_code = "W2";
  auto out = bot::HandleContactEvent(f.conn(), second, f.Context());
  REQUIRE(out.size() == 1);  // lisi's welcome, and nothing else
  CHECK(out[0].api == "/cgi-bin/externalcontact/send_welcome_msg");
  auto customer = storage::CustomerByExternalId(f.conn(), "wmX");
  CHECK(customer->owner == "zhangsan");
  CHECK(customer->channel.empty());
  // The customer deletes lisi, lisi deletes the customer: zhangsan's stays.
  CHECK(bot::HandleContactEvent(f.conn(), ContactEvent(Change::kDelFollowUser, "lisi", "wmX"),
                                f.Context())
            .empty());
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kDelete, "lisi", "wmX"), f.Context());
  customer = storage::CustomerByExternalId(f.conn(), "wmX");
  CHECK_FALSE(customer->deleted_rep);
  CHECK_FALSE(storage::CustomerRemoved(f.conn(), id));
  CHECK(Has(f.Reply("zhangsan", "客户 #" + std::to_string(id)), "【"));
  // A detail answer without the owner among the followers keeps the tags.
  storage::SetCustomerTags(f.conn(), id, {{"t1", "重点"}});
  bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(Follow("lisi", "")), f.Context());
  CHECK(storage::CustomerTagNames(f.conn(), id) == std::set<std::string>{"重点"});

  // zhangsan deletes the customer after months of follow-ups; lisi, a
  // friend already (so WeCom sends no add event), takes over when the
  // fetch shows he is the one left: planned as a new customer, with the
  // open deal.
  f.Reply("zhangsan", "报价 #" + std::to_string(id) + " 1万");
  f.Reply("zhangsan", "跟进 #" + std::to_string(id) + " 电话");
  f.now += 200 * kDay;
  auto fetch = bot::HandleContactEvent(f.conn(), ContactEvent(Change::kDelete, "zhangsan", "wmX"),
                                       f.Context());
  REQUIRE(fetch.size() == 1);
  CHECK(fetch[0].on_reply == bot::kCustomerDetail);
  CHECK(storage::CustomerRemoved(f.conn(), id));
  bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(Follow("lisi", "")), f.Context());
  customer = storage::CustomerByExternalId(f.conn(), "wmX");
  CHECK(customer->id == id);
  CHECK(customer->owner == "lisi");
  CHECK_FALSE(storage::CustomerRemoved(f.conn(), id));
  CHECK(customer->lifecycle == domain::Lifecycle::kNew);  // not 已流失 after 200 days
  CHECK(customer->next_follow_up_at == f.now + kDay);     // first contact planned again
  auto deal = storage::OpenDeal(f.conn(), id);
  REQUIRE(deal);
  CHECK(deal->owner == "lisi");
  // Still one new customer, on the day it first came.
  auto since = storage::Activity(f.conn(), {"zhangsan", "lisi"}, f.now - kDay, f.now + kDay,
                                 f.Context().funnel.names());
  CHECK(since["lisi"].new_customers == 0);
  CHECK(customer->created_at < f.now - 100 * kDay);
}

TEST_CASE("a rep's new userid takes the customers along; a rep who left is reported",
          "[crm][events]") {
  test::CrmFixture f;
  f.config.teams.push_back({"华东", "boss", {"zhangsan", "zhangsan2"}, "", ""});
  auto id = AddCustomer(f, "zhangsan", "王总");
  f.Reply("zhangsan", "报价 王总 1万");
  f.Reply("zhangsan", "跟进 王总 聊了方案");
  f.Reply("zhangsan", "回款 王总 2000");
  auto before = storage::Activity(f.conn(), {"zhangsan"}, f.now - kDay, f.now + kDay,
                                  f.Context().funnel.names())["zhangsan"];
  wecom::ContactChangeEvent renamed;
  renamed.change_type = "update_user";
  renamed.user_id = "zhangsan";
  renamed.new_user_id = "zhangsan2";
  CHECK(bot::HandleDirectoryChange(f.conn(), renamed, f.Context()).empty());
  CHECK(storage::CustomerById(f.conn(), id)->owner == "zhangsan2");
  CHECK(storage::OpenDeal(f.conn(), id)->owner == "zhangsan2");
  CHECK(Has(f.Reply("zhangsan2", "客户 王总"), "【王总】"));
  // The week's work counts under the new id, none under the old.
  auto activity = storage::Activity(f.conn(), {"zhangsan", "zhangsan2"}, f.now - kDay, f.now + kDay,
                                    f.Context().funnel.names());
  CHECK(activity["zhangsan2"].follow_ups == before.follow_ups);
  CHECK(activity["zhangsan2"].follow_ups == 1);
  CHECK(activity["zhangsan2"].quotes == before.quotes);
  CHECK(activity["zhangsan2"].payments == before.payments);
  CHECK(activity["zhangsan2"].paid == before.paid);
  CHECK(activity["zhangsan2"].stage_moves == before.stage_moves);
  CHECK(activity["zhangsan"].follow_ups == 0);
  CHECK(activity["zhangsan"].paid == 0);

  wecom::ContactChangeEvent left;
  left.change_type = "delete_user";
  left.user_id = "zhangsan2";
  auto told = bot::HandleDirectoryChange(f.conn(), left, f.Context());
  REQUIRE(told.size() == 1);
  CHECK(told[0].recipient == "user:boss");
  CHECK(Has(test::ContentOf(told[0].body), "zhangsan2 已离职，名下还有 1 位客户"));
  left.user_id = "nobody";  // no customers: nothing to say
  CHECK(bot::HandleDirectoryChange(f.conn(), left, f.Context()).empty());
  CHECK(bot::NeedsDispatch("event:change_contact"));
}

TEST_CASE(
    "those who reported to a member who left report to that member's manager, who sees the "
    "member's customers",
    "[crm][events]") {
  test::CrmFixture f;
  storage::ReplaceOrgMembers(
      f.conn(), {{"ceo", "老板", ""}, {"boss", "主管", "ceo"}, {"zhangsan", "张三", "boss"}},
      f.now);
  CHECK(f.Context().org.ManagerOf("zhangsan") == "boss");
  wecom::ContactChangeEvent left;
  left.change_type = "delete_user";
  left.user_id = "boss";
  bot::HandleDirectoryChange(f.conn(), left, f.Context());
  CHECK(f.Context().org.ManagerOf("zhangsan") == "ceo");
  // The member who left stays under their manager, who so still sees the
  // customers waiting to be handed over (离职继承).
  CHECK(f.Context().org.ManagerOf("boss") == "ceo");
  CHECK(f.Context().org.CanSee("ceo", "boss"));
  CHECK(f.Context().org.reports().count("boss") == 0);  // nobody reports to them
  left.user_id = "ceo";  // at the top: those below have no manager now
  bot::HandleDirectoryChange(f.conn(), left, f.Context());
  CHECK(f.Context().org.ManagerOf("zhangsan").empty());
}

TEST_CASE("a renamed member keeps their place in the synced team", "[crm][events]") {
  test::CrmFixture f;
  storage::ReplaceOrgMembers(
      f.conn(), {{"boss", "老板", ""}, {"zhangsan", "张三", "boss"}, {"lisi", "李四", "zhangsan"}},
      f.now);
  for (auto [from, to] : {std::pair{"zhangsan", "zhangsan2"}, std::pair{"boss", "boss2"}}) {
    wecom::ContactChangeEvent renamed;
    renamed.change_type = "update_user";
    renamed.user_id = from;
    renamed.new_user_id = to;
    bot::HandleDirectoryChange(f.conn(), renamed, f.Context());
  }
  std::map<std::string, std::string> manager;
  for (const auto& m : storage::OrgMembers(f.conn())) manager[m.userid] = m.manager;
  CHECK(manager.size() == 3);
  CHECK(manager["zhangsan2"] == "boss2");
  CHECK(manager["lisi"] == "zhangsan2");
  CHECK(manager.count("zhangsan") == 0);

  // Already synced under the new id: that row is the newer one and stays.
  storage::ReplaceOrgMembers(
      f.conn(), {{"wangwu", "王五", "boss2"}, {"wangwu2", "王五（新）", "lisi"}}, f.now);
  storage::SavePendingChoice(f.conn(), "wangwu", {"跟进 {} 旧", {1}, f.now});
  storage::SavePendingChoice(f.conn(), "wangwu2", {"跟进 {} 新", {2}, f.now});
  wecom::ContactChangeEvent renamed;
  renamed.change_type = "update_user";
  renamed.user_id = "wangwu";
  renamed.new_user_id = "wangwu2";
  bot::HandleDirectoryChange(f.conn(), renamed, f.Context());
  auto members = storage::OrgMembers(f.conn());
  REQUIRE(members.size() == 1);
  CHECK(members[0].name == "王五（新）");
  CHECK(members[0].manager == "lisi");
  CHECK(storage::TakePendingChoice(f.conn(), "wangwu2", 0)->command == "跟进 {} 新");
}

TEST_CASE("a departed rep's customers pass to the rep who adds them next", "[crm][events]") {
  test::CrmFixture f;
  f.config.teams.push_back({"华东", "boss", {"zhangsan", "lisi"}, "", ""});
  using Change = wecom::ExternalContactChange;
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kAdd, "zhangsan", "wmX"), f.Context());
  wecom::ContactChangeEvent left;
  left.change_type = "delete_user";
  left.user_id = "zhangsan";
  auto told = bot::HandleDirectoryChange(f.conn(), left, f.Context());
  REQUIRE(told.size() == 1);  // boss is told, without WeCom's duplicate check
  CHECK(told[0].recipient == "user:boss");
  CHECK_FALSE(Has(told[0].body, "\"enable_duplicate_check\":1"));
  // The manager hands the customer over (离职继承): lisi's add takes it.
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kAdd, "lisi", "wmX"), f.Context());
  CHECK(storage::CustomerByExternalId(f.conn(), "wmX")->owner == "lisi");
  // A userid given to someone again is a member like any other.
  wecom::ContactChangeEvent back;
  back.change_type = "create_user";
  back.user_id = "zhangsan";
  bot::HandleDirectoryChange(f.conn(), back, f.Context());
  CHECK_FALSE(storage::RepDeparted(f.conn(), "zhangsan"));
}

TEST_CASE("when the owner is gone and several reps have the customer, the latest takes over",
          "[crm][events]") {
  test::CrmFixture f;
  using Change = wecom::ExternalContactChange;
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kAdd, "zhangsan", "wmX"), f.Context());
  // The transferee's add came first, taken as a second rep's; then the
  // owner's delete.
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kAdd, "wangwu", "wmX"), f.Context());
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kDelete, "zhangsan", "wmX"), f.Context());
  CHECK(storage::CustomerByExternalId(f.conn(), "wmX")->owner == "zhangsan");
  bot::ApplyReply(
      f.conn(), bot::kCustomerDetail,
      Detail(R"({"userid":"lisi","remark":"","createtime":1600000000,"tags":[]},)"
             R"({"userid":"wangwu","remark":"钱总","createtime":1700000000,"tags":[]})"),
      f.Context());
  auto customer = storage::CustomerByExternalId(f.conn(), "wmX");
  CHECK(customer->owner == "wangwu");
  CHECK_FALSE(storage::CustomerRemoved(f.conn(), customer->id));
  // Had wangwu left the company, lisi would have: not someone who is gone.
  {
    test::CrmFixture g;
    bot::HandleContactEvent(g.conn(), ContactEvent(Change::kAdd, "zhangsan", "wmX"), g.Context());
    bot::HandleContactEvent(g.conn(), ContactEvent(Change::kDelete, "zhangsan", "wmX"),
                            g.Context());
    storage::SetRepDeparted(g.conn(), "wangwu", g.now);
    bot::ApplyReply(
        g.conn(), bot::kCustomerDetail,
        Detail(R"({"userid":"lisi","remark":"","createtime":1600000000,"tags":[]},)"
               R"({"userid":"wangwu","remark":"钱总","createtime":1700000000,"tags":[]})"),
        g.Context());
    CHECK(storage::CustomerByExternalId(g.conn(), "wmX")->owner == "lisi");
  }
  // wangwu's older friendship does not make the customer older than they are.
  CHECK(customer->created_at == f.now);
}

TEST_CASE("a delete that came after the add that undid it is undone by the fetch",
          "[crm][events]") {
  using Change = wecom::ExternalContactChange;
  // zhangsan deleted the customer (or the customer deleted zhangsan), and
  // they were friends again a moment later; the delete's event came last.
  for (auto change : {Change::kDelete, Change::kDelFollowUser}) {
    INFO("zhangsan deleted the customer: " << (change == Change::kDelete));
    test::CrmFixture f;
    auto id = AddedInWeCom(f);
    auto flagged = [&] {
      return change == Change::kDelete ? storage::CustomerRemoved(f.conn(), id)
                                       : storage::CustomerById(f.conn(), id)->deleted_rep;
    };
    auto deleted = ContactEvent(change, "zhangsan", "wmX");
    deleted.header.create_time = 1700000000;
    bot::HandleContactEvent(f.conn(), deleted, f.Context());
    CHECK(flagged());
    // An answer that still shows the first add (read before the delete)
    // changes nothing; one that shows the new friendship ends it.
    bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(ZhangsanSince(1690000000)), f.Context());
    CHECK(flagged());
    bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(ZhangsanSince(1700000100)), f.Context());
    CHECK_FALSE(flagged());
    auto customer = storage::CustomerById(f.conn(), id);
    CHECK(customer->owner == "zhangsan");
    CHECK(customer->lifecycle != domain::Lifecycle::kAtRisk);
  }
}

TEST_CASE("a new customer counts for the rep who brought them in, whoever owns them later",
          "[crm][events]") {
  test::CrmFixture f;
  using Change = wecom::ExternalContactChange;
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kAdd, "zhangsan", "wmX"), f.Context());
  // The customer deleted zhangsan; lisi adds them and takes over.
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kDelFollowUser, "zhangsan", "wmX"),
                          f.Context());
  f.now += 3600;
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kAdd, "lisi", "wmX"), f.Context());
  REQUIRE(storage::CustomerByExternalId(f.conn(), "wmX")->owner == "lisi");
  auto activity = storage::Activity(f.conn(), {"zhangsan", "lisi"}, f.now - 86400, f.now + 1,
                                    f.Context().funnel.names());
  CHECK(activity["zhangsan"].new_customers == 1);
  CHECK(activity["lisi"].new_customers == 0);
}

TEST_CASE("a transfer moves the customer, whichever event comes first", "[crm][events]") {
  using Change = wecom::ExternalContactChange;
  auto transferred = ContactEvent(Change::kDelete, "zhangsan", "wmX");
  transferred.source = "DELETE_BY_TRANSFER";
  for (bool delete_first : {true, false}) {
    INFO("the old owner's delete first: " << delete_first);
    test::CrmFixture f;
    bot::HandleContactEvent(f.conn(), ContactEvent(Change::kAdd, "zhangsan", "wmX"), f.Context());
    if (delete_first) bot::HandleContactEvent(f.conn(), transferred, f.Context());
    bot::HandleContactEvent(f.conn(), ContactEvent(Change::kAdd, "lisi", "wmX"), f.Context());
    if (!delete_first) {
      CHECK(storage::CustomerByExternalId(f.conn(), "wmX")->owner == "zhangsan");  // not yet
      bot::HandleContactEvent(f.conn(), transferred, f.Context());
      bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(Follow("lisi", "")), f.Context());
    }
    auto customer = storage::CustomerByExternalId(f.conn(), "wmX");
    CHECK(customer->owner == "lisi");
    CHECK_FALSE(storage::CustomerRemoved(f.conn(), customer->id));
  }
}

TEST_CASE(
    "tier tags: a new one sets the tier, an old one does not undo 分级, a removed one "
    "hands back the tier it set",
    "[crm][events]") {
  test::CrmFixture f;
  f.config.crm.tag_tiers["B类客户"] = 'B';
  auto id = AddedInWeCom(f);
  auto fetch = [&](const std::string& follow) {
    bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(follow), f.Context());
    return *storage::CustomerById(f.conn(), id);
  };
  auto c = fetch(Follow("zhangsan", Tag("t1", "B类客户") + "," + Tag("t2", "大客户")));
  CHECK(c.tier == 'B');
  CHECK(c.tier_manual);
  CHECK(c.is_large);
  f.Reply("zhangsan", "分级 钱总 C");
  // An edit elsewhere fetches again with the same tags: the 分级 stands.
  c = fetch(Follow("zhangsan", Tag("t1", "B类客户") + "," + Tag("t2", "大客户")));
  CHECK(c.tier == 'C');
  // Both tags removed in WeCom: not 大客户; the rep's 分级 came after the
  // tag and stays.
  c = fetch(Follow("zhangsan", ""));
  CHECK_FALSE(c.is_large);
  CHECK(c.tier_manual);
  CHECK(c.tier == 'C');
  // A tier tag put on again sets the tier; taken off, the tier follows the
  // value again.
  c = fetch(Follow("zhangsan", Tag("t1", "B类客户")));
  CHECK(c.tier == 'B');
  c = fetch(Follow("zhangsan", ""));
  CHECK_FALSE(c.tier_manual);
  // Two tier tags: the highest counts; the higher one taken off leaves the other's.
  f.config.crm.tag_tiers["A类客户"] = 'A';
  c = fetch(Follow("zhangsan", Tag("t1", "B类客户") + "," + Tag("t3", "A类客户")));
  CHECK(c.tier == 'A');
  c = fetch(Follow("zhangsan", Tag("t1", "B类客户")));
  CHECK(c.tier == 'B');
  CHECK(c.tier_manual);
}

TEST_CASE("a tag renamed or deleted in the tag library changes on the customers who carry it",
          "[crm][events]") {
  test::CrmFixture f;
  f.config.crm.tag_tiers["A类客户"] = 'A';
  auto id = AddedInWeCom(f);
  bot::ApplyReply(
      f.conn(), bot::kCustomerDetail,
      Detail(Follow("zhangsan", Tag("t1", "A类客户") + "," + Tag("t2", "大客户") + "," +
                                    Tag("t3", "重点") + R"(,{"tag_name":"老朋友","type":2})" +
                                    R"(,{"tag_id":"r1","tag_name":"活动","type":3})")),
      f.Context());
  auto before = *storage::CustomerById(f.conn(), id);
  REQUIRE(before.tier == 'A');
  REQUIRE(before.is_large);

  wecom::ExternalTagEvent changed;
  changed.change_type = "delete";
  changed.tag_type = "tag_group";
  changed.id = "g1";
  auto read = bot::HandleTagChange(changed);
  REQUIRE(read.size() == 1);
  CHECK(read[0].api == "/cgi-bin/externalcontact/get_corp_tag_list");
  CHECK(read[0].on_reply == bot::kCorpTags);
  changed.change_type = "shuffle";  // an order change: nothing to read
  CHECK(bot::HandleTagChange(changed).empty());
  CHECK(bot::NeedsDispatch("event:change_external_tag"));

  // Not the library: nothing changes.
  bot::ApplyReply(f.conn(), bot::kCorpTags, R"({"errcode":0})", f.Context());
  CHECK(storage::CustomerTags(f.conn(), id).size() == 5);
  // t1 deleted (its group went), t2 renamed, t3 as it was.
  bot::ApplyReply(
      f.conn(), bot::kCorpTags,
      R"({"errcode":0,"tag_group":[{"group_id":"g2","group_name":"等级","tag":[)"
      R"({"id":"t2","name":"KA客户","deleted":false},{"id":"t3","name":"重点","deleted":false}]}]})",
      f.Context());
  auto tags = storage::CustomerTags(f.conn(), id);
  std::sort(tags.begin(), tags.end());
  // A personal tag and a rule group's are not in the library: they stay.
  CHECK(tags ==
        storage::Tags{
            {"personal:老朋友", "老朋友"}, {"rule:r1", "活动"}, {"t2", "KA客户"}, {"t3", "重点"}});
  auto after = *storage::CustomerById(f.conn(), id);
  CHECK_FALSE(after.is_large);
  CHECK_FALSE(after.tier_manual);  // the tier tag is gone: the tier follows the value again
}

TEST_CASE("a tag on very many customers is renamed over several library answers", "[crm][events]") {
  test::CrmFixture f;
  for (int i = 0; i < 501; ++i) {
    domain::Customer c;
    c.owner = "zhangsan";
    c.name = "客户" + std::to_string(i);
    c.created_at = f.now;
    storage::SetCustomerTags(f.conn(), storage::InsertCustomer(f.conn(), c), {{"t9", "旧名"}});
  }
  const std::string renamed =
      R"({"errcode":0,"tag_group":[{"group_id":"g","group_name":"组","tag":[)"
      R"({"id":"t9","name":"新名","deleted":false}]}]})";
  auto more = bot::ApplyReply(f.conn(), bot::kCorpTags, renamed, f.Context());
  REQUIRE(more.size() == 1);  // 500 done; the library is read again for the rest
  CHECK(more[0].on_reply == bot::kCorpTags);
  CHECK(storage::CustomersWithTag(f.conn(), "t9", "旧名").size() == 1);
  CHECK(bot::ApplyReply(f.conn(), bot::kCorpTags, renamed, f.Context()).empty());
  CHECK(storage::CustomersWithTag(f.conn(), "t9", "旧名").empty());
  CHECK(storage::CustomersWithTag(f.conn(), "t9", "新名").size() == 501);
}

TEST_CASE("a customer first seen in an edit dates from when the owner added them",
          "[crm][events]") {
  test::CrmFixture f;
  using Change = wecom::ExternalContactChange;
  // The bot was set up after zhangsan added this customer two years ago.
  bot::HandleContactEvent(f.conn(), ContactEvent(Change::kEdit, "zhangsan", "wmX"), f.Context());
  auto planned = storage::CustomerByExternalId(f.conn(), "wmX")->next_follow_up_at;
  std::int64_t added = f.now - 730 * kDay;
  bot::ApplyReply(f.conn(), bot::kCustomerDetail,
                  Detail(R"({"userid":"zhangsan","remark":"","createtime":)" +
                         std::to_string(added) + R"(,"tags":[]})"),
                  f.Context());
  auto customer = storage::CustomerByExternalId(f.conn(), "wmX");
  CHECK(customer->created_at == added);
  CHECK(customer->next_follow_up_at == planned);  // not overdue for two years
  auto today = storage::Activity(f.conn(), {"zhangsan"}, f.now - kDay, f.now + kDay,
                                 f.Context().funnel.names());
  CHECK(today["zhangsan"].new_customers == 0);
}

TEST_CASE("a WeChat customer's company is the one the rep noted", "[crm][events]") {
  test::CrmFixture f;
  bot::HandleContactEvent(
      f.conn(), ContactEvent(wecom::ExternalContactChange::kAdd, "zhangsan", "wmX"), f.Context());
  bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(Follow("zhangsan", "", "星辰科技")),
                  f.Context());
  CHECK(storage::CustomerByExternalId(f.conn(), "wmX")->company == "星辰科技");
  CHECK(Has(f.Reply("zhangsan", "客户 星辰"), "【钱总】"));
}

TEST_CASE("churn and transfer events reach the right person", "[crm][events]") {
  test::CrmFixture f;
  f.config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  auto added = ContactEvent(wecom::ExternalContactChange::kAdd, "zhangsan", "wmC");
  bot::HandleContactEvent(f.conn(), added, f.Context());
  auto id = storage::CustomerByExternalId(f.conn(), "wmC")->id;

  auto gone = ContactEvent(wecom::ExternalContactChange::kDelFollowUser, "zhangsan", "wmC");
  auto alert = bot::HandleContactEvent(f.conn(), gone, f.Context());
  REQUIRE(alert.size() == 2);  // the alert, and a fetch: does another rep still have them?
  CHECK(alert[1].on_reply == bot::kCustomerDetail);
  CHECK(alert[0].recipient == "user:boss");
  CHECK(Has(test::ContentOf(alert[0].body), "流失预警"));
  // Events: the same words next time are news again (no duplicate check).
  CHECK_FALSE(Has(alert[0].body, "\"enable_duplicate_check\":1"));
  auto customer = storage::CustomerById(f.conn(), id);
  CHECK(customer->deleted_rep);
  CHECK(customer->lifecycle == domain::Lifecycle::kAtRisk);

  // The event names the member who was to take over; the owner is told.
  auto failed = ContactEvent(wecom::ExternalContactChange::kTransferFail, "lisi", "wmC");
  failed.fail_reason = "customer_refused";
  auto told = bot::HandleContactEvent(f.conn(), failed, f.Context());
  REQUIRE(told.size() == 1);
  CHECK(told[0].recipient == "user:zhangsan");
  CHECK(Has(test::ContentOf(told[0].body), "客户拒绝了转接"));
  CHECK_FALSE(Has(told[0].body, "\"enable_duplicate_check\":1"));
  // The owner left the company (离职继承): their manager is told instead.
  storage::SetRepDeparted(f.conn(), "zhangsan", f.now);
  told = bot::HandleContactEvent(f.conn(), failed, f.Context());
  REQUIRE(told.size() == 1);
  CHECK(told[0].recipient == "user:boss");
  storage::SetRepDeparted(f.conn(), "zhangsan", 0);

  auto removed = ContactEvent(wecom::ExternalContactChange::kDelete, "zhangsan", "wmC");
  auto fetched = bot::HandleContactEvent(f.conn(), removed, f.Context());
  REQUIRE(fetched.size() == 1);  // who else still has the customer?
  CHECK(fetched[0].on_reply == bot::kCustomerDetail);
  CHECK(storage::CustomerRemoved(f.conn(), id));
  CHECK(Has(f.Reply("zhangsan", "客户 #" + std::to_string(id)), "【"));  // by id still
  CHECK(Has(f.Reply("zhangsan", "客户 wmC"), "没有找到"));

  // A rep nobody manages is told themselves, in the second person; a
  // transfer of a customer not on record, with no reason given, says so.
  bot::HandleContactEvent(
      f.conn(), ContactEvent(wecom::ExternalContactChange::kAdd, "wangwu", "wmW"), f.Context());
  auto own = bot::HandleContactEvent(
      f.conn(), ContactEvent(wecom::ExternalContactChange::kDelFollowUser, "wangwu", "wmW"),
      f.Context());
  REQUIRE(own.size() == 2);
  CHECK(own[0].recipient == "user:wangwu");
  CHECK(Has(test::ContentOf(own[0].body), "删除了你。"));
  auto unknown = ContactEvent(wecom::ExternalContactChange::kTransferFail, "lisi", "wmNobody");
  auto silent = bot::HandleContactEvent(f.conn(), unknown, f.Context());
  REQUIRE(silent.size() == 1);
  CHECK(test::ContentOf(silent[0].body) == "一位客户转接失败：企业微信未说明原因。");
}

TEST_CASE("a follow-up that falls due in the second of a reminder scan is in the next one",
          "[crm][reminders]") {
  test::CrmFixture f;
  AddCustomer(f, "zhangsan", "王总");
  f.Reply("zhangsan", "跟进 王总 电话沟通");  // C tier: next in 30 days
  f.now += 10 * kDay;
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());  // a scan, nothing due
  f.Reply("zhangsan", "分级 王总 A");  // same second: the A cadence makes it overdue
  f.now += 60;
  auto out = bot::ReminderMessages(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  CHECK(Has(test::ContentOf(out[0].body), "王总"));
}

TEST_CASE("a reminder for a customer whose name is not known yet shows no external userid",
          "[crm][reminders]") {
  test::CrmFixture f;
  bot::HandleContactEvent(f.conn(),
                          ContactEvent(wecom::ExternalContactChange::kAdd, "zhangsan", "wmQuiet"),
                          f.Context());
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());
  f.now += 2 * kDay;  // the first contact is overdue; WeCom never told the name
  auto out = bot::ReminderMessages(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  std::string text = test::ContentOf(out[0].body);
  CHECK(Has(text, "（资料获取中）"));
  CHECK_FALSE(Has(text, "wmQuiet"));
}

TEST_CASE("an overdue customer refreshed by an unrelated change is not reminded again",
          "[crm][reminders]") {
  test::CrmFixture f;
  f.config.schedule.timezone = "Asia/Shanghai";
  bot::HandleContactEvent(
      f.conn(), ContactEvent(wecom::ExternalContactChange::kAdd, "zhangsan", "wmX"), f.Context());
  auto id = storage::CustomerByExternalId(f.conn(), "wmX")->id;
  f.Reply("zhangsan", "跟进 #" + std::to_string(id) + " 电话");
  f.now += 42 * kDay + 3600;  // a Wednesday 10:00 local, six weeks without a follow-up
  REQUIRE(bot::InWorkingHours(f.now, f.config));
  // Something unrelated changes (the contact's details are fetched again):
  // the follow-up, long past, is due now and reminded once.
  bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(Follow("zhangsan", "")), f.Context());
  f.now += 60;
  REQUIRE(bot::ReminderMessages(f.conn(), f.Context()).size() == 1);
  // More unrelated changes do not make it due again.
  f.now += 600;
  bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(Follow("zhangsan", "")), f.Context());
  f.now += 600;
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());
  // A follow-up is a new plan.
  f.Reply("zhangsan", "跟进 #" + std::to_string(id) + " 又打了电话");
  CHECK(storage::CustomerById(f.conn(), id)->next_follow_up_at > f.now + kDay);

  // A row from before plans were kept (planned 0), its due time moved
  // forward and reminded: a refresh keeps it.
  f.now += 60 * kDay;
  auto old = *storage::CustomerById(f.conn(), id);
  old.planned_follow_up_at = 0;
  old.next_follow_up_at = f.now - 3600;
  storage::UpdateCustomer(f.conn(), old);
  bot::ApplyReply(f.conn(), bot::kCustomerDetail, Detail(Follow("zhangsan", "")), f.Context());
  CHECK(storage::CustomerById(f.conn(), id)->next_follow_up_at == f.now - 3600);
}

TEST_CASE("阶段推进 counts moves forward along the funnel, not back or to 输单", "[crm]") {
  test::CrmFixture f;
  AddCustomer(f, "zhangsan", "王总");
  f.Reply("zhangsan", "阶段 王总 方案报价");  // forward (a new deal at 线索, moved on)
  f.Reply("zhangsan", "阶段 王总 需求调研");  // back
  f.Reply("zhangsan", "输单 王总 预算砍掉");  // lost
  auto day = storage::Activity(f.conn(), {"zhangsan"}, f.now - kDay, f.now + kDay,
                               f.Context().funnel.names());
  CHECK(day["zhangsan"].stage_moves == 1);
}

TEST_CASE("a payment a manager records counts for the deal's rep", "[crm]") {
  test::CrmFixture f;
  f.config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  AddCustomer(f, "zhangsan", "王总");
  f.Reply("zhangsan", "报价 王总 3万");
  CHECK(Has(f.Reply("boss", "回款 王总 1万"), "已记录 王总"));
  auto week = storage::Activity(f.conn(), {"zhangsan", "boss"}, f.now - kDay, f.now + kDay,
                                f.Context().funnel.names());
  CHECK(week["zhangsan"].paid == 1'000'000);
  CHECK(week["zhangsan"].payments == 1);
  CHECK(week["boss"].paid == 0);
}

TEST_CASE("a payment settles a deal won before it was paid off, before a newer deal", "[crm]") {
  test::CrmFixture f;
  auto id = AddCustomer(f, "zhangsan", "王总");
  f.Reply("zhangsan", "报价 王总 10万");
  f.Reply("zhangsan", "回款 王总 3万");
  f.Reply("zhangsan", "阶段 王总 成交");  // won, ¥70,000 still owed
  auto first = storage::LatestDeal(f.conn(), id)->id;
  f.Reply("zhangsan", "报价 王总 2万");  // an add-on: a new deal
  auto second = storage::OpenDeal(f.conn(), id)->id;
  REQUIRE(second != first);
  CHECK(Has(f.Reply("zhangsan", "回款 王总 2万"), "计入已成交商机的尾款"));
  CHECK(storage::DealById(f.conn(), first)->paid == 5'000'000);
  CHECK(storage::DealById(f.conn(), second)->paid == 0);
  // More than the old deal is owed: the open deal's, if it fits there.
  CHECK(Has(f.Reply("zhangsan", "回款 王总 8万"), "超过 王总 的待回款 ¥20,000.00"));
  CHECK(Has(f.Reply("zhangsan", "回款 王总 5万"), "已全部回款"));
  CHECK(storage::DealById(f.conn(), first)->paid == 10'000'000);
  CHECK(Has(f.Reply("zhangsan", "回款 王总 2万"), "商机成交"));
  CHECK(storage::DealById(f.conn(), second)->stage == "成交");
}

TEST_CASE("a clock set back does not repeat reminders", "[crm][reminders]") {
  test::CrmFixture f;
  AddCustomer(f, "zhangsan", "王总");
  f.Reply("zhangsan", "分级 王总 C");
  f.now += kDay + 3600;  // the first contact fell due an hour ago
  REQUIRE(bot::ReminderMessages(f.conn(), f.Context()).size() == 1);
  f.now -= 2 * 3600;  // set back (after a restart, say), before that due time
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());
  f.now += 2 * 3600 + 60;  // on again, past the first scan
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());
}

TEST_CASE("reminders: batched per rep, in working hours, each once", "[crm][reminders]") {
  test::CrmFixture f;
  f.config.schedule.timezone = "Asia/Shanghai";
  AddCustomer(f, "zhangsan", "王总");
  AddCustomer(f, "zhangsan", "赵总");
  AddCustomer(f, "lisi", "钱总");
  for (const char* who : {"王总", "赵总"}) f.Reply("zhangsan", std::string("分级 ") + who + " C");
  f.Reply("lisi", "分级 钱总 C");
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());  // nothing due yet
  f.now += kDay + 3600;                                         // Wednesday 10:00 local
  REQUIRE(bot::InWorkingHours(f.now, f.config));
  auto out = bot::ReminderMessages(f.conn(), f.Context());
  REQUIRE(out.size() == 2);  // one per rep
  std::string zhangsan =
      test::ContentOf(out[0].recipient == "user:zhangsan" ? out[0].body : out[1].body);
  CHECK(Has(zhangsan, "首次联系：王总"));
  CHECK(Has(out[0].body, "\"enable_duplicate_check\":1"));  // sent by itself: never twice
  CHECK(Has(zhangsan, "首次联系：赵总"));
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());  // each once

  CHECK_FALSE(bot::InWorkingHours(f.now + 9 * 3600, f.config));  // 19:00
  CHECK_FALSE(bot::InWorkingHours(f.now - 2 * 3600, f.config));  // 08:00
  CHECK_FALSE(bot::InWorkingHours(f.now + 3 * kDay, f.config));  // Saturday
  f.config.reminders.weekends = true;
  CHECK(bot::InWorkingHours(f.now + 3 * kDay, f.config));
}

TEST_CASE("a customer gone quiet is planned a win-back by time alone, and nothing once churned",
          "[crm][reminders]") {
  test::CrmFixture f;
  f.config.schedule.timezone = "Asia/Shanghai";
  const std::int64_t start = f.now;  // a Tuesday, 09:00 local
  auto quiet = AddCustomer(f, "zhangsan", "王总");
  auto paying = AddCustomer(f, "zhangsan", "钱总");
  f.Reply("zhangsan", "跟进 王总 电话沟通");
  f.Reply("zhangsan", "跟进 钱总 电话沟通");
  f.now = start + 20 * kDay;
  f.Reply("zhangsan", "报价 钱总 1万");
  f.now = start + 25 * kDay;
  f.Reply("zhangsan", "回款 钱总 5000");
  f.now = start + 29 * kDay;
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());  // nothing due yet
  // Five weeks without a word: at risk, and reminded to win them back now
  // (not of the routine follow-up that fell due on the way).
  f.now = start + 35 * kDay + 3600;
  REQUIRE(bot::InWorkingHours(f.now, f.config));
  auto out = bot::ReminderMessages(f.conn(), f.Context());
  REQUIRE(out.size() == 1);
  std::string text = test::ContentOf(out[0].body);
  CHECK(Has(text, "流失挽回：王总"));
  CHECK_FALSE(Has(text, "例行跟进"));
  CHECK_FALSE(Has(text, "钱总"));  // paid ten days ago: not quiet
  CHECK(storage::CustomerById(f.conn(), quiet)->lifecycle == domain::Lifecycle::kAtRisk);
  CHECK(storage::CustomerById(f.conn(), paying)->lifecycle != domain::Lifecycle::kAtRisk);
  CHECK(bot::ReminderMessages(f.conn(), f.Context()).empty());  // once
  // Thirteen weeks: churned, no follow-up planned, off the to-do list.
  f.now = start + 91 * kDay + 3600;
  REQUIRE(bot::InWorkingHours(f.now, f.config));
  for (const auto& m : bot::ReminderMessages(f.conn(), f.Context())) {
    CHECK_FALSE(Has(test::ContentOf(m.body), "王总"));
  }
  auto churned = storage::CustomerById(f.conn(), quiet);
  CHECK(churned->lifecycle == domain::Lifecycle::kChurned);
  CHECK(churned->next_follow_up_at == 0);
  CHECK(churned->lifecycle_changes_at == 0);
  CHECK_FALSE(Has(f.Reply("zhangsan", "待办"), "王总"));
}

TEST_CASE("what a rep typed is quoted back short, and a hint does not repeat itself", "[crm]") {
  test::CrmFixture f;
  std::string long_name(60, 'x');
  std::string missing = f.Reply("zhangsan", "客户 " + long_name);
  CHECK(Has(missing, "没有找到客户「" + std::string(19, 'x') + "…」"));
  CHECK_FALSE(Has(missing, std::string(20, 'x')));
  std::string typo = f.Reply("zhangsan", "帮主");
  CHECK(Has(typo, "没有识别「帮主」。你是不是想用「帮助」？发送「帮助」查看全部命令。"));
  CHECK_FALSE(Has(typo, "用法"));
  std::string note = f.Reply("zhangsan", "回款 王总 2万 " + long_name);
  CHECK(Has(note, "（“" + std::string(19, 'x') + "…”）"));
}

TEST_CASE("a customer followed by more than 500 members is read page by page to its owner",
          "[crm][events]") {
  test::CrmFixture f;
  f.config.crm.tag_tiers["B类客户"] = 'B';
  auto id = AddedInWeCom(f);
  // The first page lists others only, and a cursor: the next page is read.
  std::string first = Detail(Follow("lisi", Tag("t1", "B类客户")));
  first.insert(first.size() - 1, R"(,"next_cursor":"PAGE2")");
  auto more = bot::ApplyReply(f.conn(), bot::kCustomerDetail, first, f.Context());
  REQUIRE(more.size() == 1);
  CHECK(more[0].api == "/cgi-bin/externalcontact/get?external_userid=wmX&cursor=PAGE2");
  // lisi, the one who added the customer last so far, goes with it.
  CHECK(more[0].on_reply == std::string(bot::kCustomerDetail) + ":2:0:lisi");
  auto customer = storage::CustomerById(f.conn(), id);
  CHECK(customer->name == "钱总");
  CHECK(customer->owner == "zhangsan");   // not handed to lisi
  CHECK(customer->tier_manual == false);  // lisi's tags are not the owner's
  // The owner's page: their remark and tags.
  CHECK(bot::ApplyReply(f.conn(), bot::kCustomerDetail,
                        Detail(Follow("zhangsan", Tag("t1", "B类客户"))), f.Context())
            .empty());
  customer = storage::CustomerById(f.conn(), id);
  CHECK(customer->tier == 'B');
  CHECK(customer->remark == "钱总");
}

TEST_CASE("pages of a customer's followers are read up to a limit", "[crm][events]") {
  test::CrmFixture f;
  AddedInWeCom(f);
  std::string page = Detail(Follow("lisi", Tag("t1", "B类客户")));
  page.insert(page.size() - 1, R"(,"next_cursor":"SAME")");  // a cursor that never ends
  std::string on_reply = bot::kCustomerDetail;
  int fetched = 1;
  for (;;) {
    auto more = bot::ApplyReply(f.conn(), on_reply, page, f.Context());
    if (more.empty()) break;
    REQUIRE(more.size() == 1);
    REQUIRE(fetched < 100);
    ++fetched;
    CHECK(more[0].on_reply ==
          std::string(bot::kCustomerDetail) + ":" + std::to_string(fetched) + ":0:lisi");
    on_reply = more[0].on_reply;
  }
  CHECK(fetched == bot::kMaxFollowerPages);
  // Malformed page marks are not detail rows.
  for (std::string bad : {":", ":x", ":1", ":-2", ":2x", ":2:", ":2:5", ":2:5:", ":2:x:lisi"}) {
    CHECK(bot::ApplyReply(f.conn(), bot::kCustomerDetail + bad, page, f.Context()).empty());
  }
}

TEST_CASE("when the owner is gone, the follower who added the customer last on any page takes over",
          "[crm][events]") {
  using Change = wecom::ExternalContactChange;
  auto follower = [](const std::string& rep, std::int64_t added) {
    return R"({"userid":")" + rep + R"(","remark":"钱总","createtime":)" + std::to_string(added) +
           R"(,"tags":[]})";
  };
  auto paged = [](std::string detail, const std::string& cursor) {
    detail.insert(detail.size() - 1, R"(,"next_cursor":")" + cursor + R"(")");
    return detail;
  };
  // wangwu (page 1) added the customer after lisi (page 2), or before him.
  for (std::int64_t wangwu_added : {1700000000, 1500000000}) {
    INFO("wangwu added the customer at " << wangwu_added);
    test::CrmFixture f;
    auto id = AddedInWeCom(f);
    bot::HandleContactEvent(f.conn(), ContactEvent(Change::kDelete, "zhangsan", "wmX"),
                            f.Context());
    auto next = bot::ApplyReply(f.conn(), bot::kCustomerDetail,
                                paged(Detail(follower("wangwu", wangwu_added)), "P2"), f.Context());
    REQUIRE(next.size() == 1);
    CHECK(next[0].on_reply ==
          std::string(bot::kCustomerDetail) + ":2:" + std::to_string(wangwu_added) + ":wangwu");
    CHECK(storage::CustomerById(f.conn(), id)->owner == "zhangsan");  // not before the last page
    auto last = bot::ApplyReply(f.conn(), next[0].on_reply, Detail(follower("lisi", 1600000000)),
                                f.Context());
    if (wangwu_added > 1600000000) {
      // The winner's page was read already: read again from the first, for
      // their remark and tags.
      CHECK(storage::CustomerById(f.conn(), id)->owner == "wangwu");
      REQUIRE(last.size() == 1);
      CHECK(last[0].on_reply == bot::kCustomerDetail);
      CHECK(last[0].api == "/cgi-bin/externalcontact/get?external_userid=wmX");
    } else {
      CHECK(storage::CustomerById(f.conn(), id)->owner == "lisi");
      CHECK(last.empty());
    }
  }
}

TEST_CASE("a configured team follows its members' and manager's new userids", "[crm][events]") {
  test::CrmFixture f;
  f.config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  // In WeCom's directory zhangsan is under another leader; the configuration wins.
  storage::ReplaceOrgMembers(f.conn(), {{"zhangsan", "张三", "leader"}}, f.now);
  REQUIRE(f.Context().org.ManagerOf("zhangsan") == "boss");
  auto rename = [&](const std::string& from, const std::string& to) {
    wecom::ContactChangeEvent renamed;
    renamed.change_type = "update_user";
    renamed.user_id = from;
    renamed.new_user_id = to;
    bot::HandleDirectoryChange(f.conn(), renamed, f.Context());
  };
  rename("zhangsan", "zhangsan2");
  rename("zhangsan2", "zhangsan3");  // twice: the configuration's id still leads to it
  rename("boss", "boss2");
  auto org = f.Context().org;
  CHECK(org.ManagerOf("zhangsan3") == "boss2");  // not the directory's leader
  CHECK_FALSE(org.CanSee("leader", "zhangsan3"));
  REQUIRE(org.TeamOf("boss2") != nullptr);
  CHECK(org.TeamOf("boss2")->name == "华东");
  CHECK(org.TeamOf("boss") == nullptr);
  rename("zhangsan3", "zhangsan");  // and back: no id leads to itself
  CHECK(f.Context().org.ManagerOf("zhangsan") == "boss2");
  CHECK(storage::RenamedReps(f.conn()).count("zhangsan") == 0);
  // Another entry led by boss2 all along: one team of both.
  f.config.teams.push_back({"华南", "boss2", {"lisi"}, "", ""});
  REQUIRE(f.Context().org.TeamOf("boss2") != nullptr);
  CHECK(f.Context().org.TeamOf("boss2")->members == std::vector<std::string>{"zhangsan", "lisi"});
  CHECK(f.Context().org.ManagerOf("lisi") == "boss2");
  // A new member created with the old id "boss" is someone else.
  wecom::ContactChangeEvent created;
  created.change_type = "create_user";
  created.user_id = "boss";
  bot::HandleDirectoryChange(f.conn(), created, f.Context());
  CHECK(storage::RenamedReps(f.conn()).count("boss") == 0);
  CHECK(f.Context().org.ManagerOf("zhangsan") == "boss");
}

TEST_CASE("a configured team whose manager left reports to that manager's own manager",
          "[crm][events]") {
  test::CrmFixture f;
  f.config.teams.push_back({"华东", "boss", {"zhangsan"}, "", ""});
  storage::ReplaceOrgMembers(f.conn(), {{"boss", "主管", "ceo"}, {"ceo", "老板", ""}}, f.now);
  REQUIRE(f.Context().org.ManagerOf("zhangsan") == "boss");
  wecom::ContactChangeEvent left;
  left.change_type = "delete_user";
  left.user_id = "boss";
  bot::HandleDirectoryChange(f.conn(), left, f.Context());
  auto org = f.Context().org;
  CHECK(org.ManagerOf("zhangsan") == "ceo");  // approvals and alerts go to someone present
  CHECK(org.TeamOf("boss") == nullptr);
  REQUIRE(org.TeamOf("ceo") != nullptr);
  CHECK(org.TeamOf("ceo")->name == "华东");
  // Back again (create_user): the team is theirs again.
  wecom::ContactChangeEvent back;
  back.change_type = "create_user";
  back.user_id = "boss";
  bot::HandleDirectoryChange(f.conn(), back, f.Context());
  CHECK(f.Context().org.ManagerOf("zhangsan") == "boss");
}
