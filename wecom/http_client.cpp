#include "wecom/http_client.h"

#include <poll.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <map>
#include <variant>
#include <vector>

namespace scrm::wecom {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One open connection, plain or TLS.
struct Connection {
  std::variant<std::unique_ptr<PlainStream>, std::unique_ptr<TlsStream>> stream;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
};

bool IsStale(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::connection_aborted || ec == ssl::error::stream_truncated;
}

Errc Classify(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return Errc::kTimeout;
  if (ec == http::error::body_limit || ec == http::error::buffer_overflow ||
      ec == http::error::header_limit) {
    return Errc::kResponseTooLarge;
  }
  return Errc::kNetwork;
}

// A name lookup with a deadline. getaddrinfo runs on Asio's resolver thread
// and cannot be interrupted (a silent DNS server holds it for the resolver's
// own timeouts, 10 s or more): at the deadline the lookup is left to finish
// on its own, into state it keeps alive.
net::awaitable<Result<tcp::resolver::results_type>> Resolve(net::any_io_executor executor,
                                                            const std::string& host,
                                                            const std::string& port,
                                                            std::chrono::milliseconds timeout) {
  struct Lookup {
    explicit Lookup(net::any_io_executor ex) : resolver(ex), timer(ex) {}
    tcp::resolver resolver;
    net::steady_timer timer;
    bool done = false;
    boost::system::error_code ec;
    tcp::resolver::results_type results;
  };
  auto lookup = std::make_shared<Lookup>(executor);
  lookup->resolver.async_resolve(host, port, [lookup](auto ec, auto results) {
    if (lookup->done) return;
    lookup->done = true;
    lookup->ec = ec;
    lookup->results = std::move(results);
    lookup->timer.cancel();
  });
  lookup->timer.expires_after(timeout);
  co_await lookup->timer.async_wait(kNoThrow);
  if (!lookup->done) {
    lookup->done = true;
    // A lookup still queued behind the stuck one is dropped, not run: it
    // would hold up the io_context's end (and every later lookup) too.
    lookup->resolver.cancel();
    co_return Errc::kTimeout;
  }
  if (lookup->ec) co_return Errc::kNetwork;
  co_return std::move(lookup->results);
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<Url> ParseUrl(std::string_view url) {
  Url out;
  std::string lower = ToLower(url.substr(0, 8));
  if (lower.rfind("https://", 0) == 0) {
    url.remove_prefix(8);
  } else if (lower.rfind("http://", 0) == 0) {
    out.tls = false;
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  size_t end = url.find_first_of("/?");
  std::string_view authority = url.substr(0, end);
  out.target = end == std::string_view::npos ? "/" : std::string(url.substr(end));
  if (!out.target.empty() && out.target.front() == '?') out.target.insert(0, "/");
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    out.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    if (out.port.empty() || out.port.size() > 5 ||
        out.port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(out.port) > 65535) {
      return std::nullopt;
    }
  } else {
    out.port = out.tls ? "443" : "80";
  }
  if (authority.size() >= 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  if (authority.empty() || authority.find_first_of(" @/") != std::string_view::npos) {
    return std::nullopt;
  }
  out.host = std::string(authority);
  return out;
}

std::string HostHeader(const Url& url) {
  std::string host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  if (url.port != (url.tls ? "443" : "80")) host += ":" + url.port;
  return host;
}

std::string CaFileProblem(const std::string& path) {
  boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
  boost::system::error_code ec;
  tls.load_verify_file(path, ec);
  if (!ec) return "";
  return "cannot load CA certificates (PEM) from \"" + path + "\": " + ec.message();
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  for (std::string_view name : {"access_token=", "corpsecret=", "key="}) {
    size_t pos = 0;
    while ((pos = out.find(name, pos)) != std::string::npos) {
      bool at_boundary = pos > 0 && (out[pos - 1] == '?' || out[pos - 1] == '&');
      pos += name.size();
      if (!at_boundary) continue;
      size_t end = out.find('&', pos);
      out.replace(pos, (end == std::string::npos ? out.size() : end) - pos, "***");
    }
  }
  return out;
}

struct HttpClient::Impl {
  Impl(net::any_io_executor ex, HttpClientOptions opts)
      : executor(std::move(ex)), options(opts), tls(ssl::context::tls_client) {
    tls.set_default_verify_paths();
    boost::system::error_code ignored;  // an unreadable file trusts nothing more
    if (!options.ca_file.empty()) tls.load_verify_file(options.ca_file, ignored);
    tls.set_verify_mode(ssl::verify_peer);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  }

  net::awaitable<Result<std::unique_ptr<Connection>>> Connect(const Url& url);
  template <class Stream>
  net::awaitable<boost::system::error_code> Exchange(Stream& stream, beast::flat_buffer& buffer,
                                                     http::request<http::string_body>& req,
                                                     HttpResponse& out, bool& keep_alive,
                                                     bool& sent);

  // The most recently used idle connection, unless idle for max_idle or
  // more; older ones are closed, and so are those the server has closed or
  // written to meanwhile (readable while idle: a FIN, a reset, a TLS alert).
  std::unique_ptr<Connection> TakeIdle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    auto now = std::chrono::steady_clock::now();
    std::erase_if(list, [&](const auto& c) { return now - c->idle_since >= options.max_idle; });
    while (!list.empty()) {
      auto conn = std::move(list.back());
      list.pop_back();
      if (!ClosedByPeer(*conn)) return conn;
    }
    return nullptr;
  }

  static bool ClosedByPeer(Connection& conn) {
    int fd = std::visit(
        [](auto& stream) { return beast::get_lowest_layer(*stream).socket().native_handle(); },
        conn.stream);
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  void ReturnIdle(const std::string& key, std::unique_ptr<Connection> conn) {
    auto& list = idle[key];
    conn->idle_since = std::chrono::steady_clock::now();
    if (list.size() < options.max_idle_per_host) list.push_back(std::move(conn));
  }

  net::any_io_executor executor;
  HttpClientOptions options;
  ssl::context tls;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::uint64_t opened = 0;
};

net::awaitable<Result<std::unique_ptr<Connection>>> HttpClient::Impl::Connect(const Url& url) {
  // One deadline for the lookup, the connection and the TLS handshake.
  auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  auto endpoints = co_await Resolve(executor, url.host, url.port, options.connect_timeout);
  if (!endpoints) co_return endpoints.error();
  auto plain = std::make_unique<PlainStream>(executor);
  plain->expires_at(deadline);
  auto [cec, ep] = co_await plain->async_connect(*endpoints, kNoThrow);
  if (cec) co_return Classify(cec);
  boost::system::error_code ignored;  // without Nagle is faster, not required
  plain->socket().set_option(tcp::no_delay(true), ignored);
  ++opened;
  auto conn = std::make_unique<Connection>();
  if (!url.tls) {
    conn->stream = std::move(plain);
    co_return conn;
  }
  auto secure = std::make_unique<TlsStream>(std::move(*plain), tls);
  if (!SSL_set_tlsext_host_name(secure->native_handle(), url.host.c_str())) {
    co_return Errc::kNetwork;
  }
  secure->set_verify_callback(ssl::host_name_verification(url.host));
  beast::get_lowest_layer(*secure).expires_at(deadline);
  auto [hec] = co_await secure->async_handshake(ssl::stream_base::client, kNoThrow);
  if (hec) co_return Classify(hec);
  conn->stream = std::move(secure);
  co_return conn;
}

template <class Stream>
net::awaitable<boost::system::error_code> HttpClient::Impl::Exchange(
    Stream& stream, beast::flat_buffer& buffer, http::request<http::string_body>& req,
    HttpResponse& out, bool& keep_alive, bool& sent) {
  beast::get_lowest_layer(stream).expires_after(options.read_timeout);
  auto [wec, written] = co_await http::async_write(stream, req, kNoThrow);
  if (wec) co_return wec;
  sent = true;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  auto [rec, read] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (rec) co_return rec;
  auto& res = parser.get();
  out.status = res.result_int();
  out.body = std::move(res.body());
  keep_alive = res.keep_alive();
  co_return boost::system::error_code();
}

HttpClient::HttpClient(net::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), options)) {}

HttpClient::~HttpClient() = default;

std::uint64_t HttpClient::connections_opened() const { return impl_->opened; }

net::awaitable<Result<HttpResponse>> HttpClient::Request(std::string url, std::string body) {
  auto impl = impl_;  // keeps the pool alive while this request runs
  auto parsed = ParseUrl(url);
  if (!parsed) co_return Errc::kBadUrl;
  const std::string key =
      (parsed->tls ? "https://" : "http://") + parsed->host + ":" + parsed->port;
  http::request<http::string_body> req{body.empty() ? http::verb::get : http::verb::post,
                                       parsed->target, 11};
  req.set(http::field::host, HostHeader(*parsed));
  req.set(http::field::user_agent, "scrm-bot");
  req.keep_alive(true);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json; charset=utf-8");
    req.body() = std::move(body);
  }
  req.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The retry after a stale connection goes on a new one: the rest of the
    // pool may have been closed by the same server or NAT.
    auto conn = attempt == 0 ? impl->TakeIdle(key) : nullptr;
    bool reused = conn != nullptr;
    if (!conn) {
      auto opened = co_await impl->Connect(*parsed);
      if (!opened) co_return opened.error();
      conn = std::move(*opened);
    }
    HttpResponse out;
    bool keep_alive = false;
    bool sent = false;
    boost::system::error_code ec;
    if (auto* plain = std::get_if<std::unique_ptr<PlainStream>>(&conn->stream)) {
      ec = co_await impl->Exchange(**plain, conn->buffer, req, out, keep_alive, sent);
    } else {
      auto& tls = std::get<std::unique_ptr<TlsStream>>(conn->stream);
      ec = co_await impl->Exchange(*tls, conn->buffer, req, out, keep_alive, sent);
    }
    // The server closed an idle connection: tried once more on a new one if
    // the request cannot have been taken (it was not written, or it is a
    // GET). A POST written out may have been acted on before the connection
    // dropped: the caller decides (the outbox tries it again later, counted
    // against WeCom's limits).
    bool replay = !sent || req.method() == http::verb::get;
    if (ec && reused && IsStale(ec) && replay) continue;
    if (ec) co_return Classify(ec);
    if (keep_alive) impl->ReturnIdle(key, std::move(conn));
    co_return out;
  }
  co_return Errc::kNetwork;
}

}  // namespace scrm::wecom
