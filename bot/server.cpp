#include "bot/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "bot/async_writer.h"
#include "bot/callback_service.h"
#include "bot/metrics.h"
#include "bot/query.h"
#include "storage/writer.h"

namespace scrm::bot {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;

namespace {

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);
constexpr std::size_t kFirstReadBytes = 4096;
// After an error reply, what the client still sends is read and dropped, up
// to this much (and the read deadline), before the connection closes.
constexpr std::size_t kLingerBytes = 1 << 20;
// What a connection's buffer may hold beyond the header limit. Bodies pass
// through it as they are parsed; a chunk-size line or a trailer that never
// ends stops here (the parser's limits do not reach them).
constexpr std::size_t kBufferSlack = 64 * 1024;

using Clock = std::chrono::steady_clock;

// A session's registration, so Shutdown() can close idle connections and
// the sweep can close those past their deadline.
struct SessionState {
  tcp::socket* socket = nullptr;
  bool busy = false;  // a request was read and is being answered
  // The read in progress and what it has received: a request that has begun
  // to arrive is finished at shutdown, within the read deadline.
  const http::request_parser<http::string_body>* parser = nullptr;
  const beast::flat_buffer* buffer = nullptr;
  // Of the read or write in progress; none while the request is handled.
  Clock::time_point deadline = Clock::time_point::max();
  bool timed_out = false;  // the sweep shut the socket down
  bool evicted = false;    // shut down to make room at server.max_connections

  // Between requests, with none of the next one received.
  bool Idle() const {
    return !busy && !(parser && parser->got_some()) && !(buffer && buffer->size() > 0);
  }
};

// One connection's state. RunSession owns it; ServeOne handles one request.
struct Connection {
  Connection(tcp::socket s, std::size_t max_header_bytes)
      : socket(std::move(s)), buffer(max_header_bytes + kBufferSlack) {
    // Beast reads max(512, free capacity) bytes at a time and the parser
    // consumes as it goes, so a buffer left at 512 bytes takes two reads for
    // a typical callback (about 800 bytes). One page fits it in one.
    buffer.reserve(kFirstReadBytes);
  }
  tcp::socket socket;
  beast::flat_buffer buffer;
  SessionState state;
  int served = 0;
};

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
         std::to_string(stats.busy_ns / 1e9) + "\n" +
         "# HELP scrm_storage_checkpoints_total WAL checkpoints, by the thread that ran them.\n"
         "# TYPE scrm_storage_checkpoints_total counter\n"
         "scrm_storage_checkpoints_total{thread=\"background\"} " +
         std::to_string(stats.background_checkpoints) + "\n" +
         "scrm_storage_checkpoints_total{thread=\"writer\"} " +
         std::to_string(stats.inline_checkpoints + stats.finishing_checkpoints) + "\n";
}

Reply NotAllowed(std::string allow) {
  Reply reply{405, "method not allowed\n"};
  reply.allow = std::move(allow);
  return reply;
}

}  // namespace

