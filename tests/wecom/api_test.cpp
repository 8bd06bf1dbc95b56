// The API client against the fake WeCom server.
#include "wecom/api.h"

#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "tests/fuzz/mutator.h"
#include "tests/support/catch_result.h"
#include "tests/support/fake_wecom.h"
#include "tests/support/tls_server.h"
#include "wecom/messages.h"

using namespace scrm;
namespace net = boost::asio;

namespace {

const std::string kSend = "/cgi-bin/message/send";
const std::string kToken = "/cgi-bin/gettoken";

class MemoryTokenStore : public wecom::TokenStore {
 public:
  std::optional<wecom::CachedToken> Load(const std::string& key) override {
    auto it = saved.find(key);
    if (it == saved.end()) return std::nullopt;
    return it->second;
  }
  void Save(const std::string& key, const wecom::CachedToken& token) override {
    saved[key] = token;
  }
  std::map<std::string, wecom::CachedToken> saved;
};

struct Fixture {
  explicit Fixture(std::string secret = "fake-secret", wecom::HttpClientOptions options = {},
                   wecom::TokenStore* store = nullptr)
      : client(ioc.get_executor(), options),
        tokens(
            client, fake.base_url(), "ww0123456789abcdef", std::move(secret),
            [this] { return now; }, store),
        api(client, tokens, fake.base_url()) {}

  // Runs `n` sends concurrently and returns their replies.
  std::vector<wecom::ApiReply> SendMany(int n) {
    std::vector<wecom::ApiReply> replies(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      net::co_spawn(
          ioc,
          [this, i, &replies]() -> net::awaitable<void> {
            replies[static_cast<size_t>(i)] =
                co_await api.Post(kSend, "{\"touser\":\"u" + std::to_string(i) + "\"}");
          },
          net::detached);
    }
    ioc.restart();
    ioc.run();
    return replies;
  }

  wecom::ApiReply SendOne() { return SendMany(1)[0]; }

  test::FakeWeCom fake;
  net::io_context ioc;
  std::int64_t now = 1700000000;
  wecom::HttpClient client;
  wecom::TokenCache tokens;
  wecom::Api api;
};

// A TCP server on 127.0.0.1 that answers every request with the bytes it
// was given, whatever they are, and closes the connection.
class RawServer {
 public:
  RawServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_fd_, 16) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes the accept
    thread_.join();
    ::close(listen_fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/cgi-bin/x"; }
  void Answer(std::string bytes) {
    std::lock_guard lock(mu_);
    answer_ = std::move(bytes);
  }

 private:
  void Serve() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::string request;
      char chunk[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        request.append(chunk, static_cast<std::size_t>(n));
      }
      std::string answer;
      {
        std::lock_guard lock(mu_);
        answer = answer_;
      }
      ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(fd);  // the request was read: a clean close, no reset
    }
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string answer_;
};

}  // namespace

TEST_CASE("URLs parse and secrets are redacted", "[api]") {
  auto u = wecom::ParseUrl("https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=1");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "qyapi.weixin.qq.com");
  CHECK(u->port == "443");
  CHECK(u->target == "/cgi-bin/gettoken?corpid=1");
  auto p = wecom::ParseUrl("http://127.0.0.1:8081");
  REQUIRE(p);
  CHECK_FALSE(p->tls);
  CHECK(p->port == "8081");
  CHECK(p->target == "/");
  CHECK(wecom::HostHeader(*p) == "127.0.0.1:8081");
  CHECK(wecom::HostHeader(*u) == "qyapi.weixin.qq.com");
  auto v6 = wecom::ParseUrl("http://[::1]:80/x");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(wecom::HostHeader(*v6) == "[::1]");
  for (const char* bad : {"ftp://x", "http://", "https://:80/", "http://h:99999/", "http://a b/",
                          "http://h:x/", "qyapi.weixin.qq.com"}) {
    INFO(bad);
    CHECK_FALSE(wecom::ParseUrl(bad));
  }
  CHECK(wecom::RedactUrl("https://h/cgi-bin/gettoken?corpid=ww1&corpsecret=S3CR3T") ==
        "https://h/cgi-bin/gettoken?corpid=ww1&corpsecret=***");
  CHECK(wecom::RedactUrl("https://h/x?access_token=T0K&debug=1") ==
        "https://h/x?access_token=***&debug=1");
  CHECK(wecom::RedactUrl("https://h/cgi-bin/webhook/send?key=abc") ==
        "https://h/cgi-bin/webhook/send?key=***");
  CHECK(wecom::RedactUrl("https://h/x?monkey=1") == "https://h/x?monkey=1");
}

