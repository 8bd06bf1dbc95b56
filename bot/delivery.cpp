#include "bot/delivery.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <random>
#include <set>
#include <thread>

#include "bot/async_writer.h"
#include "bot/dispatch.h"
#include "bot/metrics.h"
#include "bot/render.h"
#include "domain/rate_limit.h"
#include "storage/connection.h"
#include "storage/db.h"
#include "storage/inbox.h"
#include "storage/outbox.h"
#include "wecom/api.h"
#include "wecom/http_client.h"

namespace scrm::bot {

namespace {

constexpr int kBatch = 64;

// Tokens live in the database; saving goes through the writer without
// waiting (a lost save only costs one extra gettoken after a restart).
class DbTokenStore final : public wecom::TokenStore {
 public:
  DbTokenStore(storage::Db& db, storage::Writer& writer) : db_(db), writer_(writer) {}
  std::optional<wecom::CachedToken> Load(const std::string& key) override {
    auto found = storage::LoadToken(db_, key);
    if (!found) return std::nullopt;
    return wecom::CachedToken{found->first, found->second};
  }
  void Save(const std::string& key, const wecom::CachedToken& token) override {
    writer_.Submit(
        [key, token](storage::Connection& c) {
          storage::SaveToken(c, key, token.value, token.expires_at);
          return 0;
        },
        [](storage::Result<int>) {});
  }

 private:
  storage::Db& db_;
  storage::Writer& writer_;
};

std::string Describe(const wecom::ApiReply& reply) {
  if (reply.error == wecom::Errc::kApiError) {
    return "errcode " + std::to_string(reply.errcode) + ": " + reply.errmsg;
  }
  if (reply.error == wecom::Errc::kHttpStatus) {
    return "HTTP " + std::to_string(reply.http_status);
  }
  return reply.error.message();
}

}  // namespace

struct Delivery::Impl : std::enable_shared_from_this<Delivery::Impl> {
  Impl(const Config& cfg, storage::Writer& w, const Templates& t, Metrics& m,
       const domain::Clock& c, std::unique_ptr<storage::Db> database)
      : config(cfg),
        writer(w),
        templates(t),
        metrics(m),
        clock(c),
        db(std::move(database)),
        client(ioc.get_executor()),
        token_store(*db, w),
        tokens(
            client, cfg.wecom.api_base, cfg.wecom.corp_id, cfg.wecom.secret,
            [this] { return Now(); }, &token_store),
        api(client, tokens, cfg.wecom.api_base),
        async_writer(std::make_shared<AsyncWriter>(ioc, w, std::chrono::milliseconds(4000))),
        wake_timer(ioc),
        limiter(cfg.delivery.member_messages_per_minute, cfg.delivery.member_messages_per_minute),
        rng(std::random_device{}()) {}

  std::int64_t Now() const { return clock.Now().time_since_epoch().count(); }

  net::awaitable<void> Loop();
  net::awaitable<void> ProcessInbox();
  net::awaitable<double> SendDue();
  net::awaitable<void> SendOne(storage::OutboxRow row);
  storage::Writer::Job Outcome(const storage::OutboxRow& row, const wecom::ApiReply& reply);
  void Poke() {
    woken = true;
    wake_timer.cancel();
  }

