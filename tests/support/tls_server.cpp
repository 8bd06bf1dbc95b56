#include "tests/support/tls_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>

namespace scrm::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {
constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);
}

struct TlsServer::Impl {
  Impl() : tls(ssl::context::tls_server) {
    tls.use_certificate_chain_file(SCRM_TEST_DATA_DIR "/tls/server.pem");
    tls.use_private_key_file(SCRM_TEST_DATA_DIR "/tls/server.key", ssl::context::pem);
  }

  net::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
      if (ec) co_return;
      net::co_spawn(ioc, Session(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> Session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
    if (hec) co_return;  // the client refused the certificate
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [rec, n] = co_await http::async_read(stream, buffer, req, kNoThrow);
      if (rec) break;
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = "{\"errcode\":0,\"errmsg\":\"ok\"}";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, w] = co_await http::async_write(stream, res, kNoThrow);
      if (wec) break;
      ++answered;
      if (!req.keep_alive()) break;
    }
  }

  net::io_context ioc{1};
  ssl::context tls;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::atomic<int> answered{0};
};

TlsServer::TlsServer() : impl_(std::make_shared<Impl>()) {
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  net::co_spawn(impl_->ioc, impl_->Accept(), net::detached);
  impl_->thread = std::thread([impl = impl_] { impl->ioc.run(); });
}

TlsServer::~TlsServer() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t TlsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

int TlsServer::answered() const { return impl_->answered; }

}  // namespace scrm::test
