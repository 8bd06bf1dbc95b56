#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace scrm::test {

HttpConnection::HttpConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // A server that never answers fails the test instead of hanging it.
  timeval limit{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpConnection::SendRaw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::optional<HttpResponse> HttpConnection::ReadResponse(bool to_head) {
  auto fill = [this]() {
    char chunk[16384];
    ssize_t n;
    do {
      n = ::recv(fd_, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  };
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::nullopt;
  }
  HttpResponse res;
  std::string head = buffer_.substr(0, header_end);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  res.status = std::stoi(status_line.substr(9, 3));
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      size_t v = line.find_first_not_of(' ', colon + 1);
      res.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = end + 2;
  }
  size_t length = res.headers.count("content-length") && !to_head
                      ? std::stoul(res.headers["content-length"])
                      : 0;
  size_t body_start = header_end + 4;
  while (buffer_.size() < body_start + length) {
    if (!fill()) return std::nullopt;
  }
  res.body = buffer_.substr(body_start, length);
  buffer_.erase(0, body_start + length);
  return res;
}

std::optional<HttpResponse> HttpConnection::Request(const std::string& method,
                                                    const std::string& target,
                                                    const std::string& body, bool keep_alive) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (method == "POST" || !body.empty()) {
    req += "Content-Type: text/xml\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (!keep_alive) req += "Connection: close\r\n";
  req += "\r\n" + body;
  if (!SendRaw(req)) return std::nullopt;
  return ReadResponse();
}

void HttpConnection::CloseWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

long HttpConnection::ReadOne() {
  char c;
  ssize_t n;
  do {
    n = ::recv(fd_, &c, 1, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

bool HttpConnection::PeerClosed() {
  long n = ReadOne();
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

bool HttpConnection::PeerEnded() { return ReadOne() == 0; }

std::optional<HttpResponse> HttpRequest(std::uint16_t port, const std::string& method,
                                        const std::string& target, const std::string& body) {
  HttpConnection conn(port);
  if (!conn.connected()) return std::nullopt;
  return conn.Request(method, target, body, false);
}

}  // namespace scrm::test