TEST_CASE("errcodes are classified as WeCom documents them", "[api]") {
  using wecom::ErrorClass;
  CHECK(wecom::ClassifyErrcode(0) == ErrorClass::kOk);
  CHECK(wecom::ClassifyErrcode(-1) == ErrorClass::kRetry);
  CHECK(wecom::ClassifyErrcode(45009) == ErrorClass::kRetry);
  CHECK(wecom::ClassifyErrcode(45033) == ErrorClass::kRetry);
  CHECK(wecom::ClassifyErrcode(41096) == ErrorClass::kRetry);
  CHECK(wecom::ClassifyErrcode(41051) == ErrorClass::kPermanent);  // welcomed already
  CHECK(wecom::ClassifyErrcode(40014) == ErrorClass::kRefreshToken);
  CHECK(wecom::ClassifyErrcode(42001) == ErrorClass::kRefreshToken);
  CHECK(wecom::ClassifyErrcode(40001) == ErrorClass::kConfig);  // a secret error, not expiry
  CHECK(wecom::ClassifyErrcode(40013) == ErrorClass::kConfig);
  CHECK(wecom::ClassifyErrcode(40091) == ErrorClass::kConfig);
  CHECK(wecom::ClassifyErrcode(81013) == ErrorClass::kPermanent);
}

TEST_CASE("100 concurrent sends without a token cause exactly one gettoken", "[api]") {
  Fixture f;
  auto replies = f.SendMany(100);
  for (const auto& r : replies) {
    CHECK(r.ok());
    CHECK(r.body.find("\"msgid\"") != std::string::npos);
  }
  CHECK(f.fake.count(kToken) == 1);
  CHECK(f.fake.count(kSend) == 100);
  CHECK(f.tokens.fetches() == 1);
}

TEST_CASE("100 concurrent sends with an expired token cause exactly one gettoken", "[api]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) CHECK(f.SendOne().ok());
  CHECK(f.fake.count(kToken) == 1);
  f.fake.ExpireTokens();  // WeCom now answers 42001 to the cached token
  auto replies = f.SendMany(100);
  for (const auto& r : replies) CHECK(r.ok());
  CHECK(f.fake.count(kToken) == 2);  // one refresh for all 100
  // Every message reached WeCom once with the new token.
  int accepted = 0;
  for (const auto& c : f.fake.calls(kSend)) accepted += c.query.find("TOKEN2") != std::string::npos;
  CHECK(accepted == 100);
}

TEST_CASE("tokens are refreshed ahead of expiry and survive a restart", "[api]") {
  MemoryTokenStore store;
  {
    Fixture f("fake-secret", {}, &store);
    CHECK(f.SendOne().ok());
    CHECK(f.fake.count(kToken) == 1);
    f.now += 7200 * 9 / 10 - 1;
    CHECK(f.SendOne().ok());
    CHECK(f.fake.count(kToken) == 1);
    f.now += 2;  // past 90% of expires_in
    CHECK(f.SendOne().ok());
    CHECK(f.fake.count(kToken) == 2);
    REQUIRE(store.saved.size() == 1);
    CHECK(store.saved.begin()->first.find("fake-secret") == std::string::npos);
  }
  // A new process with the same store: the saved token, still valid, is used
  // without a gettoken first. This fake never issued it (a different
  // server): 40014, then one refresh, and the call goes through.
  Fixture g("fake-secret", {}, &store);
  g.now = 1700000000 + 6500;
  auto r = g.SendOne();
  CHECK(r.ok());
  auto sends = g.fake.calls(kSend);
  REQUIRE(sends.size() == 2);
  CHECK(sends[0].query.find("access_token=TOKEN2") != std::string::npos);  // from the store
  CHECK(sends[0].errcode == 40014);
  CHECK(sends[1].query.find("access_token=TOKEN1") != std::string::npos);
  CHECK(g.fake.count(kToken) == 1);  // one refresh after the 40014, not two
}

