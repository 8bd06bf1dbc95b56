#include "wecom/messages.h"

#include <catch2/catch.hpp>

using namespace scrm::wecom;

namespace {

bool ValidUtf8Boundaries(const std::string& s) {
  return s.empty() || (static_cast<unsigned char>(s[0]) & 0xC0) != 0x80;
}

}  // namespace

TEST_CASE("short content is one message", "[messages]") {
  auto parts = SplitForLimit("你好", 2048);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0] == "你好");
  auto bodies = TextMessageBodies("zhangsan", 1000002, "a\"b\\c\n");
  REQUIRE(bodies.size() == 1);
  CHECK(bodies[0] ==
        "{\"touser\":\"zhangsan\",\"msgtype\":\"text\",\"agentid\":1000002,\"text\":{\"content\":"
        "\"a\\\"b\\\\c\\n\"},\"enable_duplicate_check\":1,\"duplicate_check_interval\":1800}");
  // An answer that may be asked for again: no duplicate check.
  auto again = TextMessageBodies("zhangsan", 1000002, "ok", Repeats::kDelivered);
  REQUIRE(again.size() == 1);
  CHECK(again[0] ==
        "{\"touser\":\"zhangsan\",\"msgtype\":\"text\",\"agentid\":1000002,\"text\":{\"content\":"
        "\"ok\"}}");
}

TEST_CASE("long content is split at character boundaries with markers", "[messages]") {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "客";  // 9000 bytes
  auto parts = SplitForLimit(text, 2048);
  REQUIRE(parts.size() == 5);
  std::string joined;
  for (size_t i = 0; i < parts.size(); ++i) {
    CHECK(parts[i].size() <= 2048);
    CHECK(ValidUtf8Boundaries(parts[i]));
    std::string marker = "\n（" + std::to_string(i + 1) + "/5）";
    REQUIRE(parts[i].size() > marker.size());
    CHECK(parts[i].substr(parts[i].size() - marker.size()) == marker);
    joined += parts[i].substr(0, parts[i].size() - marker.size());
  }
  CHECK(joined == text);  // nothing lost
}

TEST_CASE("splits prefer line ends", "[messages]") {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "第" + std::to_string(i) + "行：客户跟进记录\n";
  for (const auto& part : SplitForLimit(text, 2048)) {
    CHECK(part.size() <= 2048);
    std::string body = part.substr(0, part.rfind("\n（"));
    CHECK(body.back() == '\n');
  }
  CHECK(MarkdownMessageBodies("a|b", 1, text).size() > 1);
}

TEST_CASE("a long run of bytes that are not UTF-8 still splits within the limit", "[messages]") {
  // Continuation bytes with no lead byte give no character boundary to cut
  // at; a newline further on must not stretch the piece past the limit.
  std::string text = "开头" + std::string(300, '\x98') + "\n" + std::string(3000, 'x') + "\nend";
  auto parts = SplitForLimit(text, 100);
  REQUIRE(parts.size() > 1);
  std::string joined;
  for (const auto& part : parts) {
    CHECK(part.size() <= 100);
    joined += part.substr(0, part.rfind("\n（"));
  }
  CHECK(joined == text);
}