std::string ResponseBytes(const Reply& reply, unsigned version, bool keep_alive, bool with_body) {
  std::string out;
  out.reserve(160 + reply.body.size());
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(reply.status);
  out += ' ';
  out += http::obsolete_reason(static_cast<http::status>(reply.status));
  out += "\r\nServer: scrm-bot\r\nContent-Type: ";
  out += reply.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(reply.body.size());
  if (!reply.allow.empty()) {
    out += "\r\nAllow: ";
    out += reply.allow;
  }
  // HTTP/1.1 keeps a connection unless told otherwise, HTTP/1.0 closes it.
  if (version == 10 && keep_alive) out += "\r\nConnection: keep-alive";
  if (version != 10 && !keep_alive) out += "\r\nConnection: close";
  out += "\r\n\r\n";
  if (with_body) out += reply.body;
  return out;
}

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(net::io_context& io, const ServerConfig& cfg, const CallbackService& svc, Metrics& m,
       storage::Writer& w)
      : ioc(io),
        config(cfg),
        service(svc),
        metrics(m),
        writer(w),
        acceptor(io),
        sweep(io),
        waits(std::make_shared<AsyncWriter>(io, w,
                                            std::chrono::milliseconds(cfg.handler_timeout_ms))) {}

  net::awaitable<void> AcceptLoop();
  bool MakeRoom();
  net::awaitable<void> SweepLoop();
  void SetDeadline(Connection& conn) const;
  net::awaitable<void> RunSession(tcp::socket socket);
  net::awaitable<bool> ServeOne(Connection& conn);
  bool IsCallbackPost(const http::request_parser<http::string_body>& parser) const;
  net::awaitable<void> WriteFinal(Connection& conn, const Reply& reply);
  net::awaitable<Reply> Handle(const Request& req);
  net::awaitable<Reply> HandleCallbackPost(const Request& req);
  net::awaitable<storage::Result<int>> StoreInbox(std::shared_ptr<storage::InboxRow> row);
  void CloseIdle();
  std::string ConnectionMetrics() const;

  // A session's entry in `sessions` for as long as it runs, however it ends
  // (an exception too: the sweep must never see a freed session, and
  // shutdown waits for the set to empty).
  class Registered {
   public:
    Registered(Impl& impl, SessionState& state) : impl_(impl), state_(state) {
      impl_.sessions.insert(&state_);
    }
    ~Registered() {
      impl_.sessions.erase(&state_);
      if (state_.evicted) --impl_.evicting;
      if (impl_.stopping && impl_.sessions.empty()) impl_.sweep.cancel();
    }
    Registered(const Registered&) = delete;
    Registered& operator=(const Registered&) = delete;

   private:
    Impl& impl_;
    SessionState& state_;
  };

  net::io_context& ioc;
  const ServerConfig& config;
  const CallbackService& service;
  Metrics& metrics;
  storage::Writer& writer;
  tcp::acceptor acceptor;
  net::steady_timer sweep;  // closes connections past their deadline
  std::uint16_t port = 0;   // bound port, set by Listen()
  std::shared_ptr<AsyncWriter> waits;
  OnStored on_stored;
  std::unordered_set<SessionState*> sessions;  // io thread only
  bool stopping = false;                       // io thread only
  // Past server.max_connections (io thread only): idle connections closed
  // to make room, and new ones closed for want of an idle one.
  std::uint64_t closed_idle = 0;
  std::uint64_t refused = 0;
  std::size_t evicting = 0;  // of `sessions`: closed by MakeRoom, not ended yet
};

Server::Server(net::io_context& ioc, const ServerConfig& config, const CallbackService& service,
               Metrics& metrics, storage::Writer& writer, OnStored on_stored)
    : impl_(std::make_shared<Impl>(ioc, config, service, metrics, writer)) {
  impl_->on_stored = std::move(on_stored);
}

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
  net::co_spawn(impl_->ioc, impl_->SweepLoop(), [](std::exception_ptr e) {
    if (e) spdlog::error("deadline sweep ended with an exception");
  });
}

void Server::Shutdown() {
  net::post(impl_->ioc, [impl = impl_] {
    if (impl->stopping) return;
    impl->stopping = true;
    boost::system::error_code ec;
    impl->acceptor.close(ec);
    impl->CloseIdle();
    if (impl->sessions.empty()) impl->sweep.cancel();
  });
}

void Server::Impl::CloseIdle() {
  for (SessionState* s : sessions) {
    if (s->Idle()) s->socket->cancel();
  }
}

net::awaitable<void> Server::Impl::AcceptLoop() {
  auto self = shared_from_this();
  int failures = 0;  // in a row
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == net::error::operation_aborted || stopping) break;
      // Out of file descriptors, say: the connection waits in the backlog
      // and would fail again at once. Retry after a pause, log once.
      if (failures++ == 0) spdlog::warn("accept failed: {}; retrying every 100 ms", ec.message());
      metrics.AcceptFailed();
      net::steady_timer pause(ioc, std::chrono::milliseconds(100));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (failures > 0) spdlog::info("accepting again after {} failed tries", failures);
    failures = 0;
    if (sessions.size() - evicting >= static_cast<std::size_t>(config.max_connections) &&
        !MakeRoom()) {
      // Every connection is in the middle of a request: this one waits
      // for none of them (a client retries, as WeCom does).
      if (refused++ == 0) {
        spdlog::warn(
            "{} connections open, each busy: new ones are closed at once "
            "(server.max_connections)",
            sessions.size());
      }
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    net::awaitable<void> session = RunSession(std::move(socket));
    net::co_spawn(ioc, std::move(session), [](std::exception_ptr e) {
      if (e) spdlog::error("session ended with an exception");
    });
  }
}

// At server.max_connections, closes the connection idle the longest (its
// read began first) so that a new one can be served; false if none is idle.
// Clients that keep connections open without using them cannot keep others
// out.
bool Server::Impl::MakeRoom() {
  SessionState* oldest = nullptr;
  for (SessionState* s : sessions) {
    if (!s->Idle() || s->timed_out) continue;  // busy, or already closing
    // A request already in the socket, not read yet: not idle.
    boost::system::error_code ec;
    if (s->socket->available(ec) > 0 || ec) continue;
    if (!oldest || s->deadline < oldest->deadline) oldest = s;
  }
  if (!oldest) return false;
  oldest->deadline = Clock::time_point::max();
  oldest->timed_out = true;
  oldest->evicted = true;
  ++evicting;
  boost::system::error_code ignored;
  oldest->socket->shutdown(tcp::socket::shutdown_both, ignored);
  ++closed_idle;
  return true;
}

