// An asynchronous HTTP/1.1 client for the WeCom API (C++20 coroutines).
//
// https:// URLs are verified against the system CA store with host-name
// checking and SNI; http:// is accepted for tests, the sandbox and private
// gateways. Idle connections are kept per host and reused. Every request has
// a connect and a read deadline and a response size limit.
//
// Not thread-safe: use one client from the one thread that runs its executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wecom/errors.h"

namespace scrm::wecom {

struct Url {
  bool tls = true;
  std::string host;
  std::string port;    // "443" / "80" when the URL has none
  std::string target;  // path and query, at least "/"
};

// nullopt unless the text is http(s)://host[:port][/path][?query].
std::optional<Url> ParseUrl(std::string_view url);
// The Host header for it: the port unless it is the scheme's, an IPv6
// address in brackets.
std::string HostHeader(const Url& url);

// The URL with the values of access_token, corpsecret and key replaced by
// "***", safe to log.
std::string RedactUrl(std::string_view url);

// Whether `path` is a PEM file of CA certificates the HTTPS client can trust
// (HttpClientOptions::ca_file): empty if so, else why not.
std::string CaFileProblem(const std::string& path);

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};  // resolve + connect + TLS handshake
  std::chrono::milliseconds read_timeout{10000};    // write request + read response
  std::size_t max_response_bytes = 4 << 20;
  std::size_t max_idle_per_host = 8;
  // A kept-alive connection idle this long is closed instead of reused:
  // servers and NAT gateways drop idle connections, and a request on one
  // that was dropped silently waits out read_timeout.
  std::chrono::milliseconds max_idle{30000};
  // A PEM file of extra trusted CAs (a private gateway's), on top of the
  // system store. Empty: the system store only.
  std::string ca_file;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET when `body` is empty, otherwise POST with a JSON body. Any HTTP
  // status is a successful result; errors are kBadUrl, kNetwork, kTimeout and
  // kResponseTooLarge. A reused connection the server had closed is retried
  // once on a new one.
  boost::asio::awaitable<Result<HttpResponse>> Request(std::string url, std::string body = {});

  // Connections opened so far (tests check keep-alive reuse with it).
  std::uint64_t connections_opened() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace scrm::wecom
