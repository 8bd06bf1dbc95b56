// The real server on an ephemeral port, driven over loopback sockets.
#include "bot/server.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "bot/callback_service.h"
#include "storage/connection.h"
#include "storage/db.h"
#include "storage/inbox.h"
#include "tests/fuzz/mutator.h"
#include "tests/support/callback_builder.h"
#include "tests/support/catch_result.h"
#include "tests/support/http_client.h"
#include "tests/support/running_app.h"
#include "tests/support/vectors.h"
#include "wecom/api.h"

using namespace scrm;
using test::HttpConnection;
using test::HttpRequest;

namespace {

std::int64_t InboxCount(const bot::Config& config) {
  auto db = storage::Db::Open({config.storage.sqlite_path, true});
  REQUIRE(db);
  return *storage::CountInbox(**db);
}

std::string MetricsText(std::uint16_t port) {
  auto res = HttpRequest(port, "GET", "/metrics");
  REQUIRE(res);
  return res->body;
}

}  // namespace

TEST_CASE("URL verification with the official and generated vectors", "[server]") {
  for (const char* id : {"O1", "O3", "V-C"}) {
    const auto& v = test::VectorById(id);
    INFO(id);
    test::TempDir dir;
    bot::Config config = test::TestConfig(dir);
    config.wecom.token = v.at("token");
    config.wecom.encoding_aes_key = v.at("encoding_aes_key");
    config.wecom.corp_id = v.at("receive_id");
    test::RunningApp app(config);
    std::string query = v.count("raw_query")
                            ? v.at("raw_query")
                            : "msg_signature=" + v.at("msg_signature") +
                                  "&timestamp=" + v.at("timestamp") + "&nonce=" + v.at("nonce") +
                                  "&echostr=" + wecom::QueryEscape(v.at("echostr"));
    auto res = HttpRequest(app.port(), "GET", "/wecom/callback?" + query);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == v.at("expected_plaintext"));  // no quotes, no newline
    CHECK(res->headers["content-type"].find("text/plain") == 0);
    // The same request with a wrong signature is refused.
    std::string bad = "/wecom/callback?" + query;
    bad.replace(bad.find("msg_signature=") + 14, 3, "fff");
    auto refused = HttpRequest(app.port(), "GET", bad);
    REQUIRE(refused);
    CHECK(refused->status == 401);
    CHECK(app.Stop() == 0);
  }
}

TEST_CASE("accepted callbacks are stored once; re-deliveries are 200 and store nothing",
          "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  test::CallbackBuilder builder;
  HttpConnection conn(app.port());
  REQUIRE(conn.connected());

  auto first = builder.Post(test::TextMessageXml("zhangsan", "你好🚗", "7296438123456789012"));
  auto res = conn.Request("POST", first.target, first.body);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.empty());

  // WeCom re-sends with a new nonce and a new random prefix: still a duplicate.
  auto again = builder.Post(test::TextMessageXml("zhangsan", "你好🚗", "7296438123456789012"),
                            "1700000009", "999");
  res = conn.Request("POST", again.target, again.body);
  REQUIRE(res);
  CHECK(res->status == 200);

  auto event = builder.Post(
      "<xml><ToUserName>ww0123456789abcdef</ToUserName><FromUserName>sys</FromUserName>"
      "<CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>"
      "change_external_contact</Event><ChangeType>add_external_contact</ChangeType><UserID>"
      "zhangsan</UserID><ExternalUserID>wm1</ExternalUserID></xml>");
  for (int i = 0; i < 3; ++i) {
    res = conn.Request("POST", event.target, event.body);
    REQUIRE(res);
    CHECK(res->status == 200);
  }
  CHECK(InboxCount(config) == 2);

  auto db = storage::Db::Open({config.storage.sqlite_path, true});
  REQUIRE(db);
  auto row = storage::FindInbox(**db, "7296438123456789012");
  REQUIRE(row);
  REQUIRE(row->has_value());
  CHECK((*row)->record.kind == "text");
  CHECK((*row)->record.from_user == "zhangsan");
  CHECK((*row)->record.received_at == app.clock.Now().time_since_epoch().count());
  CHECK((*row)->record.payload.find("你好🚗") != std::string::npos);

  std::string metrics = MetricsText(app.port());
  CHECK(metrics.find("scrm_callbacks_total{result=\"accepted\"} 2") != std::string::npos);
  CHECK(metrics.find("scrm_callbacks_total{result=\"duplicate\"} 3") != std::string::npos);
  CHECK(metrics.find("scrm_inbox_rows 2") != std::string::npos);
  CHECK(metrics.find("scrm_callback_latency_seconds_count 5") != std::string::npos);
  // Two callbacks make no checkpoint; the counters are there from the start.
  CHECK(metrics.find("scrm_storage_checkpoints_total{thread=\"background\"} 0") !=
        std::string::npos);
  CHECK(metrics.find("scrm_storage_checkpoints_total{thread=\"writer\"} 0") != std::string::npos);
}

