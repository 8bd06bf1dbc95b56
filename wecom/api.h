// The WeCom server API: access tokens and JSON calls with WeCom's error
// policy. Not thread-safe: use from the thread that runs the executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "wecom/errors.h"
#include "wecom/http_client.h"

namespace scrm::wecom {

// What to do about a WeCom errcode (wecom-protocol.md §3.10).
enum class ErrorClass {
  kOk,            // 0
  kRetry,         // -1 system busy, 45009 rate limit, 45033 concurrency: back off and retry
  kRefreshToken,  // 40014, 42001: drop the token, fetch a new one, retry once
  kConfig,        // 40001, 40013, 40091, 48002, 60020, ...: a person must fix the setup
  kPermanent,     // anything else: retrying cannot help
};
ErrorClass ClassifyErrcode(std::int64_t errcode);

// The outcome of one API call.
struct ApiReply {
  boost::system::error_code error;  // transport or protocol error; kApiError for errcode != 0
  std::int64_t errcode = 0;         // WeCom's errcode (0 unless error == kApiError)
  std::string errmsg;
  std::string body;  // the raw JSON answer
  int http_status = 0;
  // The token failed, not the call: fetching it failed (the error above is
  // gettoken's, and the call never reached its API), or WeCom refused a
  // token it had just issued (the error is the call's 40014 or 42001).
  // Nothing about the call itself was wrong.
  bool from_token = false;

  bool ok() const { return !error; }
  // Whether trying the same call again later may succeed.
  bool retryable() const;
};

struct CachedToken {
  std::string value;
  std::int64_t expires_at = 0;  // UTC epoch seconds
};

// Where tokens survive a restart. Implementations must not log the value.
class TokenStore {
 public:
  virtual ~TokenStore() = default;
  virtual std::optional<CachedToken> Load(const std::string& key) = 0;
  virtual void Save(const std::string& key, const CachedToken& token) = 0;
};

using NowFn = std::function<std::int64_t()>;  // UTC epoch seconds

// One access token per app secret. Refreshed ahead of expiry (at 90% of
// expires_in); however many callers wait, one gettoken is in flight. After
// gettoken fails for a configuration error (a wrong secret or corp id, a
// server IP WeCom does not trust), callers get that failure without another
// gettoken for kConfigPauseSeconds, doubling on each further failure up to
// kMaxConfigPauseSeconds: WeCom blocks servers that keep asking with a wrong
// secret. Between the refresh point and the expiry, only the caller that
// refreshes waits; if its gettoken fails, the token is used until it expires
// and the refresh is tried again after kRefreshRetrySeconds.
inline constexpr std::int64_t kConfigPauseSeconds = 60;
inline constexpr std::int64_t kMaxConfigPauseSeconds = 3600;
inline constexpr std::int64_t kRefreshRetrySeconds = 60;
// How long WeCom blocks an API past its rate limit (45009): gettoken is not
// asked again before.
inline constexpr std::int64_t kBlockedSeconds = 60;
// After any other failed gettoken (network, HTTP status, -1, a reply without
// a token) with no token left that works, none is asked for 1 s, doubling
// while they keep failing up to this: WeCom blocks servers that call
// gettoken too often, and an outage would otherwise be met by one gettoken
// per message retried.
inline constexpr std::int64_t kMaxFetchPauseSeconds = 60;

class TokenCache {
 public:
  // `client` and `store` (may be null) must outlive the cache.
  TokenCache(HttpClient& client, std::string api_base, std::string corp_id, std::string secret,
             NowFn now, TokenStore* store);

  // A valid token, or the gettoken failure (kApiError with its errcode).
  boost::asio::awaitable<ApiReply> Get(std::string& token);
  // Forgets `token` if it is the cached one (after 40014/42001).
  void Invalidate(const std::string& token);
  // After `refusal` (40014/42001) of a token fetched to replace a refused
  // one: forgets it (if it is still the cached one), and calls get
  // `refusal` for a configuration pause rather than a gettoken each.
  void Refuse(const std::string& token, const ApiReply& refusal);
  std::uint64_t fetches() const { return fetches_; }
  // Until when (epoch seconds) calls get no token (gettoken is not asked
  // again before): after a configuration error, a refused new token,
  // gettoken's rate limit or another failed gettoken; in the past when they
  // may, as while the token from before still works.
  std::int64_t paused_until() const { return Usable() ? 0 : paused_until_; }

 private:
  struct FetchEnd;
  boost::asio::awaitable<ApiReply> Fetch();
  bool Fresh() const;   // before the refresh point
  bool Usable() const;  // before the expiry
  // No gettoken for kConfigPauseSeconds, doubling while gettoken keeps
  // failing for the configuration (a successful one starts again at the
  // first pause).
  void Pause(const ApiReply& why);
  // No gettoken for `seconds`: calls get `why` meanwhile.
  void PauseFor(std::int64_t seconds, const ApiReply& why);

  HttpClient& client_;
  std::string api_base_;
  std::string corp_id_;
  std::string secret_;
  NowFn now_;
  TokenStore* store_;
  std::string store_key_;
  std::optional<CachedToken> token_;
  std::int64_t refresh_at_ = 0;
  bool fetching_ = false;
  std::uint64_t generation_ = 0;  // completed fetches
  ApiReply last_fetch_;
  ApiReply paused_with_;  // what calls get while paused_until_ has not passed
  std::vector<boost::asio::steady_timer*> waiters_;
  std::uint64_t fetches_ = 0;
  std::int64_t paused_until_ = 0;      // no gettoken before this (paused_with_ says why)
  std::int64_t pause_ = 0;             // the length of the last pause
  std::int64_t fetch_pause_ = 0;       // the last pause after a failed gettoken (not setup)
  std::int64_t retry_refresh_at_ = 0;  // no refresh ahead before this (one failed)
};

// JSON calls on https://qyapi.weixin.qq.com/cgi-bin/... with the token in the
// query. On 40014/42001 the token is refreshed and the call retried once.
class Api {
 public:
  Api(HttpClient& client, TokenCache& tokens, std::string api_base);

  // POST `json` to `path` (e.g. "/cgi-bin/message/send").
  boost::asio::awaitable<ApiReply> Post(std::string path, std::string json);
  // GET `path` with `query` ("a=1&b=2", already encoded).
  boost::asio::awaitable<ApiReply> Get(std::string path, std::string query);

 private:
  boost::asio::awaitable<ApiReply> Call(const std::string& path, const std::string& query,
                                        const std::string& json);

  HttpClient& client_;
  TokenCache& tokens_;
  std::string api_base_;
};

// POSTs `json` to the group robot with webhook `key` (the key is the
// credential: no access token, and it never appears in logs; see RedactUrl).
boost::asio::awaitable<ApiReply> SendWebhook(HttpClient& client, std::string api_base,
                                             std::string key, std::string json);

// Parses errcode/errmsg of a WeCom JSON answer into `reply`.
void ReadErrcode(ApiReply& reply);

// Percent-encodes a query value.
std::string QueryEscape(std::string_view value);

}  // namespace scrm::wecom