std::string Server::Impl::ConnectionMetrics() const {
  return "# HELP scrm_http_connections Connections open now.\n"
         "# TYPE scrm_http_connections gauge\n"
         "scrm_http_connections " +
         std::to_string(sessions.size()) +
         "\n"
         "# HELP scrm_http_connection_limit_total Connections closed at server.max_connections: "
         "idle ones to make room, new ones when none was idle.\n"
         "# TYPE scrm_http_connection_limit_total counter\n"
         "scrm_http_connection_limit_total{closed=\"idle\"} " +
         std::to_string(closed_idle) + "\nscrm_http_connection_limit_total{closed=\"new\"} " +
         std::to_string(refused) + "\n";
}

// Read and write deadlines for every connection, checked a few times per
// read timeout by one timer: cheaper than a timer per socket operation.
net::awaitable<void> Server::Impl::SweepLoop() {
  auto self = shared_from_this();
  auto limit = std::chrono::milliseconds(config.read_timeout_ms);
  auto every = std::clamp<Clock::duration>(limit / 4, std::chrono::milliseconds(20),
                                           std::chrono::seconds(1));
  while (!stopping || !sessions.empty()) {
    sweep.expires_after(every);
    co_await sweep.async_wait(kNoThrow);
    Clock::time_point now = Clock::now();
    for (SessionState* s : sessions) {
      // Once stopping, a connection between requests closes at the next
      // sweep: one whose read began just after CloseIdle's cancel would
      // otherwise keep the server up until its read deadline.
      bool idle_at_stop = stopping && s->Idle();
      if (s->deadline > now && !idle_at_stop) continue;
      // Shut down rather than cancel: the read or write in progress, or the
      // next one, fails at once.
      s->deadline = Clock::time_point::max();
      s->timed_out = true;
      boost::system::error_code ignored;
      s->socket->shutdown(tcp::socket::shutdown_both, ignored);
    }
  }
}

void Server::Impl::SetDeadline(Connection& conn) const {
  conn.state.deadline = Clock::now() + std::chrono::milliseconds(config.read_timeout_ms);
}

net::awaitable<void> Server::Impl::RunSession(tcp::socket socket) {
  auto self = shared_from_this();
  auto conn = std::make_unique<Connection>(std::move(socket), config.max_header_bytes);
  conn->state.socket = &conn->socket;
  conn->state.buffer = &conn->buffer;
  Registered registered(*this, conn->state);
  while (!stopping) {
    bool again = co_await ServeOne(*conn);
    if (!again) break;
  }
  boost::system::error_code ignored;
  conn->socket.shutdown(tcp::socket::shutdown_send, ignored);
}

// Whether what the parser has read of a request is a POST to the callback
// path (the request line is in the message once the parser got past it).
bool Server::Impl::IsCallbackPost(const http::request_parser<http::string_body>& parser) const {
  return parser.get().method() == http::verb::post &&
         PathOf(parser.get().target()) == config.callback_path;
}

// Reads one request and answers it; false when the connection must close.
net::awaitable<bool> Server::Impl::ServeOne(Connection& conn) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
  parser.body_limit(config.max_body_bytes);
  SetDeadline(conn);
  conn.state.parser = &parser;
  auto read = co_await http::async_read(conn.socket, conn.buffer, parser, kNoThrow);
  conn.state.parser = nullptr;
  boost::system::error_code ec = std::get<0>(read);
  bool too_large = ec == http::error::body_limit || ec == http::error::buffer_overflow;
  if (too_large || ec == http::error::header_limit) {
    // Only a callback's is a rejected callback in the metrics (a body limit
    // is found at the end of the header at the earliest, a full buffer in a
    // chunked body).
    bool callback = IsCallbackPost(parser);
    const char* kHeaders = "request header fields too large";
    Reply reply = too_large  ? (callback ? service.TooLarge() : Reply{413, "body too large\n"})
                  : callback ? service.BadHttp(431, kHeaders)
                             : Reply{431, std::string(kHeaders) + "\n"};
    co_await WriteFinal(conn, reply);
    co_return false;
  }
  if (ec) {
    bool quiet = ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
                 ec == net::error::connection_reset || ec == net::error::eof;
    // got_some: a request line the parser refused consumed no bytes, but it
    // is a malformed request all the same.
    if (!quiet && !conn.state.timed_out && parser.got_some()) {
      // Named, not a temporary in the co_await: GCC 12 destroys such a
      // temporary twice (a double free, found by the mutated-request test).
      const char* kMalformed = "malformed HTTP request";
      const Reply bad = IsCallbackPost(parser) ? service.BadHttp(400, kMalformed)
                                               : Reply{400, std::string(kMalformed) + "\n"};
      co_await WriteFinal(conn, bad);
    }
    co_return false;
  }
  conn.state.busy = true;
  conn.state.deadline = Clock::time_point::max();  // the handler has its own
  Request req = parser.release();
  Reply reply = co_await Handle(req);
  bool keep = req.keep_alive() && !stopping && ++conn.served < config.keep_alive_requests;
  std::string bytes = ResponseBytes(reply, req.version(), keep, req.method() != http::verb::head);
  auto buffer = net::buffer(bytes);
  SetDeadline(conn);
  auto written = co_await net::async_write(conn.socket, buffer, kNoThrow);
  conn.state.busy = false;
  co_return !std::get<0>(written) && keep;
}