  const Config& config;
  storage::Writer& writer;
  const Templates& templates;
  Metrics& metrics;
  const domain::Clock& clock;
  std::unique_ptr<storage::Db> db;  // read connection, delivery thread only
  net::io_context ioc{1};
  wecom::HttpClient client;
  DbTokenStore token_store;
  wecom::TokenCache tokens;
  wecom::Api api;
  std::shared_ptr<AsyncWriter> async_writer;
  net::steady_timer wake_timer;
  domain::RateLimiter limiter;
  std::mt19937 rng;
  std::thread thread;
  // Delivery thread only:
  bool stopping = false;
  bool woken = false;
  std::set<std::int64_t> in_flight;   // outbox ids being sent
  std::set<std::int64_t> unrecorded;  // sent or failed, but the outcome could not be stored
  std::int64_t inbox_after = 0;       // highest inbox id dispatched
};

std::variant<std::unique_ptr<Delivery>, std::string> Delivery::Create(const Config& config,
                                                                      storage::Writer& writer,
                                                                      const Templates& templates,
                                                                      Metrics& metrics,
                                                                      const domain::Clock& clock) {
  storage::DbOptions options;
  options.path = config.storage.sqlite_path;
  auto db = storage::Db::Open(options);
  if (!db) return "storage.sqlite_path: " + db.error().message();
  auto impl = std::make_shared<Impl>(config, writer, templates, metrics, clock, std::move(*db));
  return std::unique_ptr<Delivery>(new Delivery(std::move(impl)));
}

Delivery::Delivery(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Delivery::~Delivery() { Stop(); }

void Delivery::Start() {
  net::co_spawn(impl_->ioc, impl_->Loop(), [](std::exception_ptr e) {
    if (e) spdlog::error("delivery loop ended with an exception");
  });
  impl_->thread = std::thread([impl = impl_] {
    pthread_setname_np(pthread_self(), "scrm-delivery");
    impl->ioc.run();
  });
}

void Delivery::Wake() {
  net::post(impl_->ioc, [impl = impl_] { impl->Poke(); });
}

void Delivery::Stop() {
  if (!impl_->thread.joinable()) return;
  net::post(impl_->ioc, [impl = impl_] {
    impl->stopping = true;
    impl->wake_timer.cancel();
  });
  impl_->thread.join();
}

net::awaitable<void> Delivery::Impl::Loop() {
  auto self = shared_from_this();
  while (!stopping) {
    woken = false;
    co_await ProcessInbox();
    double wait = co_await SendDue();
    if (stopping) break;
    if (woken) continue;
    wake_timer.expires_after(std::chrono::milliseconds(static_cast<int>(wait * 1000)));
    co_await wake_timer.async_wait(net::as_tuple(net::use_awaitable));
  }
  // Let the calls in flight finish and record their outcome.
  while (!in_flight.empty()) {
    wake_timer.expires_at(net::steady_timer::time_point::max());
    co_await wake_timer.async_wait(net::as_tuple(net::use_awaitable));
  }
}

net::awaitable<void> Delivery::Impl::ProcessInbox() {
  auto rows = storage::UnprocessedInbox(*db, inbox_after, kBatch);
  if (!rows) {
    spdlog::error("cannot read the inbox: {}", rows.error().message());
    co_return;
  }
  for (const auto& row : *rows) {
    auto messages = Dispatch(row, {templates, config.wecom.agent_id});
    std::int64_t now = Now();
    storage::Writer::Job job = [id = row.id, messages, now](storage::Connection& c) {
      if (!storage::MarkInboxProcessed(c, id, now)) return 0;
      for (const auto& m : messages) storage::EnqueueOutbox(c, m, now);
      return static_cast<int>(messages.size());
    };
    auto done = co_await async_writer->Run(std::move(job));
    if (!done) {
      spdlog::error("cannot record inbox row {}: {}", row.id, done.error().message());
      co_return;  // the row stays unprocessed and is tried again
    }
    inbox_after = row.id;
  }
  if (rows->size() == static_cast<size_t>(kBatch)) woken = true;  // more to read
}

net::awaitable<double> Delivery::Impl::SendDue() {
  std::int64_t now = Now();
  double wait = 1.0;
  auto rows = storage::DueOutbox(*db, now, kBatch);
  if (!rows) {
    spdlog::error("cannot read the outbox: {}", rows.error().message());
    co_return wait;
  }
  for (auto& row : *rows) {
    if (in_flight.count(row.id) || unrecorded.count(row.id)) continue;
    if (static_cast<int>(in_flight.size()) >= config.delivery.concurrency) break;
    if (!limiter.TryTake(row.message.recipient, static_cast<double>(now))) {
      wait = std::min(wait, limiter.WaitSeconds(row.message.recipient, static_cast<double>(now)));
      continue;
    }
    in_flight.insert(row.id);
    net::co_spawn(ioc, SendOne(std::move(row)), net::detached);
  }
  auto next = storage::NextOutboxAttempt(*db);
  if (next && *next && **next > now) wait = std::min(wait, static_cast<double>(**next - now));
  auto counts = storage::CountOutbox(*db);
  if (counts) metrics.SetOutbox(counts->pending, counts->sent, counts->dead);
  co_return std::max(wait, 0.01);
}

storage::Writer::Job Delivery::Impl::Outcome(const storage::OutboxRow& row,
                                             const wecom::ApiReply& reply) {
  std::int64_t now = Now();
  std::int64_t id = row.id;
  if (reply.ok()) {
    metrics.OutboxSent(static_cast<double>(now - row.created_at));
    return [id, now](storage::Connection& c) {
      storage::MarkOutboxSent(c, id, now);
      return 0;
    };
  }
  std::string why = Describe(reply);
  bool refresh = reply.error == wecom::Errc::kApiError &&
                 wecom::ClassifyErrcode(reply.errcode) == wecom::ErrorClass::kRefreshToken;
  if (reply.retryable() || refresh) {
    int shift = std::min(row.attempts, 16);
    std::int64_t base = std::min<std::int64_t>(config.delivery.max_backoff_seconds, 1LL << shift);
    std::int64_t jitter = std::uniform_int_distribution<std::int64_t>(0, base / 2)(rng);
    std::int64_t next = now + base + jitter;
    metrics.OutboxRetried();
    spdlog::warn("outbox {} to {}: {}; retry in {} s", id, row.message.recipient, why, next - now);
    return [id, next, code = reply.errcode, why](storage::Connection& c) {
      storage::MarkOutboxRetry(c, id, next, code, why);
      return 0;
    };
  }
  bool config_error = reply.error == wecom::Errc::kApiError &&
                      wecom::ClassifyErrcode(reply.errcode) == wecom::ErrorClass::kConfig;
  metrics.OutboxDead(config_error);
  spdlog::error("outbox {} to {} moved to the dead letter: {}{}", id, row.message.recipient, why,
                config_error ? " (a configuration error: check wecom.corp_id, wecom.secret and "
                               "the app's permissions, then `scrm-bot outbox retry`)"
                             : "");
  return [id, code = reply.errcode, why](storage::Connection& c) {
    storage::MarkOutboxDead(c, id, code, why);
    return 0;
  };
}

net::awaitable<void> Delivery::Impl::SendOne(storage::OutboxRow row) {
  auto self = shared_from_this();
  wecom::ApiReply reply = co_await api.Post(row.message.api, row.message.body);
  storage::Writer::Job record = Outcome(row, reply);
  auto recorded = co_await async_writer->Run(std::move(record));
  in_flight.erase(row.id);
  if (!recorded) {
    // This process must not send the row again while the database cannot
    // say whether it was sent.
    unrecorded.insert(row.id);
    spdlog::error("cannot record the outcome of outbox {}: {}", row.id, recorded.error().message());
  }
  Poke();
}

}  // namespace scrm::bot
