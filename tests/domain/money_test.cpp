#include "domain/money.h"

#include <catch2/catch.hpp>

using scrm::domain::FormatPlain;
using scrm::domain::FormatYuan;
using scrm::domain::ParseAmount;

TEST_CASE("amounts parse as reps type them", "[money]") {
  CHECK(ParseAmount("12000") == 1200000);
  CHECK(ParseAmount("12,000") == 1200000);
  CHECK(ParseAmount("12，000") == 1200000);
  CHECK(ParseAmount("1.2万") == 1200000);
  CHECK(ParseAmount("3.5w") == 3500000);
  CHECK(ParseAmount("99.9") == 9990);
  CHECK(ParseAmount("¥1,200.50") == 120050);
  CHECK(ParseAmount("1200元") == 120000);
  CHECK(ParseAmount(" 8 ") == 800);
  CHECK(ParseAmount("1.23456万") == 1234560);
  CHECK(ParseAmount("3千") == 300000);
  CHECK(ParseAmount("5k") == 500000);
  CHECK(ParseAmount("2.5K") == 250000);
  CHECK(ParseAmount("1.2345千") == 123450);
  CHECK(ParseAmount("3000块") == 300000);
  CHECK(ParseAmount("2万。") == 2000000);  // the end of the rep's sentence
  CHECK(ParseAmount("12000.") == 1200000);
}

TEST_CASE("malformed amounts are refused", "[money]") {
  for (const char* bad :
       {"", "abc", "-5", "1.234", "1,2", "12,00", ",100", "1..2", "万", "99999999999999999999",
        "1.2.3万", "千", "k", "1.234567千", "。", "1.234。", "3千万", "5kk"}) {
    INFO(bad);
    CHECK_FALSE(ParseAmount(bad).has_value());
  }
}

TEST_CASE("amounts past the largest accepted one are refused, with or without 万", "[money]") {
  using scrm::domain::kMaxAmount;
  CHECK(ParseAmount(FormatPlain(kMaxAmount)) == kMaxAmount);
  CHECK_FALSE(ParseAmount(FormatPlain(kMaxAmount + 1)).has_value());
  // 万 scales the digits by 10^4: the limit applies to the scaled amount, so
  // whatever is accepted can be written back with FormatPlain and read again.
  CHECK_FALSE(ParseAmount("111111151111万").has_value());
  CHECK_FALSE(ParseAmount("922337203685477万").has_value());  // would overflow 64 bits
  CHECK(ParseAmount("92233720.36万") == 92233720360000);
  for (const char* text : {"92233720.36万", "1.2万", "99.99", "12,000"}) {
    auto fen = ParseAmount(text);
    REQUIRE(fen);
    CHECK(ParseAmount(FormatPlain(*fen)) == fen);
  }
}

TEST_CASE("amounts render with separators", "[money]") {
  CHECK(FormatYuan(0) == "0.00");
  CHECK(FormatYuan(120050) == "1,200.50");
  CHECK(FormatYuan(123456789) == "1,234,567.89");
  CHECK(FormatYuan(-5) == "-0.05");
}

TEST_CASE("plain amounts and percents read back as typed", "[money]") {
  using namespace scrm::domain;
  CHECK(FormatPlain(1200000) == "12000.00");
  CHECK(FormatPlain(1200005) == "12000.05");
  CHECK(FormatPlain(0) == "0.00");
  CHECK(ParseAmount(FormatPlain(123456789)) == 123456789);
  CHECK(FormatPercent(500) == "5");
  CHECK(FormatPercent(550) == "5.5");
  CHECK(FormatPercent(225) == "2.25");
  CHECK(FormatPercent(-50) == "-0.5");
  CHECK(FormatPercent(-1205) == "-12.05");
  CHECK(FormatPercent(5) == "0.05");
}
