// The HTTP server: GET/POST callback_path, GET /healthz, GET /metrics.
//
// Runs on the io_context it is given (one thread). A POST is answered only
// after its inbox row is committed by the Writer. Shutdown() stops
// accepting, closes idle keep-alive connections, lets requests already being
// handled finish, and returns once no session is left.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bot/config.h"

namespace boost::asio {
class io_context;
}

namespace scrm::storage {
class Writer;
struct InboxRow;
}  // namespace scrm::storage

namespace scrm::bot {

class CallbackService;
class Metrics;
struct Reply;

// The bytes of an HTTP response to a request of `version` (10 or 11): status
// line, Server, Content-Type, Content-Length and, where the version's default
// differs, Connection. Written in one call: Beast's serializer walked its
// buffer sequences for almost a fifth of the io thread's instructions per
// callback. The answer to a HEAD request has the headers of the body
// (`with_body` false) but not the body.
std::string ResponseBytes(const Reply& reply, unsigned version, bool keep_alive,
                          bool with_body = true);

class Server {
 public:
  // A callback's row right after it was committed (not for duplicates).
  using OnStored = std::function<void(storage::InboxRow&&)>;
  // All references must outlive the server. `on_stored` runs on the io
  // thread.
  Server(boost::asio::io_context& ioc, const ServerConfig& config, const CallbackService& service,
         Metrics& metrics, storage::Writer& writer, OnStored on_stored);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds config.host:config.port. Returns an error message on failure.
  std::optional<std::string> Listen();
  // The bound port (after Listen()).
  std::uint16_t port() const;
  // Starts accepting; sessions run on the io_context.
  void Start();
  // Thread-safe: graceful stop as described above.
  void Shutdown();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace scrm::bot
