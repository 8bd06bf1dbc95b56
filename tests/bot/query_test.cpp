#include "bot/query.h"

#include <catch2/catch.hpp>

#include "tests/support/catch_result.h"

using namespace scrm::bot;

TEST_CASE("percent-decoding happens exactly once and keeps '+'", "[query]") {
  CHECK(PercentDecode("a%2Fb%2Bc%3D") == std::string("a/b+c="));
  CHECK(PercentDecode("a+b") == std::string("a+b"));
  CHECK(PercentDecode("%252F") == std::string("%2F"));
  CHECK(PercentDecode("%e4%bd%a0") == std::string("你"));
}

TEST_CASE("bad escapes are refused", "[query]") {
  for (const char* bad : {"%", "%2", "%G0", "abc%", "%%", "%2g"}) {
    INFO(bad);
    CHECK_FALSE(PercentDecode(bad).has_value());
  }
  CHECK_FALSE(ParseQuery("a=%zz").has_value());
}

TEST_CASE("the O3 query decodes to its echostr", "[query]") {
  auto q = ParseQuery(
      "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce="
      "263014780&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4R"
      "Pcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D");
  REQUIRE(q);
  CHECK((*q)["echostr"] ==
        "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==");
  CHECK((*q)["nonce"] == "263014780");
}

TEST_CASE("query edge cases", "[query]") {
  auto q = ParseQuery("a=1&&b&a=2&=x&c=");
  REQUIRE(q);
  CHECK((*q)["a"] == "1");
  CHECK(q->at("b").empty());
  CHECK(q->at("c").empty());
  CHECK(ParseQuery("")->empty());
}

TEST_CASE("query values are looked up without the whole map", "[query]") {
  auto v = QueryValues("nonce=n1&msg%5Fsignature=abc&timestamp=1&nonce=n2&x=%2F",
                       {"msg_signature", "timestamp", "nonce", "echostr"});
  REQUIRE(v);
  REQUIRE(v->size() == 4);
  CHECK((*v)[0] == "abc");  // an escaped key matches once decoded
  CHECK((*v)[1] == "1");
  CHECK((*v)[2] == "n1");  // the first occurrence wins, as in ParseQuery
  CHECK((*v)[3].empty());  // absent
  CHECK(QueryValues("echostr=a%2Bb%3D", {"echostr"})->at(0) == "a+b=");
  // A bad escape anywhere refuses the query, wanted key or not.
  CHECK_FALSE(QueryValues("nonce=1&other=%zz", {"nonce"}).has_value());
  CHECK_FALSE(QueryValues("nonce=%4", {"nonce"}).has_value());
  CHECK_FALSE(QueryValues("%zz=1&nonce=1", {"nonce"}).has_value());
  CHECK(QueryValues("", {"nonce"})->at(0).empty());
}

TEST_CASE("a target splits at its first '?' into path and raw query", "[query]") {
  CHECK(PathOf("/wecom/callback?msg_signature=a&nonce=1") == "/wecom/callback");
  CHECK(QueryOf("/wecom/callback?msg_signature=a&nonce=1") == "msg_signature=a&nonce=1");
  CHECK(PathOf("/healthz") == "/healthz");
  CHECK(QueryOf("/healthz").empty());
  CHECK(QueryOf("/x?a=1?b").size() == 5);  // later '?' belong to the query
  CHECK(PathOf("?a=1").empty());
}
