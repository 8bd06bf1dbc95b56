#include "bot/callback_service.h"

#include <catch2/catch.hpp>

#include "tests/support/callback_builder.h"
#include "tests/support/catch_result.h"
#include "tests/support/manual_clock.h"

using namespace scrm;
using namespace scrm::bot;

namespace {

struct Fixture {
  test::CallbackBuilder builder;
  Metrics metrics;
  test::ManualClock clock{1700000500};
  CallbackService service{builder.crypt(), metrics, clock};

  std::variant<Reply, storage::InboxRecord> Accept(const test::SignedCallback& cb) {
    return service.Accept(cb.target.substr(cb.target.find('?') + 1), cb.body);
  }
};

int StatusOf(const std::variant<Reply, storage::InboxRecord>& v) {
  return std::holds_alternative<Reply>(v) ? std::get<Reply>(v).status : 0;
}

}  // namespace

TEST_CASE("a good callback becomes an inbox record", "[service]") {
  Fixture f;
  auto out = f.Accept(f.builder.Post(test::TextMessageXml("zhangsan", "你好", "123456789")));
  REQUIRE(std::holds_alternative<storage::InboxRecord>(out));
  const auto& rec = std::get<storage::InboxRecord>(out);
  CHECK(rec.dedup_key == "123456789");
  CHECK(rec.kind == "text");
  CHECK(rec.from_user == "zhangsan");
  CHECK(rec.received_at == 1700000500);
  CHECK(rec.payload.find("你好") != std::string::npos);
  CHECK(f.service.Stored(static_cast<int>(storage::InboxOutcome::kInserted)).status == 200);
  CHECK(f.service.Stored(static_cast<int>(storage::InboxOutcome::kDuplicate)).status == 200);
  CHECK(f.service.Stored(storage::Errc::kQueryFailed).status == 503);
  CHECK(f.metrics.accepted() == 1);
  CHECK(f.metrics.duplicate() == 1);
  CHECK(f.metrics.rejected(Reject::kStorage) == 1);
}

TEST_CASE("each kind of bad callback gets its status and reason", "[service]") {
  Fixture f;
  auto good = f.builder.Post(test::TextMessageXml("u", "x", "1"));
  std::string query = good.target.substr(good.target.find('?') + 1);

  auto tampered = good;
  tampered.target.replace(tampered.target.find("msg_signature=") + 14, 1, "0");
  if (tampered.target == good.target)
    tampered.target.replace(tampered.target.find("msg_signature=") + 14, 1, "1");
  CHECK(StatusOf(f.Accept(tampered)) == 401);
  CHECK(f.metrics.rejected(Reject::kBadSignature) == 1);

  // Unsigned is a signature that does not match; a broken query is a bad request.
  CHECK(StatusOf(f.service.Accept("timestamp=1&nonce=2", good.body)) == 401);
  CHECK(StatusOf(f.service.Accept("msg_signature=&timestamp=1&nonce=2", good.body)) == 401);
  CHECK(f.metrics.rejected(Reject::kBadSignature) == 3);
  CHECK(StatusOf(f.service.Accept("msg_signature=%zz&timestamp=1&nonce=2", good.body)) == 400);
  CHECK(f.metrics.rejected(Reject::kBadRequest) == 1);

  CHECK(StatusOf(f.service.Accept(query, "<xml><Encrypt>")) == 400);
  CHECK(f.metrics.rejected(Reject::kBadXml) == 1);

  CHECK(StatusOf(f.Accept(f.builder.PostEncrypt("@@@@"))) == 400);
  CHECK(f.metrics.rejected(Reject::kBadBase64) == 1);

  CHECK(StatusOf(f.Accept(f.builder.PostEncrypt("AAAA"))) == 400);
  CHECK(f.metrics.rejected(Reject::kBadPadding) == 1);

  test::CallbackBuilder foreign("/wecom/callback", test::kToken, test::kAesKey, "wwOther");
  auto enc = foreign.crypt().Encrypt(test::TextMessageXml("u", "x", "2"));
  CHECK(StatusOf(f.Accept(f.builder.PostEncrypt(*enc))) == 400);
  CHECK(f.metrics.rejected(Reject::kWrongCorpId) == 1);

  CHECK(StatusOf(f.Accept(f.builder.Post("<xml><MsgType>text</MsgType>"))) == 400);
  CHECK(StatusOf(f.Accept(f.builder.Post(
            "<!DOCTYPE xml [<!ENTITY a \"b\">]><xml><MsgType>text</MsgType></xml>"))) == 400);
  CHECK(f.metrics.rejected(Reject::kBadPayload) == 2);
  CHECK(f.metrics.rejected() == 10);
  CHECK(f.metrics.accepted() == 0);
}

TEST_CASE("a callback with a number that is not one is stored, not refused", "[service]") {
  Fixture f;
  std::string xml =
      "<xml><ToUserName>ww0123456789abcdef</ToUserName><FromUserName>wangwu</FromUserName>"
      "<CreateTime>1700000000</CreateTime><MsgType>location</MsgType><Location_X>23.1</Location_X>"
      "<Location_Y>113.3</Location_Y><Scale>15.0</Scale><Label>广州</Label>"
      "<MsgId>7296438123456789013</MsgId><AgentID>1000002</AgentID></xml>";
  auto out = f.Accept(f.builder.Post(xml));
  REQUIRE(std::holds_alternative<storage::InboxRecord>(out));
  const auto& rec = std::get<storage::InboxRecord>(out);
  CHECK(rec.dedup_key == "7296438123456789013");
  CHECK(rec.kind == "location");
  CHECK(rec.from_user == "wangwu");
  CHECK(rec.payload == xml);
  CHECK(f.metrics.rejected() == 0);
}

TEST_CASE("URL verification answers the bare echostr", "[service]") {
  Fixture f;
  std::string target = f.builder.VerifyTarget("1288432023552776189");
  Reply r = f.service.VerifyUrl(target.substr(target.find('?') + 1));
  CHECK(r.status == 200);
  CHECK(r.body == "1288432023552776189");
  CHECK(f.service.VerifyUrl("msg_signature=a&timestamp=1&nonce=2").status == 400);
  CHECK(f.service.VerifyUrl("timestamp=1&nonce=2&echostr=abc").status == 401);
  CHECK(f.service.VerifyUrl("msg_signature=a&nonce=2&echostr=abc").status == 401);
  CHECK(f.service.VerifyUrl("msg_signature=%zz&timestamp=1&nonce=2&echostr=abc").status == 400);
  std::string bad = target.substr(target.find('?') + 1);
  bad.replace(bad.find("timestamp=") + 10, 1, "9");
  CHECK(f.service.VerifyUrl(bad).status == 401);
}
