#include "wecom/api.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace scrm::wecom {

namespace net = boost::asio;

ErrorClass ClassifyErrcode(std::int64_t errcode) {
  switch (errcode) {
    case 0:
      return ErrorClass::kOk;
    case -1:
    case 45009:
    case 45033:
    case 41096:  // another app is sending the welcome message: it may be free in a moment
      return ErrorClass::kRetry;
    case 40014:
    case 42001:
      return ErrorClass::kRefreshToken;
    case 40001:
    case 40013:
    case 40056:
    case 40091:
    case 41001:
    case 48002:
    case 60020:
    case 93000:
    case 93004:
    case 301002:
      return ErrorClass::kConfig;
    default:
      return ErrorClass::kPermanent;
  }
}

bool ApiReply::retryable() const {
  if (!error) return false;
  if (error == Errc::kApiError) return ClassifyErrcode(errcode) == ErrorClass::kRetry;
  // A proxy or gateway in between timed out, throttled or failed.
  if (error == Errc::kHttpStatus) {
    return http_status >= 500 || http_status == 429 || http_status == 408;
  }
  // An answer that is not WeCom's JSON came from something in between.
  return error == Errc::kNetwork || error == Errc::kTimeout || error == Errc::kBadJson;
}

void ReadErrcode(ApiReply& reply) {
  rapidjson::Document doc;
  doc.Parse(reply.body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) {
    reply.error = Errc::kBadJson;
    return;
  }
  auto code = doc.FindMember("errcode");
  if (code == doc.MemberEnd() || !code->value.IsInt64()) {
    // Every WeCom answer carries errcode; without it, this is not WeCom
    // saying "done" (a proxy's "{}", say), so it is not taken as success.
    reply.error = Errc::kBadJson;
    return;
  }
  reply.errcode = code->value.GetInt64();
  auto msg = doc.FindMember("errmsg");
  if (msg != doc.MemberEnd() && msg->value.IsString()) reply.errmsg = msg->value.GetString();
  if (reply.errcode != 0) reply.error = Errc::kApiError;
}

std::string QueryEscape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

// Runs one HTTP exchange and turns it into an ApiReply.
net::awaitable<ApiReply> Exchange(HttpClient& client, std::string url, std::string json) {
  ApiReply reply;
  auto res = co_await client.Request(std::move(url), std::move(json));
  if (!res) {
    reply.error = res.error();
    co_return reply;
  }
  reply.http_status = res->status;
  reply.body = std::move(res->body);
  if (res->status != 200) {
    reply.error = Errc::kHttpStatus;
    co_return reply;
  }
  ReadErrcode(reply);
  co_return reply;
}

}  // namespace

net::awaitable<ApiReply> SendWebhook(HttpClient& client, std::string api_base, std::string key,
                                     std::string json) {
  std::string url = api_base + "/cgi-bin/webhook/send?key=" + QueryEscape(key);
  co_return co_await Exchange(client, std::move(url), std::move(json));
}

TokenCache::TokenCache(HttpClient& client, std::string api_base, std::string corp_id,
                       std::string secret, NowFn now, TokenStore* store)
    : client_(client),
      api_base_(std::move(api_base)),
      corp_id_(std::move(corp_id)),
      secret_(std::move(secret)),
      now_(std::move(now)),
      store_(store) {
  // The store key names the app without containing its secret.
  std::size_t h = std::hash<std::string>{}(secret_);
  store_key_ = corp_id_ + "/" + std::to_string(h % 1000000007);
  if (store_) {
    if (auto saved = store_->Load(store_key_); saved && saved->expires_at > now_()) {
      token_ = saved;
      refresh_at_ = saved->expires_at - 300;
    }
  }
}

bool TokenCache::Fresh() const { return token_ && now_() < refresh_at_; }

bool TokenCache::Usable() const { return token_ && now_() < token_->expires_at; }

void TokenCache::Invalidate(const std::string& token) {
  if (token_ && token_->value == token) token_.reset();
}

void TokenCache::Refuse(const std::string& token, const ApiReply& refusal) {
  Invalidate(token);
  if (now_() >= paused_until_) Pause(refusal);  // once for calls refused together
}

namespace {

// The next of a run of pauses: `first`, then twice the last, up to `most`.
std::int64_t Doubled(std::int64_t last, std::int64_t first, std::int64_t most) {
  return last == 0 ? first : std::min(last * 2, most);
}

}  // namespace

void TokenCache::Pause(const ApiReply& why) {
  pause_ = Doubled(pause_, kConfigPauseSeconds, kMaxConfigPauseSeconds);
  PauseFor(pause_, why);
}

void TokenCache::PauseFor(std::int64_t seconds, const ApiReply& why) {
  paused_until_ = now_() + seconds;
  paused_with_ = why;
}