TEST_CASE("a wrong secret is a configuration error, fetched once for all waiters", "[api]") {
  Fixture f("wrong-secret");
  auto replies = f.SendMany(30);
  for (const auto& r : replies) {
    CHECK(r.error == wecom::Errc::kApiError);
    CHECK(r.errcode == 40001);
    CHECK_FALSE(r.retryable());
  }
  CHECK(f.fake.count(kToken) == 1);
  CHECK(f.fake.count(kSend) == 0);
}

TEST_CASE("after a wrong secret, gettoken waits a growing pause before asking again", "[api]") {
  Fixture f("wrong-secret");
  auto first = f.SendOne();
  CHECK(first.errcode == 40001);
  CHECK(first.from_token);  // the call itself was never made
  CHECK(f.fake.count(kToken) == 1);
  f.now += wecom::kConfigPauseSeconds - 1;
  auto paused = f.SendOne();
  CHECK(paused.errcode == 40001);
  CHECK(paused.from_token);
  CHECK(f.fake.count(kToken) == 1);  // not asked again within the pause
  f.now += 1;
  CHECK(f.SendOne().errcode == 40001);
  CHECK(f.fake.count(kToken) == 2);
  f.now += wecom::kConfigPauseSeconds;  // the pause doubled
  f.SendOne();
  CHECK(f.fake.count(kToken) == 2);
  f.now += wecom::kConfigPauseSeconds;
  f.SendOne();
  CHECK(f.fake.count(kToken) == 3);
  f.now += 10 * wecom::kMaxConfigPauseSeconds;
  f.SendOne();
  CHECK(f.fake.count(kToken) == 4);
  CHECK(f.fake.count(kSend) == 0);
}

TEST_CASE("a refreshed token refused again pauses calls rather than fetching at each", "[api]") {
  Fixture f;
  CHECK(f.SendOne().ok());
  f.fake.FailNext(kSend, 4, 40014);  // WeCom refuses the next four calls' tokens
  auto refused = f.SendOne();
  CHECK(refused.errcode == 40014);
  CHECK(refused.from_token);  // the token, not the call
  CHECK_FALSE(refused.retryable());
  CHECK(f.fake.count(kToken) == 2);  // the old token refused: one refresh
  CHECK(f.fake.count(kSend) == 3);
  CHECK(f.tokens.paused_until() == f.now + wecom::kConfigPauseSeconds);
  // Within the pause every call gets the refusal without asking WeCom.
  auto replies = f.SendMany(20);
  for (const auto& r : replies) CHECK(r.errcode == 40014);
  CHECK(f.fake.count(kToken) == 2);
  CHECK(f.fake.count(kSend) == 3);
  // After it, the same again: a token, refused, another, refused, a pause.
  f.now += wecom::kConfigPauseSeconds;
  CHECK(f.SendOne().errcode == 40014);
  CHECK(f.fake.count(kToken) == 4);
  CHECK(f.fake.count(kSend) == 5);
  CHECK(f.tokens.paused_until() == f.now + wecom::kConfigPauseSeconds);
  // Once WeCom takes tokens again, calls go through.
  f.now += wecom::kConfigPauseSeconds;
  CHECK(f.SendOne().ok());
}

TEST_CASE("concurrent calls refused with the refreshed token all pause, with one gettoken",
          "[api]") {
  Fixture f;
  CHECK(f.SendOne().ok());
  f.fake.FailNext(kSend, 32, 40014);
  auto replies = f.SendMany(16);
  for (const auto& r : replies) {
    CHECK(r.errcode == 40014);
    CHECK(r.from_token);
  }
  CHECK(f.fake.count(kToken) == 2);  // the first token, and one refresh for all 16
  CHECK(f.tokens.paused_until() == f.now + wecom::kConfigPauseSeconds);
  int sends = f.fake.count(kSend);
  f.SendMany(16);
  CHECK(f.fake.count(kToken) == 2);
  CHECK(f.fake.count(kSend) == sends);
}