TEST_CASE("bad callbacks get their status and store nothing", "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.server.max_body_bytes = 2048;
  test::RunningApp app(config);
  test::CallbackBuilder builder;
  auto good = builder.Post(test::TextMessageXml("u", "x", "42"));

  struct Case {
    const char* name;
    test::SignedCallback cb;
    int status;
  };
  auto wrong_sig = good;
  wrong_sig.target.replace(wrong_sig.target.find("timestamp=") + 10, 1, "2");
  test::CallbackBuilder foreign("/wecom/callback", test::kToken, test::kAesKey, "wwSomeoneElse");
  auto foreign_encrypt = foreign.crypt().Encrypt(test::TextMessageXml("u", "x", "43"));
  std::string truncated = test::TextMessageXml("u", "x", "44");
  truncated.resize(truncated.size() / 2);
  std::vector<Case> cases = {
      {"wrong signature", wrong_sig, 401},
      {"bad base64", builder.PostEncrypt("!!not base64!!"), 400},
      {"wrong corp id", builder.PostEncrypt(*foreign_encrypt), 400},
      {"truncated inner XML", builder.Post(truncated), 400},
      {"DOCTYPE payload",
       builder.Post("<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><MsgType>"
                    "text</MsgType><Content>&x;</Content><MsgId>45</MsgId></xml>"),
       400},
      {"truncated envelope", {good.target, good.body.substr(0, 40)}, 400},
      {"no query (unsigned)", {"/wecom/callback", good.body}, 401},
      {"oversized body", {good.target, good.body + std::string(4096, ' ')}, 413},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto res = HttpRequest(app.port(), "POST", c.cb.target, c.cb.body);
    REQUIRE(res);
    CHECK(res->status == c.status);
  }
  CHECK(InboxCount(config) == 0);
  std::string metrics = MetricsText(app.port());
  CHECK(metrics.find("scrm_callbacks_total{result=\"rejected\"} 8") != std::string::npos);
  CHECK(metrics.find("reason=\"too_large\"} 1") != std::string::npos);
  CHECK(metrics.find("reason=\"bad_signature\"} 2") != std::string::npos);

  // The server is still healthy and accepts the good one.
  auto res = HttpRequest(app.port(), "POST", good.target, good.body);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(InboxCount(config) == 1);
}

TEST_CASE("a callback whose write is held up past the handler deadline gets 503; its retry is 200",
          "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.server.handler_timeout_ms = 100;
  test::RunningApp app(config);
  test::CallbackBuilder builder;
  auto cb = builder.Post(test::TextMessageXml("zhangsan", "你好", "7296438123456789099"));
  // Another connection holds the write lock; the writer waits for it
  // (busy timeout 5 s) while the request's deadline runs out.
  auto other = storage::Db::Open({config.storage.sqlite_path});
  REQUIRE(other);
  SQLite::Database& held = (*other)->connection().db;
  held.exec("BEGIN IMMEDIATE");
  auto late = HttpRequest(app.port(), "POST", cb.target, cb.body);
  REQUIRE(late);
  CHECK(late->status == 503);
  CHECK(MetricsText(app.port()).find("reason=\"storage\"} 1") != std::string::npos);
  held.exec("COMMIT");
  // WeCom retries (until it gets a 200: on a slow machine the writer may
  // still be busy with the late write past the 100 ms deadline): the row
  // the writer committed once the lock was free, or a retry, is stored, and
  // only once.
  auto retry = HttpRequest(app.port(), "POST", cb.target, cb.body);
  for (int i = 0; i < 300 && retry && retry->status == 503; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    retry = HttpRequest(app.port(), "POST", cb.target, cb.body);
  }
  REQUIRE(retry);
  CHECK(retry->status == 200);
  CHECK(InboxCount(config) == 1);
  // The gauge counts the row the late write stored, once; the row counts
  // once, as stored late (the usual case) or as the retry's.
  std::string metrics = MetricsText(app.port());
  CHECK(metrics.find("scrm_inbox_rows 1\n") != std::string::npos);
  bool stored_late = metrics.find("scrm_callbacks_stored_late_total 1\n") != std::string::npos;
  bool retry_stored =
      metrics.find("scrm_callbacks_total{result=\"accepted\"} 1\n") != std::string::npos;
  CHECK(stored_late != retry_stored);
  // And that row is handled (the rep gets an answer) although no later
  // callback arrives.
  REQUIRE(app.wecom.WaitForCount("/cgi-bin/message/send", 1));
  CHECK(app.Stop() == 0);
  CHECK(app.wecom.count("/cgi-bin/message/send") == 1);
}