net::awaitable<ApiReply> TokenCache::Get(std::string& token) {
  for (;;) {
    if (Fresh()) {
      token = token_->value;
      co_return ApiReply{};
    }
    // Past the refresh point the token still works until it expires: calls
    // go on with it while another caller refreshes it, and for a while after
    // a refresh failed, instead of waiting for gettoken or failing with it.
    if (Usable() && (fetching_ || now_() < retry_refresh_at_ || now_() < paused_until_)) {
      token = token_->value;
      co_return ApiReply{};
    }
    if (now_() < paused_until_) co_return paused_with_;
    if (!fetching_) break;
    // Another caller is fetching: wait for it and share its outcome, so a
    // failing gettoken is not repeated by every waiter.
    std::uint64_t generation = generation_;
    net::steady_timer wait(co_await net::this_coro::executor, net::steady_timer::time_point::max());
    waiters_.push_back(&wait);
    co_await wait.async_wait(net::as_tuple(net::use_awaitable));
    if (generation_ != generation && !last_fetch_.ok()) co_return last_fetch_;
  }
  ApiReply reply = co_await Fetch();
  if (reply.ok() || Usable()) {
    if (!reply.ok()) retry_refresh_at_ = now_() + kRefreshRetrySeconds;
    token = token_->value;
    co_return ApiReply{};
  }
  co_return reply;
}

// Whatever ends a fetch, an exception included, it is no longer in flight
// and its waiters go on.
struct TokenCache::FetchEnd {
  TokenCache& cache;
  ~FetchEnd() {
    cache.fetching_ = false;
    ++cache.generation_;
    auto waiters = std::move(cache.waiters_);
    cache.waiters_.clear();
    for (auto* w : waiters) w->cancel();
  }
};

net::awaitable<ApiReply> TokenCache::Fetch() {
  fetching_ = true;
  ++fetches_;
  FetchEnd end{*this};
  ApiReply reply =
      co_await Exchange(client_,
                        api_base_ + "/cgi-bin/gettoken?corpid=" + QueryEscape(corp_id_) +
                            "&corpsecret=" + QueryEscape(secret_),
                        "");
  if (reply.ok()) {
    rapidjson::Document doc;
    doc.Parse(reply.body.c_str());
    auto value = doc.FindMember("access_token");
    auto expires = doc.FindMember("expires_in");
    // A token that is empty or already expired would be used (or fetched
    // again) on every call: not a token.
    if (value == doc.MemberEnd() || !value->value.IsString() ||
        value->value.GetStringLength() == 0 || expires == doc.MemberEnd() ||
        !expires->value.IsInt64() || expires->value.GetInt64() <= 0) {
      reply.error = Errc::kBadJson;
    } else {
      std::int64_t now = now_();
      std::int64_t ttl = expires->value.GetInt64();
      token_ = CachedToken{value->value.GetString(), now + ttl};
      refresh_at_ = now + ttl * 9 / 10;
      if (store_) store_->Save(store_key_, *token_);
    }
  }
  bool config =
      reply.error == Errc::kApiError && ClassifyErrcode(reply.errcode) == ErrorClass::kConfig;
  if (config) {
    Pause(reply);
  } else if (reply.error == Errc::kApiError && reply.errcode == 45009) {
    // WeCom blocks gettoken for a minute past its limit: no call asks again
    // before then (each would meet the same block).
    PauseFor(kBlockedSeconds, reply);
  } else if (reply.ok()) {
    pause_ = 0;
    fetch_pause_ = 0;
  } else if (!Usable()) {
    fetch_pause_ = Doubled(fetch_pause_, 1, kMaxFetchPauseSeconds);
    PauseFor(fetch_pause_, reply);
  }
  last_fetch_ = reply;
  co_return reply;
}

Api::Api(HttpClient& client, TokenCache& tokens, std::string api_base)
    : client_(client), tokens_(tokens), api_base_(std::move(api_base)) {}

net::awaitable<ApiReply> Api::Post(std::string path, std::string json) {
  co_return co_await Call(path, "", json);
}

net::awaitable<ApiReply> Api::Get(std::string path, std::string query) {
  co_return co_await Call(path, query, "");
}

net::awaitable<ApiReply> Api::Call(const std::string& path, const std::string& query,
                                   const std::string& json) {
  ApiReply reply;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string token;
    ApiReply got = co_await tokens_.Get(token);
    if (!got.ok()) {
      got.from_token = true;
      co_return got;
    }
    std::string url = api_base_ + path + "?access_token=" + QueryEscape(token);
    if (!query.empty()) url += "&" + query;
    reply = co_await Exchange(client_, std::move(url), json);
    if (reply.error == Errc::kApiError &&
        ClassifyErrcode(reply.errcode) == ErrorClass::kRefreshToken) {
      if (attempt == 0) {
        tokens_.Invalidate(token);
        continue;
      }
      // The new token refused as well: asking for another at every call
      // would not help, and is what WeCom blocks. (Whichever call meets
      // this first pauses the others, even if the token it was refused
      // had been replaced meanwhile.)
      tokens_.Refuse(token, reply);
      reply.from_token = true;
    }
    break;
  }
  co_return reply;
}

}  // namespace scrm::wecom