TEST_CASE("gettoken past its rate limit is not asked again for a minute", "[api]") {
  Fixture f;
  f.fake.FailNext(kToken, 1, 45009);
  auto blocked = f.SendOne();
  CHECK(blocked.errcode == 45009);
  CHECK(blocked.from_token);
  CHECK(blocked.retryable());
  CHECK(f.tokens.paused_until() == f.now + wecom::kBlockedSeconds);
  f.now += wecom::kBlockedSeconds - 1;
  CHECK(f.SendOne().errcode == 45009);  // every API waits, not only the one that met it
  CHECK(f.fake.count(kToken) == 1);
  f.now += 1;
  CHECK(f.SendOne().ok());
  CHECK(f.fake.count(kToken) == 2);
}

TEST_CASE("gettoken failing for other reasons is asked again after a short pause", "[api]") {
  Fixture f;
  f.fake.FailNext(kToken, 1, -1);
  auto busy = f.SendOne();
  CHECK(busy.errcode == -1);
  CHECK(busy.from_token);
  CHECK(busy.retryable());
  CHECK(f.tokens.paused_until() == f.now + 1);
  // Within the pause calls get the failure without a gettoken each.
  auto held = f.SendOne();
  CHECK(held.errcode == -1);
  CHECK(held.from_token);
  CHECK(f.fake.count(kToken) == 1);
  f.now += 1;
  CHECK(f.SendOne().ok());
  CHECK(f.fake.count(kToken) == 2);
}

TEST_CASE("a gettoken that keeps failing is asked less and less often", "[api]") {
  Fixture f;
  f.fake.FailNext(kToken, 8, -1);
  std::vector<std::int64_t> pauses;
  for (int i = 0; i < 8; ++i) {
    CHECK(f.SendOne().errcode == -1);
    pauses.push_back(f.tokens.paused_until() - f.now);
    f.now = f.tokens.paused_until();
  }
  CHECK(pauses == std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 60, 60});
  CHECK(f.fake.count(kToken) == 8);
  CHECK(f.SendOne().ok());
  // A success starts again at the shortest pause.
  f.fake.FailNext(kToken, 1, -1);
  f.now += 7200;
  CHECK(f.SendOne().errcode == -1);
  CHECK(f.tokens.paused_until() == f.now + 1);
}

TEST_CASE("past the refresh point a failing gettoken leaves calls on the valid token", "[api]") {
  Fixture f;
  CHECK(f.SendOne().ok());
  f.now += 7200 * 9 / 10 + 1;  // refreshed ahead from here on, valid for 12 more minutes
  f.fake.FailNext(kToken, 1, -1);
  CHECK(f.SendOne().ok());
  CHECK(f.fake.count(kToken) == 2);
  f.now += wecom::kRefreshRetrySeconds - 1;
  CHECK(f.SendOne().ok());
  CHECK(f.fake.count(kToken) == 2);  // not asked again at once
  f.now += 1;
  f.fake.FailNext(kToken, 1, 40001);  // even a secret reset: the token works till it expires
  CHECK(f.SendOne().ok());
  CHECK(f.fake.count(kToken) == 3);
  CHECK(f.tokens.paused_until() == 0);  // the sender is not held back meanwhile
  f.now += 7200;                        // expired: now gettoken's answer is the call's
  f.fake.FailNext(kToken, 1, 40001);
  auto expired = f.SendOne();
  CHECK(expired.errcode == 40001);
  CHECK(expired.from_token);
  CHECK(f.tokens.paused_until() > f.now);
  f.now += 2 * wecom::kConfigPauseSeconds;  // the second secret error in a row: twice the pause
  CHECK(f.SendOne().ok());
  CHECK(f.fake.count(kToken) == 5);
  CHECK(f.fake.count(kSend) == 5);
}

