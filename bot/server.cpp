#include "bot/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <unordered_set>
#include <vector>

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

// Group-commit figures: jobs per commit is the batching the writer achieves.
std::string WriterMetrics(const storage::WriterStats& stats) {
  return "# HELP scrm_storage_commits_total Write transactions committed.\n"
         "# TYPE scrm_storage_commits_total counter\n"
         "scrm_storage_commits_total " +
         std::to_string(stats.groups) + "\n" +
         "# HELP scrm_storage_jobs_total Writes completed (committed or failed).\n"
         "# TYPE scrm_storage_jobs_total counter\n"
         "scrm_storage_jobs_total " +
         std::to_string(stats.jobs) + "\n" +
         "# HELP scrm_storage_job_failures_total Writes that failed.\n"
         "# TYPE scrm_storage_job_failures_total counter\n"
         "scrm_storage_job_failures_total " +
         std::to_string(stats.failures) + "\n" +
         "# HELP scrm_storage_busy_seconds_total Time the writer spent writing and committing.\n"
         "# TYPE scrm_storage_busy_seconds_total counter\n"
         "scrm_storage_busy_seconds_total " +
         std::to_string(stats.busy_ns / 1e9) + "\n";
}

std::string_view Path(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view QueryOf(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

// Awaits writer jobs from the io thread.
//
// Each waiting request parks on a timer that expires at the handler
// deadline. The writer thread reports completions into a batch, and one post
// per batch hands them to the io thread, which stores each result and cancels
// its timer. A write still unfinished at the deadline is answered with an
// error so WeCom retries (the row may still land: the retry is then a
// duplicate). Everything except Complete() runs on the io thread.
class WriteWaits : public std::enable_shared_from_this<WriteWaits> {
 public:
  WriteWaits(net::io_context& io, storage::Writer& writer, std::chrono::milliseconds timeout)
      : io_(io), writer_(writer), timeout_(timeout) {}

  net::awaitable<storage::Result<int>> Store(storage::Writer::Job job) {
    auto wait = std::make_shared<Wait>(io_);
    wait->timer.expires_after(timeout_);
    outgoing_.push_back(
        {std::move(job),
         [self = shared_from_this(), wait](storage::Result<int> r) { self->Complete(wait, r); },
         storage::Writer::Atomicity::kSingleStatement});
    // Jobs from the handlers that are ready now go to the writer together,
    // so a burst of callbacks becomes one commit rather than several.
    if (outgoing_.size() == 1) net::post(io_, [self = shared_from_this()] { self->Flush(); });
    co_await wait->timer.async_wait(kNoThrow);
    if (!wait->result) {
      spdlog::error("inbox write did not finish within {} ms", timeout_.count());
      co_return storage::Errc::kQueryFailed;
    }
    co_return *wait->result;
  }

 private:
  struct Wait {
    explicit Wait(net::io_context& io) : timer(io) {}
    net::steady_timer timer;
    std::optional<storage::Result<int>> result;
  };
  using WaitPtr = std::shared_ptr<Wait>;

  void Flush() {
    std::vector<storage::Writer::Request> batch;
    batch.swap(outgoing_);
    writer_.SubmitBatch(std::move(batch));
  }

  // Writer thread.
  void Complete(const WaitPtr& wait, storage::Result<int> result) {
    std::lock_guard lock(mu_);
    batch_.emplace_back(wait, result);
    if (batch_.size() == 1) net::post(io_, [self = shared_from_this()] { self->Drain(); });
  }

  void Drain() {
    std::vector<std::pair<WaitPtr, storage::Result<int>>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(batch_);
    }
    for (auto& [wait, result] : batch) {
      wait->result = result;
      wait->timer.cancel();
    }
  }

  net::io_context& io_;
  storage::Writer& writer_;
  const std::chrono::milliseconds timeout_;
  std::vector<storage::Writer::Request> outgoing_;  // io thread only
  std::mutex mu_;
  std::vector<std::pair<WaitPtr, storage::Result<int>>> batch_;  // guarded by mu_
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(net::io_context& io, const ServerConfig& cfg, const CallbackService& svc, Metrics& m,
       storage::Writer& w)
      : ioc(io),
        config(cfg),
        service(svc),
        metrics(m),
        writer(w),
        acceptor(io),
        waits(std::make_shared<WriteWaits>(io, w,
                                           std::chrono::milliseconds(cfg.handler_timeout_ms))) {}

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
  std::uint16_t port = 0;  // bound port, set by Listen()
  std::shared_ptr<WriteWaits> waits;
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
    // The write shares the deadline set before the read.
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
    co_return Reply{200, metrics.Render() + WriterMetrics(writer.stats()),
                    "text/plain; version=0.0.4; charset=utf-8"};
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

net::awaitable<storage::Result<int>> Server::Impl::StoreInbox(storage::InboxRecord record) {
  co_return co_await waits->Store(storage::InsertInboxJob(std::move(record)));
}

}  // namespace scrm::bot