net::awaitable<void> Server::Impl::WriteFinal(Connection& conn, const Reply& reply) {
  std::string bytes = ResponseBytes(reply, 11, false);
  auto buffer = net::buffer(bytes);
  SetDeadline(conn);
  auto [ec, written] = co_await net::async_write(conn.socket, buffer, kNoThrow);
  if (ec) co_return;
  // The client may still be sending the request (a body past the limit):
  // closing with its bytes unread would reset the connection, and a client
  // busy sending would see the reset instead of this reply. So: stop
  // sending, then read and drop until it stops too.
  boost::system::error_code ignored;
  conn.socket.shutdown(tcp::socket::shutdown_send, ignored);
  SetDeadline(conn);
  std::array<char, 16384> sink;
  for (std::size_t dropped = 0; dropped < kLingerBytes;) {
    auto [rec, n] = co_await conn.socket.async_read_some(net::buffer(sink), kNoThrow);
    if (rec) break;
    dropped += n;
  }
}

net::awaitable<Reply> Server::Impl::Handle(const Request& req) {
  std::string_view target = req.target();
  std::string_view path = PathOf(target);
  bool get = req.method() == http::verb::get;
  bool post = req.method() == http::verb::post;
  // A HEAD of /healthz or /metrics (a load balancer's probe): the GET's
  // answer, sent without its body.
  bool head = req.method() == http::verb::head;
  if (path == config.callback_path) {
    if (get) co_return service.VerifyUrl(QueryOf(target));
    if (post) co_return co_await HandleCallbackPost(req);
    co_return NotAllowed("GET, POST");
  }
  if (path == "/healthz") {
    co_return get || head ? Reply{200, "ok\n"} : NotAllowed("GET, HEAD");
  }
  if (path == "/metrics") {
    if (!get && !head) co_return NotAllowed("GET, HEAD");
    co_return Reply{200, metrics.Render() + WriterMetrics(writer.stats()) + ConnectionMetrics(),
                    "text/plain; version=0.0.4; charset=utf-8"};
  }
  co_return Reply{404, "not found\n"};
}

net::awaitable<Reply> Server::Impl::HandleCallbackPost(const Request& req) {
  auto start = std::chrono::steady_clock::now();
  auto accepted = service.Accept(QueryOf(req.target()), req.body());
  Reply reply;
  if (auto* record = std::get_if<storage::InboxRecord>(&accepted)) {
    auto row = std::make_shared<storage::InboxRow>();
    row->record = std::move(*record);
    auto stored = co_await StoreInbox(row);
    reply = service.Stored(stored);
    if (stored && *stored == static_cast<int>(storage::InboxOutcome::kInserted) && on_stored) {
      on_stored(std::move(*row));
    }
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

net::awaitable<storage::Result<int>> Server::Impl::StoreInbox(
    std::shared_ptr<storage::InboxRow> row) {
  storage::Writer::Job job = storage::InsertInboxJob(row);
  // Answered 503 at the deadline but committed after it: still a row, and
  // dispatched like any other (WeCom's retry is a duplicate, which is not).
  AsyncWriter::Late late = [self = shared_from_this(), row](const storage::Result<int>& stored) {
    if (!stored || *stored != static_cast<int>(storage::InboxOutcome::kInserted)) return;
    self->metrics.AddInboxRows(1);
    self->metrics.StoredLate();
    if (self->on_stored) self->on_stored(std::move(*row));
  };
  co_return co_await waits->Run(std::move(job), storage::Writer::Atomicity::kSingleStatement,
                                std::move(late));
}

}  // namespace scrm::bot