TEST_CASE("a token that has already expired is not a token", "[api]") {
  Fixture f;
  f.fake.SetTokenTtl(0);
  auto none = f.SendOne();
  CHECK(none.error == wecom::Errc::kBadJson);
  CHECK(none.retryable());
  f.fake.SetTokenTtl(7200);
  f.now += 1;  // the pause after a failed gettoken
  CHECK(f.SendOne().ok());
  CHECK(f.SendOne().ok());
  CHECK(f.fake.count(kToken) == 2);  // the good one is kept
}

TEST_CASE("busy, rate-limited and failing servers are retryable; others are not", "[api]") {
  Fixture f;
  f.fake.FailNext(kSend, 1, 45009);
  auto limited = f.SendOne();
  CHECK(limited.error == wecom::Errc::kApiError);
  CHECK(limited.errcode == 45009);
  CHECK(limited.retryable());
  f.fake.FailNext(kSend, 1, -1);
  CHECK(f.SendOne().retryable());
  f.fake.HttpErrorNext(kSend, 1, 502);
  auto bad_gateway = f.SendOne();
  CHECK(bad_gateway.error == wecom::Errc::kHttpStatus);
  CHECK(bad_gateway.http_status == 502);
  CHECK(bad_gateway.retryable());
  // A proxy's timeout or throttling is retried; its refusal is not.
  for (int status : {408, 429}) {
    f.fake.HttpErrorNext(kSend, 1, status);
    CHECK(f.SendOne().retryable());
  }
  f.fake.HttpErrorNext(kSend, 1, 403);
  CHECK_FALSE(f.SendOne().retryable());
  f.fake.FailNext(kSend, 1, 81013);
  auto permanent = f.SendOne();
  CHECK(permanent.errcode == 81013);
  CHECK_FALSE(permanent.retryable());
  CHECK(f.SendOne().ok());
}

TEST_CASE("mutated answers are an error or a response, never a crash", "[http]") {
  RawServer server;
  net::io_context ioc;
  wecom::HttpClientOptions options;
  options.max_response_bytes = 2048;
  wecom::HttpClient client(ioc.get_executor(), options);
  auto fetch = [&]() {
    std::optional<wecom::Result<wecom::HttpResponse>> result;
    net::co_spawn(
        ioc, [&]() -> net::awaitable<void> { result = co_await client.Request(server.url()); },
        net::detached);
    ioc.restart();
    ioc.run();
    REQUIRE(result);
    return *result;
  };
  std::string json = "{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"t\",\"expires_in\":7200}";
  std::vector<std::string> samples = {
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(json.size()) + "\r\n\r\n" + json,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n" + json.substr(0, 16) +
          "\r\n0\r\n\r\n",
      "HTTP/1.0 503 Service Unavailable\r\nConnection: close\r\n\r\nbusy",
  };
  test::Mutator mutator(samples);
  int responses = 0;
  for (int i = 0; i < 300; ++i) {
    std::string answer = mutator.Mutate(samples[static_cast<std::size_t>(i) % samples.size()], 0);
    server.Answer(answer);
    auto result = fetch();
    INFO(answer);
    if (result) {
      ++responses;
      CHECK(result->body.size() <= options.max_response_bytes);
    } else {
      auto e = result.error();
      CHECK((e == wecom::Errc::kNetwork || e == wecom::Errc::kTimeout ||
             e == wecom::Errc::kResponseTooLarge));
    }
  }
  CHECK(responses > 0);
  // A well-formed answer still reads back afterwards.
  server.Answer(samples[0]);
  auto last = fetch();
  REQUIRE(last);
  CHECK(last->body == json);
}

TEST_CASE("keep-alive connections are reused", "[http]") {
  Fixture f;
  for (int i = 0; i < 20; ++i) CHECK(f.SendOne().ok());
  CHECK(f.client.connections_opened() == 1);
}

TEST_CASE("a POST a pooled connection dropped after it was written is not sent again", "[http]") {
  Fixture f;
  f.SendMany(4);  // several connections in the pool
  auto opened = f.client.connections_opened();
  REQUIRE(opened >= 2);
  int sends = f.fake.count(kSend);
  // WeCom may have acted on it: the caller decides (the outbox tries again
  // later, counted against the limits).
  f.fake.DropNext(kSend, 1);
  auto dropped = f.SendOne();
  CHECK(dropped.error == wecom::Errc::kNetwork);
  CHECK(dropped.retryable());
  CHECK(f.fake.count(kSend) == sends + 1);
  CHECK(f.client.connections_opened() == opened);
  CHECK(f.SendOne().ok());
}

