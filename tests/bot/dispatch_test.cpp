#include "bot/dispatch.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "bot/render.h"
#include "tests/support/callback_builder.h"
#include "tests/support/crm_fixture.h"
#include "tests/support/temp_dir.h"

using namespace scrm;

namespace {

storage::InboxRow Row(const std::string& payload) {
  storage::InboxRow row;
  row.id = 1;
  row.record.payload = payload;
  return row;
}

}  // namespace

TEST_CASE("help in both languages and widths gets the overview", "[dispatch]") {
  test::CrmFixture f;
  auto ctx = f.Context();
  for (const char* text : {"帮助", " help ", "HELP", "？", "?", "\xE3\x80\x80帮助\xE3\x80\x80"}) {
    INFO(text);
    auto out = bot::Dispatch(f.conn(), Row(test::TextMessageXml("zhangsan", text, "1")), ctx);
    REQUIRE(out.size() == 1);
    CHECK(out[0].recipient == "user:zhangsan");
    CHECK(out[0].api == "/cgi-bin/message/send");
    CHECK(test::ContentOf(out[0].body).rfind("销售助手", 0) == 0);  // no leading blank
    CHECK(test::ContentOf(out[0].body).find("报价 <客户> <金额>") != std::string::npos);
  }
}

TEST_CASE("other text gets a hint quoting it, unescaped and shortened", "[dispatch]") {
  test::CrmFixture f;
  auto ctx = f.Context();
  auto out = bot::Dispatch(f.conn(), Row(test::TextMessageXml("lisi", "A&B <客户>", "2")), ctx);
  REQUIRE(out.size() == 1);
  CHECK(test::ContentOf(out[0].body).find("A&B <客户>") != std::string::npos);
  std::string long_text(100, 'x');
  long_text += "客户";
  out = bot::Dispatch(f.conn(), Row(test::TextMessageXml("lisi", long_text, "3")), ctx);
  REQUIRE(out.size() == 1);
  CHECK(test::ContentOf(out[0].body).find(std::string(60, 'x') + "…") != std::string::npos);
}

TEST_CASE("a rep's voice, image or other non-text message gets told commands are text",
          "[dispatch]") {
  test::CrmFixture f;
  auto ctx = f.Context();
  struct Case {
    const char* type;
    const char* fields;
    const char* what;
  };
  for (auto [type, fields, what] :
       {Case{"voice", "<MediaId>m</MediaId><Format>amr</Format>", "语音"},
        Case{"image", "<PicUrl>http://p</PicUrl><MediaId>m</MediaId>", "图片"},
        Case{"location", "<Location_X>23.1</Location_X><Location_Y>113.3</Location_Y>", "位置"}}) {
    INFO(type);
    std::string xml = std::string("<xml><FromUserName>wangwu</FromUserName><MsgType>") + type +
                      "</MsgType>" + fields + "<MsgId>9</MsgId></xml>";
    CHECK(bot::NeedsDispatch(type));
    auto out = bot::Dispatch(f.conn(), Row(xml), ctx);
    REQUIRE(out.size() == 1);
    CHECK(out[0].recipient == "user:wangwu");
    std::string text = test::ContentOf(out[0].body);
    CHECK(text.find(std::string("这条") + what + "消息没有处理") != std::string::npos);
    CHECK(text.find("帮助") != std::string::npos);
  }
}

TEST_CASE("events and malformed payloads cause nothing", "[dispatch]") {
  test::CrmFixture f;
  auto ctx = f.Context();
  auto event = Row("<xml><MsgType>event</MsgType><Event>enter_agent</Event></xml>");
  CHECK(bot::Dispatch(f.conn(), event, ctx).empty());
  CHECK(bot::Dispatch(f.conn(), Row("not xml"), ctx).empty());
  CHECK(bot::Dispatch(f.conn(), Row("<xml><MsgType>text</MsgType><Content>帮助</Content></xml>"),
                      ctx)
            .empty());  // no sender to answer
  CHECK_FALSE(bot::NeedsDispatch("event:enter_agent"));
  CHECK(bot::NeedsDispatch("text"));
  CHECK(bot::NeedsDispatch("event:change_external_contact"));
}

TEST_CASE("templates are checked when loaded", "[render]") {
  test::TempDir dir;
  std::string error;
  CHECK_FALSE(bot::Templates::Load(dir.File("missing"), {}, error));
  CHECK(error.find("cannot read") != std::string::npos);
  std::ofstream(dir.File("help.mustache")) << "hi {{name}}";
  CHECK_FALSE(bot::Templates::Load(dir.path().string(), {"help", "other"}, error));
  CHECK(error.find("other.mustache is missing") != std::string::npos);
  std::ofstream(dir.File("broken.mustache")) << "{{#open}} never closed";
  CHECK_FALSE(bot::Templates::Load(dir.path().string(), {"help"}, error));
  CHECK(error.find("broken.mustache") != std::string::npos);
  std::filesystem::remove(dir.File("broken.mustache"));
  // Saved as GBK (您好), or cut inside a character: refused.
  for (const char* bytes : {"\xC4\xFA\xBA\xC3", "\xE4\xBD", "\xC0\x80", "\xED\xA0\x80"}) {
    std::ofstream(dir.File("gbk.mustache")) << bytes;
    CHECK_FALSE(bot::Templates::Load(dir.path().string(), {"help"}, error));
    CHECK(error.find("gbk.mustache is not UTF-8") != std::string::npos);
  }
  std::ofstream(dir.File("gbk.mustache")) << "您好 😀";
  CHECK(bot::Templates::Load(dir.path().string(), {"help"}, error));
  std::filesystem::remove(dir.File("gbk.mustache"));
  auto t = bot::Templates::Load(dir.path().string(), {"help"}, error);
  REQUIRE(t);
  CHECK(t->Render("help", std::map<std::string, std::string>{{"name", "张三"}}) == "hi 张三");
  CHECK(t->Render("nope").empty());
}

TEST_CASE("a section left out leaves no blank line; a blank line inside a shown one stays",
          "[render]") {
  test::TempDir dir;
  std::ofstream(dir.File("help.mustache")) << "{{! a note for whoever edits this }}\n"
                                              "提醒：\n"
                                              "  {{#due}} \r\n"
                                              "· {{name}}\n"
                                              "{{/due}}\n"
                                              "{{#more}}\n"
                                              "· 另有 {{more}} 位\n"
                                              "{{/more}}\n"
                                              "{{^due}}\n"
                                              "没有\n"
                                              "{{/due}}\n"
                                              "{{#heading}}\n"
                                              "\n"
                                              "**{{heading}}**\n"
                                              "{{/heading}}\n"
                                              "完。";
  std::string error;
  auto t = bot::Templates::Load(dir.path().string(), {"help"}, error);
  REQUIRE(t);
  bot::View two{{{"more", ""}, {"heading", ""}},
                {{"due", {{{"name", "王总"}}, {{"name", "赵总"}}}}}};
  CHECK(t->RenderView("help", two) == "提醒：\n· 王总\n· 赵总\n完。");
  bot::View none{{{"more", "3"}, {"heading", "卡点"}}, {{"due", {}}}};
  CHECK(t->RenderView("help", none) == "提醒：\n· 另有 3 位\n没有\n\n**卡点**\n完。");
  // A value cannot take a line break out of the text around it.
  bot::View marked{{{"more", "\x01"}, {"heading", ""}}, {{"due", {{{"name", "王\x01总"}}}}}};
  CHECK(t->RenderView("help", marked) == "提醒：\n· 王总\n· 另有  位\n完。");
}