TEST_CASE("routes, methods and malformed HTTP", "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.server.max_header_bytes = 1024;
  test::RunningApp app(config);
  CHECK(HttpRequest(app.port(), "GET", "/healthz")->status == 200);
  CHECK(HttpRequest(app.port(), "GET", "/nope")->status == 404);
  auto not_allowed = HttpRequest(app.port(), "DELETE", "/wecom/callback");
  CHECK(not_allowed->status == 405);
  CHECK(not_allowed->headers["allow"] == "GET, POST");
  not_allowed = HttpRequest(app.port(), "POST", "/metrics", "x");
  CHECK(not_allowed->status == 405);
  CHECK(not_allowed->headers["allow"] == "GET, HEAD");
  {
    // HEAD answers carry the headers without the body, so the next answer on
    // the connection starts where it should.
    HttpConnection conn(app.port());
    REQUIRE(
        conn.SendRaw("HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                     "HEAD /wecom/callback HTTP/1.1\r\nHost: a\r\n\r\n"
                     "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"));
    auto head = conn.ReadResponse(true);
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->headers["content-length"] == "3");
    auto refused = conn.ReadResponse(true);
    REQUIRE(refused);
    CHECK(refused->status == 405);
    auto get = conn.ReadResponse();
    REQUIRE(get);
    CHECK(get->status == 200);
    CHECK(get->body == "ok\n");
  }
  CHECK(HttpRequest(app.port(), "GET", "/wecom/callback?echostr=%zz")->status == 400);

  // Request lines the parser refuses at their first bytes get a 400 too.
  for (const char* bad :
       {"THIS IS NOT HTTP\r\n\r\n", "GET /healthz HTTP/2.0\r\n\r\n", "GET /a b HTTP/1.1\r\n\r\n"}) {
    INFO(bad);
    HttpConnection conn(app.port());
    REQUIRE(conn.SendRaw(bad));
    auto res = conn.ReadResponse();
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(conn.PeerClosed());
  }
  {
    HttpConnection conn(app.port());
    REQUIRE(conn.SendRaw("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n"));
    auto res = conn.ReadResponse();
    REQUIRE(res);
    CHECK(res->status == 431);
  }
  {
    HttpConnection conn(app.port());
    REQUIRE(conn.SendRaw("POST /wecom/callback HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"));
    auto res = conn.ReadResponse();
    REQUIRE(res);
    CHECK(res->status == 413);
  }
  {
    // A client that goes on sending the body it announced reads the 413
    // and is not reset: the server reads and drops the rest until the
    // client stops.
    HttpConnection conn(app.port());
    REQUIRE(conn.SendRaw("POST /wecom/callback HTTP/1.1\r\nContent-Length: 400000\r\n\r\n" +
                         std::string(70000, 'x')));
    auto res = conn.ReadResponse();
    REQUIRE(res);
    CHECK(res->status == 413);
    bool sent = true;
    for (int i = 0; i < 20 && sent; ++i) sent = conn.SendRaw(std::string(16384, 'x'));
    CHECK(sent);
    conn.CloseWrite();
    CHECK(conn.PeerEnded());
  }
  {
    // Too large elsewhere: 413 as well, but not a rejected callback.
    HttpConnection conn(app.port());
    REQUIRE(conn.SendRaw("POST /healthz HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"));
    auto res = conn.ReadResponse();
    REQUIRE(res);
    CHECK(res->status == 413);
  }
  // A chunk-size line or a trailer without an end is as much as the
  // header and a little more: never buffered without bound.
  for (std::string endless :
       {"POST /wecom/callback HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
            std::string(200000, 'a'),
        "POST /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: " +
            std::string(200000, 'a')}) {
    HttpConnection conn(app.port());
    conn.SendRaw(endless);  // the server may answer before reading it all
    auto res = conn.ReadResponse();
    REQUIRE(res);
    CHECK(res->status == 413);
  }
  // A callback whose HTTP cannot be read is a rejected callback too.
  for (std::string bad :
       {"POST /wecom/callback HTTP/1.1\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n",
        std::string("POST /wecom/callback HTTP/1.1\r\nContent-Length: x\r\n\r\n")}) {
    HttpConnection conn(app.port());
    REQUIRE(conn.SendRaw(bad));
    auto res = conn.ReadResponse();
    REQUIRE(res);
    CHECK((res->status == 431 || res->status == 400));
  }
  std::string metrics = HttpRequest(app.port(), "GET", "/metrics")->body;
  CHECK(metrics.find("scrm_callback_rejections_total{reason=\"too_large\"} 3\n") !=
        std::string::npos);
  CHECK(metrics.find("scrm_callback_rejections_total{reason=\"bad_http\"} 2\n") !=
        std::string::npos);
  // Keep-alive: several requests on one connection.
  HttpConnection conn(app.port());
  for (int i = 0; i < 5; ++i) {
    auto res = conn.Request("GET", "/healthz");
    REQUIRE(res);
    CHECK(res->status == 200);
  }
  CHECK(HttpRequest(app.port(), "GET", "/healthz")->status == 200);
}

