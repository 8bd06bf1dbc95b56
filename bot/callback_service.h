// What the callback routes do, without any networking: query parsing,
// signature and decryption, payload parsing, and the HTTP status for each
// outcome. The server only moves bytes and awaits the inbox write.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "bot/metrics.h"
#include "domain/clock.h"
#include "storage/inbox.h"
#include "wecom/crypto.h"

namespace scrm::bot {

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
  std::string allow{};  // the Allow header of a 405
};

class CallbackService {
 public:
  // References must outlive the service.
  CallbackService(const wecom::MsgCrypt& crypt, Metrics& metrics, const domain::Clock& clock)
      : crypt_(crypt), metrics_(metrics), clock_(clock) {}

  // GET callback_path: 200 with the decrypted echostr as the exact body, or
  // 400/401 naming the problem.
  Reply VerifyUrl(std::string_view raw_query) const;

  // POST callback_path, first half: either a rejection to send now, or the
  // inbox record to store before answering 200.
  std::variant<Reply, storage::InboxRecord> Accept(std::string_view raw_query,
                                                   std::string_view body) const;

  // POST, second half: the reply once the inbox write finished.
  Reply Stored(const storage::Result<int>& outcome) const;

  // A body larger than the configured limit.
  Reply TooLarge() const;
  // A callback POST whose HTTP could not be read: malformed, or its header
  // fields past the limit (status 400 or 431).
  Reply BadHttp(int status, std::string_view what) const;

 private:
  Reply Rejected(Reject reason, int status, std::string_view what) const;
  Reply FromCryptoError(const boost::system::error_code& ec) const;

  const wecom::MsgCrypt& crypt_;
  Metrics& metrics_;
  const domain::Clock& clock_;
};

}  // namespace scrm::bot
