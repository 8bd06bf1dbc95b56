#include "wecom/xml.h"

#include <catch2/catch.hpp>

#include "tests/support/catch_result.h"

using namespace scrm::wecom;

TEST_CASE("CDATA splits a closing sequence", "[xml]") {
  CHECK(CData("a") == "<![CDATA[a]]>");
  CHECK(CData("x]]>y") == "<![CDATA[x]]]]><![CDATA[>y]]>");
  CHECK(EscapeText("<a&'\">") == "&lt;a&amp;&apos;&quot;&gt;");
}

TEST_CASE("the envelope parses in any order, with or without CDATA", "[xml]") {
  auto a = ParseEnvelope(
      "<xml><AgentID></AgentID><Encrypt>abc</Encrypt><ToUserName>"
      "<![CDATA[ww1]]></ToUserName><Extra>1</Extra></xml>");
  REQUIRE(a);
  CHECK(a->encrypt == "abc");
  CHECK(a->to_user_name == "ww1");
  CHECK(a->agent_id.empty());
}

TEST_CASE("an envelope element's text may come in several pieces", "[xml]") {
  // What CData() writes for text holding "]]>", and text mixed with CDATA.
  auto env = ParseEnvelope("<xml><Encrypt>" + CData("ab]]>cd") +
                           "</Encrypt><ToUserName>w<![CDATA[w]]>1</ToUserName></xml>");
  REQUIRE(env);
  CHECK(env->encrypt == "ab]]>cd");
  CHECK(env->to_user_name == "ww1");
}

TEST_CASE("malformed envelopes are refused with -40002", "[xml]") {
  for (const char* bad :
       {"", "not xml", "<xml><Encrypt>abc</Encrypt>", "<xml></xml>",
        "<xml><Encrypt></Encrypt></xml>", "<root><Encrypt>abc</Encrypt></root>",
        "<xml><Encrypt>abc</Encrypt></xml><xml/>",
        "<!DOCTYPE xml [<!ENTITY e \"x\">]><xml><Encrypt>&e;</Encrypt></xml>",
        "<?xml version=\"1.0\"?><!DOCTYPE xml SYSTEM \"file:///etc/passwd\"><xml>"
        "<Encrypt>abc</Encrypt></xml>",
        "<xml><Encrypt>a<b</Encrypt></xml>", "junk<xml><Encrypt>abc</Encrypt></xml>",
        "<xml><Encrypt>abc</Encrypt></xml>junk",
        "<xml><Encrypt>abc</Encrypt></xml><![CDATA[x]]>"}) {
    INFO(bad);
    auto env = ParseEnvelope(bad);
    REQUIRE_FALSE(env);
    CHECK(env.error().value() == -40002);
  }
}