TEST_CASE("bodies larger than the connection's buffer are read whole, chunked or not", "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.server.max_header_bytes = 1024;
  config.server.max_body_bytes = 1 << 20;
  test::RunningApp app(config);
  std::string body(300000, 'x');
  std::string chunked;
  for (std::size_t at = 0; at < body.size(); at += 100000)
    chunked += "186a0\r\n" + body.substr(at, 100000) + "\r\n";
  chunked += "0\r\n\r\n";
  for (std::string request :
       {"POST /metrics HTTP/1.1\r\nContent-Length: 300000\r\n\r\n" + body,
        "POST /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked}) {
    HttpConnection conn(app.port());
    REQUIRE(conn.SendRaw(request + "GET /healthz HTTP/1.1\r\n\r\n"));
    auto res = conn.ReadResponse();
    REQUIRE(res);
    CHECK(res->status == 405);  // read to its end, then refused for its method
    auto next = conn.ReadResponse();
    REQUIRE(next);
    CHECK(next->status == 200);
  }
}

TEST_CASE("mutated requests get an error or a 200 and never bring the server down", "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.server.max_body_bytes = 4096;
  test::RunningApp app(config);
  test::CallbackBuilder builder;
  auto post = builder.Post(test::TextMessageXml("zhangsan", "跟进 王总 电话沟通", "1001"));
  auto raw = [](const std::string& method, const std::string& target, const std::string& body) {
    return method + " " + target +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  std::vector<std::string> samples = {
      raw("POST", post.target, post.body),
      raw("GET", builder.VerifyTarget("echo-1"), ""),
      raw("GET", "/healthz", "") + raw("POST", post.target, post.body),  // pipelined
      "POST " + post.target + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + "10\r\n" +
          post.body.substr(0, 16) + "\r\n0\r\n\r\n",
  };
  test::Mutator mutator(samples);
  int answered_200 = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string& sample = samples[static_cast<std::size_t>(i) % samples.size()];
    std::string request = mutator.Mutate(sample, 0);
    HttpConnection conn(app.port());
    REQUIRE(conn.connected());
    conn.SendRaw(request);  // the server may close before reading it all
    conn.CloseWrite();
    while (auto res = conn.ReadResponse()) {
      INFO(request);
      CHECK((res->status == 200 || res->status == 400 || res->status == 401 || res->status == 404 ||
             res->status == 405 || res->status == 413 || res->status == 431));
      answered_200 += res->status == 200;
    }
  }
  // Still serving, and only the one real message was stored however often
  // a mutant of it got through.
  CHECK(answered_200 > 0);
  auto res = HttpRequest(app.port(), "POST", post.target, post.body);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(InboxCount(config) == 1);
}

TEST_CASE("shutdown closes idle connections and returns 0", "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  HttpConnection idle(app.port());
  REQUIRE(idle.Request("GET", "/healthz"));
  CHECK(app.Stop() == 0);
  CHECK(idle.PeerClosed());
  HttpConnection after(app.port());
  CHECK_FALSE(after.connected());
}

TEST_CASE("a callback that has begun to arrive at shutdown is read, stored and answered",
          "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  test::RunningApp app(config);
  test::CallbackBuilder builder;
  auto post = builder.Post(test::TextMessageXml("zhangsan", "在路上", "7296438123456789013"));
  std::string request = "POST " + post.target + " HTTP/1.1\r\nHost: bot\r\nContent-Length: " +
                        std::to_string(post.body.size()) + "\r\n\r\n" + post.body;
  std::size_t half = request.size() - post.body.size() / 2;
  HttpConnection arriving(app.port());
  REQUIRE(arriving.SendRaw(request.substr(0, half)));
  HttpConnection idle(app.port());
  REQUIRE(idle.Request("GET", "/healthz"));  // also: the first half has been read by now
  app.BeginStop();
  // The listener closes in the same step that closes idle connections.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (HttpConnection(app.port()).connected()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
  CHECK(idle.PeerClosed());
  REQUIRE(arriving.SendRaw(request.substr(half)));
  auto res = arriving.ReadResponse();
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->headers["connection"] == "close");
  CHECK(app.Stop() == 0);
  CHECK(InboxCount(config) == 1);
}

