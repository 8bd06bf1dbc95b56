// An HTTPS server for tests (Beast over OpenSSL, 127.0.0.1, its own thread)
// with the certificate from tests/data/tls: issued by the test CA for the
// host name "localhost" only. Every request is answered with
// {"errcode":0,"errmsg":"ok"}.
#pragma once

#include <cstdint>
#include <memory>

namespace scrm::test {

class TlsServer {
 public:
  TlsServer();
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  std::uint16_t port() const;
  // Requests answered (after a completed handshake).
  int answered() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The test CA that issued the server's certificate.
inline constexpr const char* kTestCaFile = SCRM_TEST_DATA_DIR "/tls/ca.pem";

}  // namespace scrm::test
