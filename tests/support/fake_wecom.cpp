#include "tests/support/fake_wecom.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/support/fake_state.h"

namespace scrm::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

struct Fault {
  int errcode = 0;
  int status = 0;
  bool drop = false;
  bool lose_answer = false;  // carried out, then the answer is lost
};

// What the server does with one request.
struct Answer {
  bool drop = false;
  int status = 200;
  std::string body;
};

}  // namespace

struct FakeWeCom::Impl {
  Impl(std::string corp, std::string sec) : corp_id(std::move(corp)), secret(std::move(sec)) {}

  Answer Handle(const std::string& path, const std::string& query, const std::string& body);
  // REQUIRES: mu held
  Answer Decide(const std::string& path, const std::string& query, const std::string& body);
  // What WeCom answers when no fault is queued.
  Answer Normal(const std::string& path, const std::string& query, const std::string& body);
  Answer Success(const std::string& path, const std::string& query, const std::string& body);
  net::awaitable<void> Accept();
  net::awaitable<void> Session(beast::tcp_stream stream);

  std::string corp_id;
  std::string secret;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;

  mutable std::mutex mu;
  mutable std::condition_variable called;
  std::vector<Call> calls;                           // guarded by mu
  std::map<std::string, std::vector<Fault>> faults;  // guarded by mu
  std::map<std::string, std::size_t> padding;        // guarded by mu
  std::string current_token;                         // guarded by mu
  std::set<std::string> expired;                     // guarded by mu
  int issued = 0;                                    // guarded by mu
  int token_ttl = 7200;                              // guarded by mu
  std::chrono::milliseconds delay{0};                // guarded by mu
  bool down = false;                                 // guarded by mu
  FakeState state;                                   // guarded by mu
  std::set<beast::tcp_stream*> waiting;              // sessions between requests (io thread only)
};

Answer FakeWeCom::Impl::Success(const std::string& path, const std::string& query,
                                const std::string& body) {
  FakeAnswer a = state.Answer(path, query, body);
  std::string json =
      "{\"errcode\":" + std::to_string(a.errcode) + ",\"errmsg\":\"" + a.errmsg + "\"" + a.fields;
  if (auto it = padding.find(path); it != padding.end()) {
    json += ",\"padding\":\"" + std::string(it->second, 'x') + "\"";
    padding.erase(it);
  }
  return {false, 200, json + "}"};
}

Answer FakeWeCom::Impl::Handle(const std::string& path, const std::string& query,
                               const std::string& body) {
  std::lock_guard lock(mu);
  calls.push_back({path, query, body, 0});
  called.notify_all();
  Answer answer = Decide(path, query, body);
  size_t at = answer.body.find("\"errcode\":");
  calls.back().errcode = at == std::string::npos ? -2 : std::atoi(answer.body.c_str() + at + 10);
  return answer;
}

Answer FakeWeCom::Impl::Decide(const std::string& path, const std::string& query,
                               const std::string& body) {
  auto& pending = faults[path];
  if (!pending.empty()) {
    Fault f = pending.front();
    pending.erase(pending.begin());
    if (f.drop) return {true, 0, ""};
    if (f.lose_answer) {  // done, the answer lost: the next fault is for the next call
      Answer done = Normal(path, query, body);
      done.drop = true;
      return done;
    }
    if (f.status) return {false, f.status, "<html>error</html>"};
    return {false, 200,
            "{\"errcode\":" + std::to_string(f.errcode) + ",\"errmsg\":\"injected fault\"}"};
  }
  return Normal(path, query, body);
}

Answer FakeWeCom::Impl::Normal(const std::string& path, const std::string& query,
                               const std::string& body) {
  if (path == "/cgi-bin/gettoken") {
    if (QueryValue(query, "corpid") != corp_id || QueryValue(query, "corpsecret") != secret) {
      return {false, 200, "{\"errcode\":40001,\"errmsg\":\"invalid credential\"}"};
    }
    current_token = "TOKEN" + std::to_string(++issued);
    return {false, 200,
            "{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"" + current_token +
                "\",\"expires_in\":" + std::to_string(token_ttl) + "}"};
  }
  if (path == "/cgi-bin/webhook/send") {
    if (QueryValue(query, "key") != kWebhookKey) {
      return {false, 200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}"};
    }
    return Success(path, query, body);
  }
  std::string token = QueryValue(query, "access_token");
  if (token.empty()) return {false, 200, "{\"errcode\":41001,\"errmsg\":\"access_token missing\"}"};
  if (expired.count(token)) {
    return {false, 200, "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}"};
  }
  if (token != current_token) {
    return {false, 200, "{\"errcode\":40014,\"errmsg\":\"invalid access_token\"}"};
  }
  return Success(path, query, body);
}

net::awaitable<void> FakeWeCom::Impl::Session(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  // Idle, for CloseIdleConnections: from the moment an answer is being sent
  // (once its bytes are out, the client may send its next request or
  // reuse the connection later) until the next request has been read.
  waiting.insert(&stream);
  for (;;) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(stream, buffer, req, kNoThrow);
    waiting.erase(&stream);
    if (ec) break;
    std::chrono::milliseconds wait;
    bool is_down;
    {
      std::lock_guard lock(mu);
      wait = delay;
      is_down = down;
    }
    if (is_down) break;
    std::string target(req.target());
    size_t q = target.find('?');
    std::string path = target.substr(0, q);
    std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    Answer answer = Handle(path, query, req.body());
    if (wait.count() > 0) {
      net::steady_timer timer(stream.get_executor(), wait);
      co_await timer.async_wait(kNoThrow);
    }
    if (answer.drop) break;
    http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
    res.set(http::field::content_type, "application/json; charset=UTF-8");
    res.body() = answer.body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    waiting.insert(&stream);
    auto [wec, w] = co_await http::async_write(stream, res, kNoThrow);
    if (wec || !req.keep_alive()) break;
  }
  waiting.erase(&stream);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

