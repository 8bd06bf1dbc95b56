// Table tests of the rep's command parser: both languages, both punctuation
// widths, valid, malformed and unknown input.
#include "bot/commands.h"

#include <catch2/catch.hpp>

using namespace scrm::bot;

namespace {

template <class T>
T As(const std::string& text) {
  Command c = ParseCommand(text);
  INFO("input: " << text << " (variant " << c.index() << ")");
  REQUIRE(std::holds_alternative<T>(c));
  return std::get<T>(c);
}

}  // namespace

TEST_CASE("text is normalized: full-width forms, spaces", "[commands]") {
  CHECK(NormalizeText("　跟进　张三：　ＡＢＣ１２３，！　") == "跟进 张三: ABC123,!");
  CHECK(NormalizeText("a \t\n b") == "a b");
  CHECK(NormalizeText("") == "");
  // A no-break or zero-width space copied from elsewhere is a space.
  CHECK(NormalizeText("王总\u200B") == "王总");
  CHECK(NormalizeText("\uFEFF跟进\u00A0王总") == "跟进 王总");
  CHECK(NormalizeText("\xff\xfe") == "\xff\xfe");  // invalid UTF-8 is kept, not crashed on
  // A lead byte whose sequence is cut short, past U+10FFFF, or not in
  // shortest form stays a byte of its own: the space after it still
  // separates words, and "\xc0\x80" never turns into a NUL.
  CHECK(NormalizeText("\xf4\xbb\xb7 #12") == "\xf4\xbb\xb7 #12");
  CHECK(NormalizeText("\xf7\xbf\xbf\xbf x") == "\xf7\xbf\xbf\xbf x");
  CHECK(NormalizeText("a\xc0\x80"
                      "b") ==
        "a\xc0\x80"
        "b");
  CHECK(NormalizeText("\xed\xa0\x80") == "\xed\xa0\x80");
}

TEST_CASE("help in every spelling", "[commands]") {
  for (const char* text : {"帮助", "help", "HELP", "?", "？", "菜单", " 帮助 ", "帮助 我"}) {
    As<cmd::Help>(text);
  }
}

TEST_CASE("customer, follow, stage", "[commands]") {
  CHECK(As<cmd::ShowCustomer>("客户 张三").customer == "张三");
  CHECK(As<cmd::ShowCustomer>("customer #12").customer == "#12");
  CHECK(As<cmd::ShowCustomer>("客户：张三").customer == "张三");
  CHECK(As<cmd::ShowCustomer>("客户张三").customer == "张三");
  auto f = As<cmd::Follow>("跟进 张三 今天电话沟通，客户对方案B感兴趣");
  CHECK(f.customer == "张三");
  CHECK(f.content == "今天电话沟通，客户对方案B感兴趣");  // as typed: full-width stays
  // Free text keeps its line breaks and spacing; names keep their brackets.
  auto multi = As<cmd::Follow>("跟进 王总 电话沟通\n下周二  上门（带样品）");
  CHECK(multi.customer == "王总");
  CHECK(multi.content == "电话沟通\n下周二  上门（带样品）");
  CHECK(As<cmd::ShowCustomer>("客户 钱总（展会）").customer == "钱总（展会）");
  CHECK(As<cmd::ShowCustomer>("客户：钱总（展会）").customer == "钱总（展会）");
  CHECK(As<cmd::ShowCustomer>("ｃｕｓｔｏｍｅｒ　钱总（展会）　").customer == "钱总（展会）");
  CHECK(As<cmd::ShowCustomer>("客户 ＃１２").customer == "#12");
  CHECK(As<cmd::Lost>("输单 ＃１２ 预算砍掉，明年再谈").reason == "预算砍掉，明年再谈");
  auto f2 = As<cmd::Follow>("follow　王总　visited the site");
  CHECK(f2.customer == "王总");
  CHECK(f2.content == "visited the site");
  CHECK(As<cmd::Follow>("跟进张三 上门拜访").customer == "张三");
  auto s = As<cmd::MoveStage>("阶段 张三 方案报价");
  CHECK(s.stage == "方案报价");
  CHECK(As<cmd::MoveStage>("stage #3 合同谈判").customer == "#3");
}

