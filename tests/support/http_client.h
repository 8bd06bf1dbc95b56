// A deliberately small blocking HTTP/1.1 client over POSIX sockets, so tests
// can send exactly the bytes they want (including malformed requests).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace scrm::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port);  // connects to 127.0.0.1
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Writes raw bytes; false if the peer is gone.
  bool SendRaw(const std::string& bytes);
  // Reads one response (Content-Length framed; headers only for the answer
  // to a HEAD); nullopt on EOF or error.
  std::optional<HttpResponse> ReadResponse(bool to_head = false);
  // SendRaw + ReadResponse for a well-formed request.
  std::optional<HttpResponse> Request(const std::string& method, const std::string& target,
                                      const std::string& body = "", bool keep_alive = true);
  // Ends the sending side: the server reads end of stream after what was sent.
  void CloseWrite();
  // True once the server closed the connection (reads EOF).
  bool PeerClosed();
  // True once the server closed the connection in order (EOF), not with a
  // reset.
  bool PeerEnded();

 private:
  // One byte from the server: 1, 0 at its end, -1 on an error (errno).
  long ReadOne();
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
std::optional<HttpResponse> HttpRequest(std::uint16_t port, const std::string& method,
                                        const std::string& target, const std::string& body = "");

}  // namespace scrm::test