net::awaitable<void> FakeWeCom::Impl::Accept() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) break;
    net::co_spawn(ioc, Session(beast::tcp_stream(std::move(socket))), net::detached);
  }
}

FakeWeCom::FakeWeCom(std::string corp_id, std::string secret)
    : impl_(std::make_shared<Impl>(std::move(corp_id), std::move(secret))) {
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  net::co_spawn(impl_->ioc, impl_->Accept(), net::detached);
  impl_->thread = std::thread([impl = impl_] { impl->ioc.run(); });
}

FakeWeCom::~FakeWeCom() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string FakeWeCom::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

std::vector<FakeWeCom::Call> FakeWeCom::calls(const std::string& path) const {
  std::lock_guard lock(impl_->mu);
  std::vector<Call> out;
  for (const auto& c : impl_->calls) {
    if (path.empty() || c.path == path) out.push_back(c);
  }
  return out;
}

bool FakeWeCom::WaitForCount(const std::string& path, int n, std::chrono::milliseconds cap) const {
  std::unique_lock lock(impl_->mu);
  return impl_->called.wait_for(lock, cap, [&] {
    int seen = 0;
    for (const auto& c : impl_->calls) seen += c.path == path;
    return seen >= n;
  });
}

int FakeWeCom::succeeded(const std::string& path) const {
  int n = 0;
  for (const auto& c : calls(path)) n += c.errcode == 0;
  return n;
}

int FakeWeCom::count(const std::string& path) const { return static_cast<int>(calls(path).size()); }

void FakeWeCom::ExpireTokens() {
  std::lock_guard lock(impl_->mu);
  for (int i = 1; i <= impl_->issued; ++i) impl_->expired.insert("TOKEN" + std::to_string(i));
}

void FakeWeCom::FailNext(const std::string& path, int n, int errcode) {
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < n; ++i) impl_->faults[path].push_back({errcode, 0, false});
}

void FakeWeCom::HttpErrorNext(const std::string& path, int n, int status) {
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < n; ++i) impl_->faults[path].push_back({0, status, false});
}

void FakeWeCom::DropNext(const std::string& path, int n) {
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < n; ++i) impl_->faults[path].push_back({0, 0, true});
}

void FakeWeCom::LoseAnswerNext(const std::string& path, int n) {
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < n; ++i) impl_->faults[path].push_back({0, 0, false, true});
}

void FakeWeCom::CloseIdleConnections() {
  std::promise<void> closed;
  net::post(impl_->ioc, [impl = impl_, &closed] {
    for (beast::tcp_stream* stream : impl->waiting) {
      boost::system::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    }
    closed.set_value();
  });
  closed.get_future().wait();
}

void FakeWeCom::SetDelay(std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mu);
  impl_->delay = delay;
}

void FakeWeCom::SetDown(bool down) {
  std::lock_guard lock(impl_->mu);
  impl_->down = down;
}

void FakeWeCom::PadNext(const std::string& path, std::size_t bytes) {
  std::lock_guard lock(impl_->mu);
  impl_->padding[path] = bytes;
}

void FakeWeCom::AddCustomer(FakeCustomer customer) {
  std::lock_guard lock(impl_->mu);
  impl_->state.customers[customer.external_userid] = std::move(customer);
}

std::optional<FakeCustomer> FakeWeCom::customer(const std::string& external_userid) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->state.customers.find(external_userid);
  if (it == impl_->state.customers.end()) return std::nullopt;
  return it->second;
}

void FakeWeCom::AddMember(FakeMember member) {
  std::lock_guard lock(impl_->mu);
  impl_->state.members[member.userid] = std::move(member);
}

void FakeWeCom::AddUnlicensed(const std::string& userid) {
  std::lock_guard lock(impl_->mu);
  impl_->state.unlicensed.insert(userid);
}

void FakeWeCom::AddDepartment(FakeDepartment department) {
  std::lock_guard lock(impl_->mu);
  impl_->state.departments[department.id] = std::move(department);
}

std::vector<FakeApproval> FakeWeCom::approvals() const {
  std::lock_guard lock(impl_->mu);
  std::vector<FakeApproval> out;
  for (const auto& [sp_no, a] : impl_->state.approvals) out.push_back(a);
  return out;
}

bool FakeWeCom::Decide(const std::string& sp_no, int status, const std::string& speech) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->state.approvals.find(sp_no);
  if (it == impl_->state.approvals.end()) return false;
  it->second.status = status;
  it->second.speech = speech;
  return true;
}

void FakeWeCom::IssueResponseCode(const std::string& code) {
  std::lock_guard lock(impl_->mu);
  impl_->state.IssueResponseCode(code);
}

void FakeWeCom::SetTokenTtl(int seconds) {
  std::lock_guard lock(impl_->mu);
  impl_->token_ttl = seconds;
}

}  // namespace scrm::test