TEST_CASE("past max_connections the connection idle the longest makes room", "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  config.server.max_connections = 2;
  config.server.read_timeout_ms = 3600000;  // no deadline closes them meanwhile
  test::RunningApp app(config);
  HttpConnection first(app.port());
  REQUIRE(first.Request("GET", "/healthz"));
  HttpConnection second(app.port());
  REQUIRE(second.Request("GET", "/healthz"));
  HttpConnection third(app.port());
  auto res = third.Request("GET", "/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(first.PeerClosed());  // idle since before the second's request
  res = second.Request("GET", "/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  std::string metrics = third.Request("GET", "/metrics")->body;
  CHECK(metrics.find("scrm_http_connection_limit_total{closed=\"idle\"} 1\n") != std::string::npos);
  CHECK(metrics.find("scrm_http_connection_limit_total{closed=\"new\"} 0\n") != std::string::npos);
  CHECK(metrics.find("scrm_http_connections 2\n") != std::string::npos);
}

TEST_CASE("connections that stall past the read deadline are closed; others are served",
          "[server]") {
  test::TempDir dir;
  bot::Config config = test::TestConfig(dir);
  // Short, but long enough that a loaded machine sends a request in time.
  config.server.read_timeout_ms = 1000;
  test::RunningApp app(config);
  HttpConnection partial(app.port());  // headers and part of the body, then nothing
  REQUIRE(
      partial.SendRaw("POST /wecom/callback?msg_signature=a HTTP/1.1\r\nHost: bot\r\n"
                      "Content-Length: 100\r\n\r\n<xml>"));
  HttpConnection idle(app.port());  // one request, then an idle keep-alive
  REQUIRE(idle.Request("GET", "/healthz"));
  HttpConnection silent(app.port());  // connects and sends nothing
  REQUIRE(silent.connected());
  // Each blocks until the server closes it (the client gives up after 30 s).
  CHECK(partial.PeerClosed());
  CHECK(idle.PeerClosed());
  CHECK(silent.PeerClosed());
  auto res = HttpRequest(app.port(), "GET", "/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(InboxCount(config) == 0);
  CHECK(app.Stop() == 0);
}

TEST_CASE("responses are written as HTTP/1.1 or 1.0 with the right connection header", "[server]") {
  bot::Reply ok{200, "", "text/plain; charset=utf-8"};
  CHECK(bot::ResponseBytes(ok, 11, true) ==
        "HTTP/1.1 200 OK\r\nServer: scrm-bot\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 0\r\n\r\n");
  bot::Reply bad{400, "bad base64\n", "text/plain; charset=utf-8"};
  CHECK(bot::ResponseBytes(bad, 11, false) ==
        "HTTP/1.1 400 Bad Request\r\nServer: scrm-bot\r\nContent-Type: text/plain; "
        "charset=utf-8\r\nContent-Length: 11\r\nConnection: close\r\n\r\nbad base64\n");
  CHECK(bot::ResponseBytes(ok, 10, true).find("HTTP/1.0 200 OK\r\n") == 0);
  CHECK(bot::ResponseBytes(ok, 10, true).find("Connection: keep-alive\r\n") != std::string::npos);
  CHECK(bot::ResponseBytes(ok, 10, false).find("Connection") == std::string::npos);

  test::TempDir dir;
  test::RunningApp app(test::TestConfig(dir));
  HttpConnection old(app.port());
  REQUIRE(old.SendRaw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto first = old.ReadResponse();
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->body == "ok\n");
  CHECK(first->headers["connection"] == "keep-alive");
  REQUIRE(old.SendRaw("GET /healthz HTTP/1.0\r\n\r\n"));  // no keep-alive: closed after
  auto second = old.ReadResponse();
  REQUIRE(second);
  CHECK(second->status == 200);
  CHECK(old.PeerClosed());
}
