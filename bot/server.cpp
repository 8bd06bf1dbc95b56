#include "bot/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <unordered_set>

#include "bot/callback_service.h"
#include "bot/metrics.h"
#include "storage/writer.h"

namespace scrm::bot {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

namespace {

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

// A session's registration, so Shutdown() can close idle connections.
struct SessionState {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;  // a request was read and is being answered
};

Response MakeResponse(const Reply& reply, unsigned version) {
  Response res{static_cast<http::status>(reply.status), version};
  res.set(http::field::server, "scrm-bot");
  res.set(http::field::content_type, reply.content_type);
  res.body() = reply.body;
  res.prepare_payload();
  return res;
}

std::string_view Path(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view QueryOf(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(net::io_context& io, const ServerConfig& cfg, const CallbackService& svc, Metrics& m,
       storage::Writer& w)
      : ioc(io), config(cfg), service(svc), metrics(m), writer(w), acceptor(io) {}

  net::awaitable<void> AcceptLoop();
  net::awaitable<void> RunSession(beast::tcp_stream stream);
  net::awaitable<Reply> Handle(const Request& req);
  net::awaitable<Reply> HandleCallbackPost(const Request& req);
  net::awaitable<storage::Result<int>> StoreInbox(storage::InboxRecord record);
  void CloseIdle();

  net::io_context& ioc;
  const ServerConfig& config;
  const CallbackService& service;
  Metrics& metrics;
  storage::Writer& writer;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;                      // bound port, set by Listen()
  std::unordered_set<SessionState*> sessions;  // io thread only
  bool stopping = false;                       // io thread only
};

Server::Server(net::io_context& ioc, const ServerConfig& config, const CallbackService& service,
               Metrics& metrics, storage::Writer& writer)
    : impl_(std::make_shared<Impl>(ioc, config, service, metrics, writer)) {}

Server::~Server() = default;

std::optional<std::string> Server::Listen() {
  boost::system::error_code ec;
  auto address = net::ip::make_address(impl_->config.host, ec);
  if (ec) return "server.listen: bad address " + impl_->config.host;
  tcp::endpoint endpoint(address, impl_->config.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return "server.listen: cannot listen on " + impl_->config.listen + ": " + ec.message();
  impl_->port = acc.local_endpoint().port();
  return std::nullopt;
}

std::uint16_t Server::port() const { return impl_->port; }

void Server::Start() {
  net::co_spawn(impl_->ioc, impl_->AcceptLoop(), [](std::exception_ptr e) {
    if (e) spdlog::error("accept loop ended with an exception");
  });
}

void Server::Shutdown() {
  net::post(impl_->ioc, [impl = impl_] {
    if (impl->stopping) return;
    impl->stopping = true;
    boost::system::error_code ec;
    impl->acceptor.close(ec);
    impl->CloseIdle();
  });
}

void Server::Impl::CloseIdle() {
  for (SessionState* s : sessions) {
    if (!s->busy) s->stream->socket().cancel();
  }
}

net::awaitable<void> Server::Impl::AcceptLoop() {
  auto self = shared_from_this();
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == net::error::operation_aborted || stopping) break;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(ioc, RunSession(beast::tcp_stream(std::move(socket))), [](std::exception_ptr e) {
      if (e) spdlog::error("session ended with an exception");
    });
  }
}

net::awaitable<void> Server::Impl::RunSession(beast::tcp_stream stream) {
  auto self = shared_from_this();
  SessionState state{&stream, false};
  sessions.insert(&state);
  struct Unregister {
    Impl& impl;
    SessionState* s;
    ~Unregister() { impl.sessions.erase(s); }
  } unregister{*this, &state};

  beast::flat_buffer buffer;
  const auto read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  for (int served = 0; !stopping; ++served) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    parser.body_limit(config.max_body_bytes);
    stream.expires_after(read_timeout);
    auto [ec, bytes] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      bool body = ec == http::error::body_limit;
      Reply reply = body ? service.TooLarge() : Reply{431, "request header fields too large\n"};
      Response res = MakeResponse(reply, 11);
      res.keep_alive(false);
      co_await http::async_write(stream, res, kNoThrow);
      break;
    }
    if (ec) {
      bool quiet = ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
                   ec == beast::error::timeout || ec == net::error::connection_reset ||
                   ec == net::error::eof;
      if (!quiet && bytes > 0) {
        Response res = MakeResponse(Reply{400, "malformed HTTP request\n"}, 11);
        res.keep_alive(false);
        co_await http::async_write(stream, res, kNoThrow);
      }
      break;
    }
    state.busy = true;
    Request req = parser.release();
    Reply reply = co_await Handle(req);
    Response res = MakeResponse(reply, req.version());
    bool keep = req.keep_alive() && !stopping && served + 1 < config.keep_alive_requests;
    res.keep_alive(keep);
    stream.expires_after(read_timeout);
    auto [wec, written] = co_await http::async_write(stream, res, kNoThrow);
    state.busy = false;
    if (wec || !keep) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<Reply> Server::Impl::Handle(const Request& req) {
  std::string_view target = req.target();
  std::string_view path = Path(target);
  bool get = req.method() == http::verb::get;
  bool post = req.method() == http::verb::post;
  if (path == config.callback_path) {
    if (get) co_return service.VerifyUrl(QueryOf(target));
    if (post) co_return co_await HandleCallbackPost(req);
    co_return Reply{405, "method not allowed\n"};
  }
  if (path == "/healthz") {
    co_return get ? Reply{200, "ok\n"} : Reply{405, "method not allowed\n"};
  }
  if (path == "/metrics") {
    if (!get) co_return Reply{405, "method not allowed\n"};
    co_return Reply{200, metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"};
  }
  co_return Reply{404, "not found\n"};
}

net::awaitable<Reply> Server::Impl::HandleCallbackPost(const Request& req) {
  auto start = std::chrono::steady_clock::now();
  auto accepted = service.Accept(QueryOf(req.target()), req.body());
  Reply reply;
  if (auto* record = std::get_if<storage::InboxRecord>(&accepted)) {
    reply = service.Stored(co_await StoreInbox(std::move(*record)));
  } else {
    reply = std::get<Reply>(std::move(accepted));
    std::string_view why = reply.body;
    while (!why.empty() && why.back() == '\n') why.remove_suffix(1);
    spdlog::warn("callback rejected: {} {}", reply.status, why);
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  metrics.ObserveLatency(elapsed.count());
  co_return reply;
}

// Hands the row to the writer thread and waits for its commit, or for the
// handler deadline, whichever comes first. The completion is posted back to
// the io thread; `wait` keeps the pending result alive either way. The App
// drains the writer before it destroys the io_context.
net::awaitable<storage::Result<int>> Server::Impl::StoreInbox(storage::InboxRecord record) {
  struct Wait {
    explicit Wait(net::io_context& io) : timer(io) {}
    net::steady_timer timer;
    std::optional<storage::Result<int>> result;
  };
  auto wait = std::make_shared<Wait>(ioc);
  wait->timer.expires_after(std::chrono::milliseconds(config.handler_timeout_ms));
  // The pending timer keeps the io_context running until the result is back.
  writer.Submit(storage::InsertInboxJob(std::move(record)),
                [wait, &io = ioc](storage::Result<int> r) {
                  net::post(io, [wait, r] {
                    wait->result = r;
                    wait->timer.cancel();
                  });
                });
  co_await wait->timer.async_wait(kNoThrow);
  if (!wait->result) {
    spdlog::error("inbox write did not finish within {} ms", config.handler_timeout_ms);
    co_return storage::Errc::kQueryFailed;
  }
  co_return *wait->result;
}

}  // namespace scrm::bot
