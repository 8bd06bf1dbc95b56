// The baseline: a Beast server with the same session shape as scrm-bot's
// (one io thread, coroutine per connection, parser limits, keep-alive) that
// answers every request 200 with the same small JSON body and does nothing
// else. The body is a valid WeCom answer (errcode 0, with a token), so the
// same program also serves as the API endpoint scrm-bot's replies go to
// during the benchmark.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <string>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);
constexpr const char* kBody =
    "{\"errcode\":0,\"errmsg\":\"ok\",\"access_token\":\"bench\",\"expires_in\":7200}";

net::awaitable<void> Session(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8192);
    parser.body_limit(65536);
    stream.expires_after(std::chrono::seconds(10));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (ec) break;
    auto req = parser.release();
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::server, "plain");
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.body() = kBody;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [wec, w] = co_await http::async_write(stream, res, kNoThrow);
    if (wec || !req.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> Accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) break;
    socket.set_option(tcp::no_delay(true), ec);
    net::co_spawn(acceptor.get_executor(), Session(beast::tcp_stream(std::move(socket))),
                  net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned short port = argc > 1 ? static_cast<unsigned short>(std::stoi(argv[1])) : 0;
  net::io_context ioc{1};
  tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), port});
  std::printf("plain-server listening on 127.0.0.1:%u, 200 for everything\n",
              acceptor.local_endpoint().port());
  std::fflush(stdout);
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { ioc.stop(); });
  net::co_spawn(ioc, Accept(acceptor), net::detached);
  ioc.run();
  return 0;
}