TEST_CASE("quote with amounts in every form, and discounts", "[commands]") {
  CHECK(As<cmd::Quote>("报价 张三 12000").amount == 1200000);
  CHECK(As<cmd::Quote>("报价 张三 1.2万").amount == 1200000);
  CHECK(As<cmd::Quote>("报价 张三 12,000").amount == 1200000);
  CHECK(As<cmd::Quote>("报价 张三 １２，０００").amount == 1200000);
  auto q = As<cmd::Quote>("quote 张三 60000 discount 12%");
  CHECK(q.amount == 6000000);
  CHECK(q.discount_bp == 1200);
  CHECK(As<cmd::Quote>("报价 张三 6万 折扣 5").discount_bp == 500);
  CHECK(As<cmd::Quote>("报价 张三 6万 折扣 ５％").discount_bp == 500);
  CHECK(As<cmd::Quote>("报价 张三 6万 折扣 2.5").discount_bp == 250);
  CHECK(As<cmd::Quote>("报价 张三 6万 折扣5%").discount_bp == 500);
  CHECK(As<cmd::Quote>("报价 张三 6万 折扣 5。").discount_bp == 500);
  CHECK(As<cmd::MoveStage>("阶段 张三 ＰＯＣ").stage == "POC");  // a keyword: half-width
  // Names of several words: the fixed arguments are read from the end.
  // A comma or colon right after the customer ends it; a comma between
  // digits is part of the amount.
  auto comma = As<cmd::Follow>("跟进 王总，电话沟通了，约了下周");
  CHECK(comma.customer == "王总");
  CHECK(comma.content == "电话沟通了，约了下周");
  CHECK(As<cmd::Follow>("跟进王总,电话").content == "电话");
  CHECK(As<cmd::Follow>("跟进 王总: 电话").content == "电话");
  CHECK(As<cmd::Paid>("回款 王总：2万").amount == 2'000'000);
  CHECK(As<cmd::Paid>("回款 王总 1,200").amount == 120'000);
  auto pasted = As<cmd::Paid>("回款\u200B王总\u00A02万\uFEFF");
  CHECK(pasted.customer == "王总");
  CHECK(pasted.amount == 2'000'000);
  CHECK(As<cmd::Lost>("输单 王总，预算不够").reason == "预算不够");
  // A name of several words ended by a comma is offered whole.
  auto several = As<cmd::Follow>("跟进 Tom Lee，电话沟通 约下周");
  REQUIRE_FALSE(several.longer.empty());
  CHECK(several.longer.back() == cmd::LongerNames::value_type{"Tom Lee", "电话沟通 约下周"});
  auto spaced = As<cmd::Lost>("输单 Tom Lee： 预算砍掉");
  CHECK(spaced.longer.back() == cmd::LongerNames::value_type{"Tom Lee", "预算砍掉"});
  // All the words may be the name, with nothing after it.
  auto bare = As<cmd::Lost>("输单 Tom Lee");
  CHECK(bare.longer.back() == cmd::LongerNames::value_type{"Tom Lee", ""});
  CHECK(As<cmd::Lost>("输单 Tom Lee。").longer.back() ==
        cmd::LongerNames::value_type{"Tom Lee", ""});
  CHECK(As<cmd::MoveStage>("阶段 王总：需求调研").stage == "需求调研");
  CHECK(As<cmd::ShowCustomer>("客户 王总，").customer == "王总，");  // 客户 takes the whole name
  CHECK(As<cmd::SetTier>("分级 王总 A类").tier == 'A');
  // A sentence ended with 。 (as an IME types it) after a keyword.
  CHECK(As<cmd::MoveStage>("阶段 王总 需求调研。").stage == "需求调研");
  CHECK(As<cmd::SetTier>("分级 王总 A。").tier == 'A');
  CHECK(As<cmd::Quote>("报价 王总 1万 95折。").discount_bp == 500);
  CHECK(As<cmd::SetTier>("分级 王总 c级").tier == 'C');
  CHECK(std::holds_alternative<cmd::Malformed>(ParseCommand("分级 王总 类")));
  auto tom = As<cmd::Quote>("报价 Tom Lee 6万 折扣 5");
  CHECK(tom.customer == "Tom Lee");
  CHECK(tom.amount == 6'000'000);
  CHECK(tom.discount_bp == 500);
  CHECK(As<cmd::Quote>("报价 Tom  Lee 6万 95折").customer == "Tom  Lee");
  CHECK(As<cmd::Paid>("回款 Tom Lee 2万").customer == "Tom Lee");
  CHECK(As<cmd::SetTier>("分级 Tom Lee a").customer == "Tom Lee");
  CHECK(As<cmd::MoveStage>("阶段 Tom Lee 需求调研").customer == "Tom Lee");
  // Free text: the longer readings of the name come along, longest first.
  auto follow = As<cmd::Follow>("跟进 Tom Lee 电话 沟通");
  CHECK(follow.customer == "Tom");
  CHECK(follow.content == "Lee 电话 沟通");
  REQUIRE(follow.longer.size() == 2);
  CHECK(follow.longer[0] == std::pair<std::string, std::string>{"Tom Lee 电话", "沟通"});
  CHECK(follow.longer[1] == std::pair<std::string, std::string>{"Tom Lee", "电话 沟通"});
  CHECK(As<cmd::Quote>("报价 张三 6万 折扣 0").discount_bp == 0);
  CHECK(As<cmd::Quote>("报价 张三 6万 95折").discount_bp == 500);
  CHECK(As<cmd::Quote>("报价 张三 6万 9折").discount_bp == 1000);
  CHECK(As<cmd::Quote>("报价 张三 6万 8.5折").discount_bp == 1500);
  CHECK(As<cmd::Quote>("报价 张三 3千").amount == 300000);
  CHECK(As<cmd::Paid>("回款 张三 2万。").amount == 2000000);
}

TEST_CASE("amounts with a sign or unit typed apart, names holding a number", "[commands]") {
  // A currency sign or unit as a word of its own belongs to the amount.
  const std::pair<const char*, long long> apart[] = {
      {"回款 王总 ￥ 20000", 2'000'000},  {"回款 王总 ¥ 20000", 2'000'000},
      {"回款 王总 RMB 20000", 2'000'000}, {"回款 王总 rmb 20000", 2'000'000},
      {"回款 王总 20000 元", 2'000'000},  {"回款 王总 2000 块钱", 200'000},
      {"回款 王总 2 万", 2'000'000},      {"回款 王总 3 千元", 300'000}};
  for (const auto& [text, fen] : apart) {
    auto paid = As<cmd::Paid>(text);
    CHECK(paid.customer == "王总");
    CHECK(paid.amount == fen);
  }
  auto q = As<cmd::Quote>("报价 王总 6 万 95折");
  CHECK(q.customer == "王总");
  CHECK(q.amount == 6'000'000);
  CHECK(q.discount_bp == 500);
  CHECK(As<cmd::Quote>("报价 王总 ¥ 6万 折扣 5").discount_bp == 500);
  // A plain number in a name: the amount is the one the rest fits.
  auto room = As<cmd::Quote>("报价 Room 101 1万");
  CHECK(room.customer == "Room 101");
  CHECK(room.amount == 1'000'000);
  auto lucy = As<cmd::Paid>("回款 Lucy 520 2万");
  CHECK(lucy.customer == "Lucy 520");
  CHECK(lucy.amount == 2'000'000);
  auto discounted = As<cmd::Quote>("报价 Lucy 520 2万 95折");
  CHECK(discounted.customer == "Lucy 520");
  CHECK(discounted.discount_bp == 500);
  // A plain number is part of a name only before a sum written as one: a
  // plain number after it is the rep's mistake, as what follows a sum.
  CHECK(As<cmd::Malformed>("报价 王总 60000 5").problem ==
        "金额后面只能跟“折扣 <百分比>”或“<N>折”");
  CHECK(
      As<cmd::Malformed>("回款 王总 20000 尾款 5000").problem.starts_with("金额后面不能再写别的"));
  CHECK(As<cmd::Malformed>("回款 王总 2万 6").problem.starts_with("金额后面不能再写别的（“6”）"));
  CHECK(As<cmd::Malformed>("报价 张三 1万 折扣5 6").problem ==
        "金额后面只能跟“折扣 <百分比>”或“<N>折”");
  // A discount after a colon, or with the sentence's full stop.
  CHECK(As<cmd::Quote>("报价 王总 6万 折扣：5%").discount_bp == 500);
  CHECK(As<cmd::Quote>("报价 王总 6万 折扣： 5%").discount_bp == 500);
  CHECK(As<cmd::Quote>("报价 王总 6万 折扣 5%.").discount_bp == 500);
  // A comma right after the command word, as after the customer.
  auto follow = As<cmd::Follow>("跟进，王总 电话");
  CHECK(follow.customer == "王总");
  CHECK(follow.content == "电话");
  auto paid = As<cmd::Paid>("回款，王总，2万");
  CHECK(paid.customer == "王总");
  CHECK(paid.amount == 2'000'000);
}

TEST_CASE("paid, lost, tier, todo, funnel, a numbered choice", "[commands]") {
  CHECK(As<cmd::Paid>("回款 张三 3万").amount == 3000000);
  CHECK(As<cmd::Malformed>("回款 张三 2万 首期").problem ==
        "金额后面不能再写别的（“首期”）；回款只记客户和金额，说明可以另发「跟进」");
  CHECK(As<cmd::Paid>("paid #7 12000.50").amount == 1200050);
  auto l = As<cmd::Lost>("输单 张三 价格太高 选了竞品");
  CHECK(l.reason == "价格太高 选了竞品");
  CHECK(As<cmd::SetTier>("分级 张三 a").tier == 'A');
  CHECK(As<cmd::SetTier>("tier 张三 Ｂ").tier == 'B');
  As<cmd::Todo>("待办");
  As<cmd::Todo>("todo");
  As<cmd::ShowFunnel>("漏斗");
  As<cmd::ShowFunnel>("Funnel");
  CHECK(As<cmd::Choose>("2").number == 2);
  CHECK(As<cmd::Choose>("２").number == 2);
}

TEST_CASE("malformed commands say what is wrong", "[commands]") {
  struct Case {
    const char* text;
    const char* command;
  };
  for (auto [text, command] : {Case{"跟进", "跟进"},
                               Case{"跟进 张三", "跟进"},
                               Case{"客户", "客户"},
                               Case{"阶段 张三", "阶段"},
                               Case{"报价 张三", "报价"},
                               Case{"报价 张三 很多", "报价"},
                               Case{"报价 张三 -5", "报价"},
                               Case{"报价 张三 0", "报价"},
                               Case{"报价 张三 1万 折扣", "报价"},
                               Case{"报价 张三 1万 折扣 120", "报价"},
                               Case{"报价 张三 1万 折扣 100", "报价"},
                               Case{"报价 张三 3万 折扣 42949673", "报价"},
                               Case{"报价 张三 1万 10折", "报价"},
                               Case{"报价 张三 1万 0折", "报价"},
                               Case{"报价 张三 1万 100折", "报价"},
                               Case{"报价 张三 1万 折扣5 6", "报价"},
                               Case{"报价 张三 1万 折扣x", "报价"},
                               Case{"报价 张三 1万 折扣 .", "报价"},
                               Case{"报价 张三 1万 折扣 %", "报价"},
                               Case{"报价 张三 3万 折扣 99999999", "报价"},
                               Case{"报价 张三 1万 打折 5", "报价"},
                               Case{"回款 张三", "回款"},
                               Case{"回款 张三 一万", "回款"},
                               Case{"输单 张三", "输单"},
                               Case{"分级 张三 D", "分级"},
                               Case{"分级 张三", "分级"},
                               Case{"quote", "报价"}}) {
    auto m = As<cmd::Malformed>(text);
    CHECK(m.command == command);
    CHECK_FALSE(m.problem.empty());
    CHECK_FALSE(Usage(m.command).empty());
  }
}

TEST_CASE("unknown text suggests the closest command", "[commands]") {
  CHECK(As<cmd::Unknown>("跟近 张三 你好").closest == "跟进");
  CHECK(As<cmd::Unknown>("folow 张三 hi").closest == "跟进");
  CHECK(As<cmd::Unknown>("qoute 张三 100").closest == "报价");
  CHECK(As<cmd::Unknown>("今天天气不错").closest.empty());
  CHECK(As<cmd::Unknown>("").closest == "帮助");
  CHECK(As<cmd::Unknown>("0").closest.empty());
  CHECK(As<cmd::Unknown>("123").text == "123");
}