TEST_CASE("a GET a pooled connection dropped is tried again once, on a new connection", "[http]") {
  Fixture f;
  REQUIRE(f.SendOne().ok());  // gettoken, then a send: the pool has a connection
  auto opened = f.client.connections_opened();
  const std::string path = "/cgi-bin/user/get";
  f.fake.DropNext(path, 2);  // the first try, and the retry
  std::optional<wecom::Result<wecom::HttpResponse>> twice;
  net::co_spawn(
      f.ioc,
      [&]() -> net::awaitable<void> {
        twice = co_await f.client.Request(f.fake.base_url() + path + "?userid=zhangsan");
      },
      net::detached);
  f.ioc.restart();
  f.ioc.run();
  REQUIRE(twice);
  CHECK_FALSE(*twice);
  CHECK(f.client.connections_opened() == opened + 1);  // not a second pooled one
  CHECK(f.fake.count(path) == 2);
}

TEST_CASE("an idle connection the server closed is not used", "[http]") {
  Fixture f;
  REQUIRE(f.SendOne().ok());
  auto opened = f.client.connections_opened();
  f.fake.CloseIdleConnections();
  int sends = f.fake.count(kSend);
  CHECK(f.SendOne().ok());  // on a new connection, sent once
  CHECK(f.fake.count(kSend) == sends + 1);
  CHECK(f.client.connections_opened() == opened + 1);
}

TEST_CASE("a connection idle past max_idle is closed, not reused", "[http]") {
  wecom::HttpClientOptions options;
  options.max_idle = std::chrono::milliseconds(0);  // every idle connection is too old
  Fixture f("fake-secret", options);
  for (int i = 0; i < 3; ++i) CHECK(f.SendOne().ok());
  CHECK(f.client.connections_opened() == 4);  // gettoken's and one per send
}

TEST_CASE("dropped connections, timeouts and oversized answers are errors", "[http]") {
  wecom::HttpClientOptions options;
  // Long enough that a loaded machine's ordinary answers come in time.
  options.read_timeout = std::chrono::milliseconds(2000);
  options.max_response_bytes = 4096;
  Fixture f("fake-secret", options);
  CHECK(f.SendOne().ok());

  f.fake.DropNext(kSend, 1);
  auto dropped = f.SendOne();
  // A connection closed without an answer is a network error, tried again
  // by the outbox.
  CHECK(dropped.error == wecom::Errc::kNetwork);
  CHECK(dropped.retryable());

  f.fake.PadNext(kSend, 10000);
  auto big = f.SendOne();
  CHECK(big.error == wecom::Errc::kResponseTooLarge);

  f.fake.SetDelay(std::chrono::milliseconds(6000));
  auto slow = f.SendOne();
  CHECK(slow.error == wecom::Errc::kTimeout);
  CHECK(slow.retryable());
  f.fake.SetDelay(std::chrono::milliseconds(0));
  CHECK(f.SendOne().ok());
}

TEST_CASE("a server that is down answers nothing", "[http]") {
  Fixture f;
  f.fake.SetDown(true);
  auto r = f.SendOne();
  CHECK(r.error == wecom::Errc::kNetwork);
  f.fake.SetDown(false);
  f.now += 1;  // the pause after a failed gettoken
  CHECK(f.SendOne().ok());
}

TEST_CASE("malformed JSON answers are refused", "[api]") {
  wecom::ApiReply r;
  // Not JSON, or JSON without WeCom's integer errcode (a proxy's answer):
  // never success, and worth another try.
  for (const char* bad : {"", "not json", "[1,2]", "{\"errcode\":", "\xff\xfe", "{}",
                          "{\"errmsg\":\"ok\"}", "{\"errcode\":\"0\"}", "{\"errcode\":0.5}"}) {
    INFO(bad);
    r = {};
    r.body = bad;
    wecom::ReadErrcode(r);
    CHECK(r.error == wecom::Errc::kBadJson);
    CHECK_FALSE(r.ok());
    CHECK(r.retryable());
  }
  r = {};
  r.body = "{\"errcode\":0,\"errmsg\":\"ok\"}";
  wecom::ReadErrcode(r);
  CHECK(r.ok());
  r = {};
  r.body = "{\"errcode\":60011,\"errmsg\":\"no privilege\"}";
  wecom::ReadErrcode(r);
  CHECK(r.error == wecom::Errc::kApiError);
  CHECK(r.errmsg == "no privilege");
}

TEST_CASE("group robot webhook: markdown is split at 4096 bytes, a bad key is a config error",
          "[api]") {
  Fixture f;
  std::string report;
  for (int i = 0; i < 300; ++i) report += "**第" + std::to_string(i) + "名** 张三 回款 12,000 元\n";
  auto bodies = wecom::WebhookMarkdownBodies(report);
  REQUIRE(bodies.size() > 1);
  std::vector<wecom::ApiReply> replies(bodies.size());
  wecom::ApiReply refused;
  net::co_spawn(
      f.ioc,
      [&]() -> net::awaitable<void> {
        for (size_t i = 0; i < bodies.size(); ++i) {
          replies[i] = co_await wecom::SendWebhook(f.client, f.fake.base_url(), test::kWebhookKey,
                                                   bodies[i]);
        }
        refused = co_await wecom::SendWebhook(f.client, f.fake.base_url(), "wrong", bodies[0]);
      },
      net::detached);
  f.ioc.run();
  for (const auto& r : replies) CHECK(r.ok());
  for (const auto& c : f.fake.calls("/cgi-bin/webhook/send")) {
    rapidjson::Document doc;
    doc.Parse(c.body.c_str());
    REQUIRE(doc.IsObject());
    CHECK(std::string(doc["msgtype"].GetString()) == "markdown");
    CHECK(doc["markdown"]["content"].GetStringLength() <= 4096);  // bytes, as WeCom counts
    CHECK(c.query.find("access_token") == std::string::npos);
  }
  CHECK(refused.errcode == 93000);
  CHECK(wecom::ClassifyErrcode(refused.errcode) == wecom::ErrorClass::kConfig);
  CHECK(f.fake.count("/cgi-bin/gettoken") == 0);  // the key is the credential
}

namespace {

// One GET through a fresh client with `options`.
wecom::Result<wecom::HttpResponse> FetchOnce(const std::string& url,
                                             wecom::HttpClientOptions options) {
  net::io_context ioc;
  wecom::HttpClient client(ioc.get_executor(), options);
  wecom::Result<wecom::HttpResponse> result = wecom::Errc::kNetwork;
  net::co_spawn(
      ioc, [&]() -> net::awaitable<void> { result = co_await client.Request(url); }, net::detached);
  ioc.run();
  return result;
}

}  // namespace

TEST_CASE("HTTPS: the certificate chain and the host name are verified", "[http][tls]") {
  test::TlsServer server;
  std::string port = std::to_string(server.port());
  wecom::HttpClientOptions trusting;
  trusting.ca_file = test::kTestCaFile;

  auto ok = FetchOnce("https://localhost:" + port + "/cgi-bin/x", trusting);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "{\"errcode\":0,\"errmsg\":\"ok\"}");
  // The server counts its answer once its write completes, which may be
  // after the client has read it.
  for (int i = 0; i < 2000 && server.answered() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(server.answered() == 1);

  // The system store alone does not know the test CA.
  auto untrusted = FetchOnce("https://localhost:" + port + "/cgi-bin/x", {});
  CHECK(untrusted.error() == wecom::Errc::kNetwork);
  // Trusted chain, but the certificate names "localhost", not this address.
  auto wrong_name = FetchOnce("https://127.0.0.1:" + port + "/cgi-bin/x", trusting);
  CHECK(wrong_name.error() == wecom::Errc::kNetwork);
  // Plain HTTP to a TLS port is not an answer either.
  CHECK_FALSE(FetchOnce("http://127.0.0.1:" + port + "/", {}));
  CHECK(server.answered() == 1);
}
