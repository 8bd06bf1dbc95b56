#include "bot/delivery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "bot/approvals.h"
#include "bot/async_writer.h"
#include "bot/crm_context.h"
#include "bot/customer_events.h"
#include "bot/digest.h"
#include "bot/dispatch.h"
#include "bot/local_time.h"
#include "bot/metrics.h"
#include "bot/org.h"
#include "bot/query.h"
#include "bot/reminders.h"
#include "bot/render.h"
#include "domain/rate_limit.h"
#include "domain/schedule.h"
#include "storage/connection.h"
#include "storage/db.h"
#include "storage/inbox.h"
#include "storage/outbox.h"
#include "wecom/api.h"
#include "wecom/cards.h"
#include "wecom/contacts.h"
#include "wecom/http_client.h"

namespace scrm::bot {

namespace {

constexpr int kBatch = 256;                      // rows read per pass
constexpr std::int64_t kCountSeconds = 5;        // outbox gauges: pending and dead
constexpr std::int64_t kFullCountSeconds = 600;  // and sent, which reads the table
constexpr int kBatchPauseMs = 5;                 // between passes while work keeps arriving
constexpr std::size_t kMaxHandedOver = 8192;     // rows kept in memory for dispatch
// How long a row whose outcome could not be stored waits before it is sent
// again (WeCom did not take it) or its outcome is written again (it did).
constexpr std::int64_t kUnrecordedPauseSeconds = 60;
// A welcome_code is good for 20 s after the customer's add event: a welcome
// still failing by then is given up.
constexpr std::int64_t kWelcomeSeconds = 20;
// WeCom's "system busy" (-1) for one message time after time: after this
// many in a row (about five minutes of backoff) the message goes to the
// dead letter, where `outbox retry` finds it, instead of holding its
// recipient's later messages for good. WeCom itself advises about three
// retries.
constexpr int kMaxBusyTries = 8;
constexpr double kMinute = 61;               // rate-limit windows: WeCom's minute and hour,
constexpr double kHour = 3601;               // and a second (see the limiters)
constexpr std::size_t kDispatchPerJob = 32;  // rows handled per writer job
// Batches a row may fail for the database's sake before it is skipped.
constexpr int kTransientTries = 5;

// Whether an outbox recipient is a group robot (its calls go by webhook key,
// without an access token).
bool IsRobot(const std::string& recipient) { return recipient.starts_with(kRobotPrefix); }

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

// Every call in flight may return its connection to the pool, so a full
// set of concurrent calls reuses connections instead of opening new ones.
wecom::HttpClientOptions ClientOptions(const Config& config) {
  wecom::HttpClientOptions options;
  options.max_idle_per_host = static_cast<std::size_t>(config.delivery.concurrency);
  options.ca_file = config.wecom.ca_file;
  return options;
}

std::string Describe(const wecom::ApiReply& reply) {
  if (reply.error == wecom::Errc::kApiError) {
    return "errcode " + std::to_string(reply.errcode) + ": " + reply.errmsg;
  }
  if (reply.error == wecom::Errc::kHttpStatus) {
    return "HTTP " + std::to_string(reply.http_status);
  }
  return reply.error.message();
}

// A welcome message whose code has expired (kWelcomeSeconds after the
// customer added the rep): WeCom would refuse it.
bool WelcomeExpired(const storage::OutboxRow& row, std::int64_t now) {
  return PathOf(row.message.api) == wecom::kSendWelcomeMsgPath &&
         now - row.created_at > kWelcomeSeconds;
}

// message/send answers errcode 0 and names the members it did not reach:
// unknown userids (when others were valid) and members without an interface
// licence. Each row has one recipient, so a name means no one got the
// message: the reply becomes an 81013 ("all recipients invalid") and the row
// goes to the dead letter instead of counting as sent.
wecom::ApiReply Unreached(const storage::OutboxRow& row, wecom::ApiReply reply) {
  if (!reply.ok() || PathOf(row.message.api) != wecom::kMessageSendPath) return reply;
  auto sent = wecom::ParseSendReply(reply.body);
  if (!sent) return reply;
  std::string who;
  if (!sent->invalid_users.empty()) who = "invaliduser " + sent->invalid_users;
  if (!sent->unlicensed_users.empty()) who = "unlicenseduser " + sent->unlicensed_users;
  if (who.empty()) return reply;
  reply.error = wecom::Errc::kApiError;
  reply.errcode = 81013;
  reply.errmsg = "answered 0 but not delivered: " + who;
  return reply;
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
        client(ioc.get_executor(), ClientOptions(cfg)),
        token_store(*db, w),
        tokens(
            client, cfg.wecom.api_base, cfg.wecom.corp_id, cfg.wecom.secret,
            [this] { return Now(); }, &token_store),
        api(client, tokens, cfg.wecom.api_base),
        async_writer(std::make_shared<AsyncWriter>(ioc, w, std::chrono::milliseconds(4000))),
        wake_timer(ioc),
        // Windows a second longer than WeCom's: the clock counts whole
        // seconds, so a call at 100.9 s is recorded at 100 and one "60 s
        // later" at 160.0 would be only 59.1 s after it.
        member_limiter({{cfg.delivery.member_messages_per_minute, kMinute},
                        {cfg.delivery.member_messages_per_hour, kHour}}),
        robot_limiter({{cfg.delivery.robot_messages_per_minute, kMinute}}),
        api_limiter({{cfg.delivery.api_calls_per_minute, kMinute},
                     {cfg.delivery.api_calls_per_hour, kHour}}),
        rng(std::random_device{}()),
        funnel(FunnelOf(cfg)) {}

  std::int64_t Now() const { return clock.Now().time_since_epoch().count(); }

  net::awaitable<void> Loop();
  // Counts the sends of the last hour against the limits; false when they
  // cannot be read.
  bool CountEarlierSends();
  net::awaitable<void> ProcessInbox();
  int DispatchOne(storage::Connection& c, const storage::InboxRow& row, const CrmContext& ctx);
  // Inside a writer job: runs `handler` with the CRM context at `now` and
  // queues the messages it returns; returns how many.
  template <class Handler>
  int Handle(storage::Connection& c, std::int64_t now, Handler handler) {
    Org org = Org::Load(c, config.teams);
    CrmContext ctx{config, funnel, templates, org, now};
    Messages messages = handler(ctx);
    for (const auto& m : messages) storage::EnqueueOutbox(c, m, now);
    return static_cast<int>(messages.size());
  }
  net::awaitable<void> ScanReminders();
  net::awaitable<void> RunSchedule();
  std::optional<std::vector<storage::InboxRow>> TakeHandedOver();
  storage::Result<std::vector<storage::InboxRow>> NextInboxRows();
  net::awaitable<double> SendDue();
  net::awaitable<void> SendOne(storage::OutboxRow row);
  net::awaitable<void> RecordAgain(std::int64_t id, storage::Writer::Job outcome);
  // Writes the kept outcome of row `id` again, counted as in flight.
  void StartRecordAgain(std::int64_t id) {
    in_flight.insert(id);
    net::co_spawn(ioc, RecordAgain(id, unrecorded[id].outcome), net::detached);
  }
  net::awaitable<void> WaitForInFlight();
  AsyncWriter::Late RecordedLate(std::int64_t id);
  net::awaitable<wecom::ApiReply> Call(const storage::OutboxRow& row);
  bool Admit(const storage::OutboxRow& row, double now, double& wait);
  // What a 45009 pauses: the group robot for its rows, the API path for the others.
  static std::string PauseKey(const storage::OutboxRow& row) {
    const std::string& to = row.message.recipient;
    return IsRobot(to) ? to : std::string(PathOf(row.message.api));
  }
  // The limiter for a recipient: a group robot's or a member's.
  domain::RateLimiter& RecipientLimiter(const std::string& to) {
    return IsRobot(to) ? robot_limiter : member_limiter;
  }
  void RefreshOutboxGauges(std::int64_t now);
  bool TryStart(storage::OutboxRow& row, std::int64_t now, double& wait,
                std::set<std::string>& seen);
  int StartFromHeads(std::int64_t now, double& wait, std::set<std::string>& seen);
  storage::Writer::Job Outcome(const storage::OutboxRow& row, const wecom::ApiReply& reply);
  void Poke() {
    woken = true;
    if (!pausing) wake_timer.cancel();
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
  domain::RateLimiter member_limiter;  // per member (and per app chat)
  domain::RateLimiter robot_limiter;   // per group robot
  domain::RateLimiter api_limiter;     // per API path
  domain::Pauses paused;               // API paths and robots WeCom refused with 45009
  std::mt19937 rng;
  std::thread thread;
  std::atomic<bool> wake_posted{false};  // cleared when a pass starts
  std::mutex handoff_mu;
  std::vector<storage::InboxRow> handed_over;  // guarded by handoff_mu, in commit order
  bool handoff_overflowed = false;             // guarded by handoff_mu
  // Delivery thread only:
  bool stopping = false;
  bool woken = false;
  bool pausing = false;              // a short batching pause that wake-ups do not cut
  bool send_needed = true;           // the outbox may hold something to send now
  double next_wait = 1.0;            // seconds until the outbox needs a look at the latest
  std::int64_t send_due_at = 0;      // when it needs that look, wake-ups or not
  std::set<std::int64_t> in_flight;  // outbox ids being sent
  // Rows whose outcome could not be stored. A row WeCom did not take is
  // sent again after a pause; one it took is not (that would duplicate the
  // message): its outcome is written again after the pause, until it lands.
  struct Unrecorded {
    std::int64_t until = 0;
    storage::Writer::Job outcome;  // set when WeCom took the call
  };
  std::map<std::int64_t, Unrecorded> unrecorded;
  std::int64_t inbox_after = -1;  // dispatch cursor; -1 until read
  bool caught_up = false;         // rows after the cursor arrive by hand-over
  // Failures of the database while handling a row, by inbox row id (used
  // on the writer thread only).
  std::map<std::int64_t, int> transient_tries;
  bool earlier_sends_failed = false;      // told once until they can be read
  bool drained = false;                   // the inbox stored before the start is handled
  std::deque<storage::InboxRow> backlog;  // read, not yet dispatched, in id order
  std::int64_t counted_at = 0;            // when the outbox counts were last read
  std::int64_t fully_counted_at = 0;      // when sent rows were last counted
  // Neither a full window of pending rows nor the recipients' oldest rows
  // had anything that could go (each waits for a retry or a rate limit):
  // the outbox is not read again before this time (a second at most) unless
  // a call finishes. Without this, a large backlog was re-read on every pass.
  std::int64_t blocked_until = 0;
  std::string heads_after;               // where the next look at recipients' oldest rows starts
  std::int64_t next_scan_at = 0;         // when reminders are looked for next
  std::int64_t schedule_looked_at = -1;  // the second the schedule was last looked at
  std::string digest_done;               // the job periods last seen run (daily|weekly)
  domain::Funnel funnel;
};

std::variant<std::unique_ptr<Delivery>, std::string> Delivery::Create(const Config& config,
                                                                      storage::Writer& writer,
                                                                      const Templates& templates,
                                                                      Metrics& metrics,
                                                                      const domain::Clock& clock) {
  storage::DbOptions options;
  options.path = config.storage.sqlite_path;
  options.cache_kib = storage::kReaderCacheKib;  // reads what the writer just wrote
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

int RecordSent(storage::Connection& c, std::int64_t id, std::int64_t now,
               const std::function<int()>& apply) {
  // A mark written again after a failed write finds the row sent when the
  // first one landed after all: WeCom's answer is applied once.
  if (!storage::MarkOutboxSent(c, id, now)) return 0;
  return ApplyAfterMark(c, id, apply);
}

int ApplyAfterMark(storage::Connection& c, std::int64_t id, const std::function<int()>& apply) {
  auto run = [&c](const char* statement) { storage::Use(c, statement)->exec(); };
  run("SAVEPOINT reply");
  try {
    int result = apply();
    run("RELEASE reply");
    return result;
  } catch (const std::exception& e) {
    // A busy database or a full disk: the whole outcome is written again
    // later and the answer applied then (a call WeCom took is not made
    // again; a refused one may be tried once more).
    if (!storage::InTransaction(c)) throw;  // SQLite ended the transaction
    run("ROLLBACK TO reply");
    run("RELEASE reply");
    if (storage::IsTransient(e)) throw;
    spdlog::error("outbox {} is recorded, but applying what WeCom answered failed: {}", id,
                  e.what());
    return -1;
  }
}

void Delivery::Wake() {
  // One wake-up per pass is enough however many callbacks arrive meanwhile:
  // the pass that follows it sees them all.
  if (impl_->wake_posted.exchange(true)) return;
  net::post(impl_->ioc, [impl = impl_] { impl->Poke(); });
}

void Delivery::Stored(storage::InboxRow&& row) {
  {
    std::lock_guard lock(impl_->handoff_mu);
    if (impl_->handed_over.size() < kMaxHandedOver) {
      impl_->handed_over.push_back(std::move(row));
    } else {
      impl_->handoff_overflowed = true;  // the worker falls back to reading the inbox
    }
  }
  Wake();
}

void Delivery::Stop() {
  if (!impl_->thread.joinable()) return;
  net::post(impl_->ioc, [impl = impl_] {
    impl->stopping = true;
    impl->wake_timer.cancel();
  });
  impl_->thread.join();
}

// The rate limits look back an hour: calls sent before a restart count, or
// a restart would let a member's limit be exceeded (and WeCom would drop
// the excess without an error).
bool Delivery::Impl::CountEarlierSends() {
  auto sent = storage::SentSince(*db, Now() - 3600);
  if (!sent) {
    // Nothing is sent until they are counted: WeCom drops what goes past a
    // member's limit without a word.
    if (!earlier_sends_failed) {
      spdlog::error("cannot read the messages sent in the last hour: {}; sending waits",
                    sent.error().message());
    }
    earlier_sends_failed = true;
    return false;
  }
  for (const auto& call : *sent) {
    auto at = static_cast<double>(call.sent_at);
    RecipientLimiter(call.recipient).Record(call.recipient, at);
    api_limiter.Record(std::string(PathOf(call.api)), at);
  }
  if (earlier_sends_failed) spdlog::info("messages sent in the last hour counted; sending starts");
  return true;
}

net::awaitable<void> Delivery::Impl::Loop() {
  auto self = shared_from_this();
  bool counted = false;  // the last hour's sends, read before anything goes out
  while (!stopping) {
    woken = false;
    wake_posted = false;
    co_await ProcessInbox();
    // Not before the callbacks stored before a start have all been handled:
    // a rep is not reminded of a follow-up they typed, nor a digest made
    // without them. (Once drained, a later backlog does not hold them up.)
    if (!drained && caught_up && backlog.empty()) drained = true;
    if (drained) {
      co_await ScanReminders();
      co_await RunSchedule();
    }
    // The outbox is read only when something there may have changed: new
    // rows, a finished call, or a retry or rate limit running out.
    // A wake-up cuts the wait short, so a stream of callbacks that queue
    // nothing would keep the outbox from being read: it is read once its
    // wait has passed, wake-ups or not.
    if (Now() >= send_due_at) send_needed = true;
    if (!counted) counted = CountEarlierSends();
    if (send_needed && counted) {
      send_needed = false;
      next_wait = co_await SendDue();
      send_due_at =
          Now() + std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(next_wait)));
    }
    double wait =
        std::min(next_wait, static_cast<double>(std::max<std::int64_t>(1, next_scan_at - Now())));
    if (stopping) break;
    // Woken during the pass: go again after a short pause, so a stream of
    // callbacks is read in batches rather than one pass each.
    auto pause = !backlog.empty() ? std::chrono::milliseconds(0)  // the rest of a burst
                 : woken          ? std::chrono::milliseconds(kBatchPauseMs)
                                  : std::chrono::milliseconds(static_cast<int>(wait * 1000));
    pausing = woken;
    wake_timer.expires_after(pause);
    auto [ec] = co_await wake_timer.async_wait(net::as_tuple(net::use_awaitable));
    if (!ec) send_needed = true;  // the wait ran out: retries may be due
    pausing = false;
  }
  // Let the calls in flight finish and record their outcome, and write once
  // more what WeCom took but could not be written yet: a row left pending
  // is sent again after the restart.
  co_await WaitForInFlight();
  std::vector<std::int64_t> unwritten;
  for (const auto& [id, held] : unrecorded) {
    if (held.outcome) unwritten.push_back(id);
  }
  for (std::int64_t id : unwritten) StartRecordAgain(id);
  co_await WaitForInFlight();
  for (const auto& [id, held] : unrecorded) {
    if (!held.outcome) continue;
    spdlog::error(
        "outbox {}: WeCom took it, but the database still has it pending: it is sent "
        "again after the restart",
        id);
  }
}

net::awaitable<void> Delivery::Impl::WaitForInFlight() {
  while (!in_flight.empty()) {
    wake_timer.expires_at(net::steady_timer::time_point::max());
    co_await wake_timer.async_wait(net::as_tuple(net::use_awaitable));
  }
}

net::awaitable<void> Delivery::Impl::ProcessInbox() {
  if (inbox_after < 0) {
    auto cursor = storage::DispatchCursor(*db);
    if (!cursor) {
      spdlog::error("cannot read the dispatch cursor: {}", cursor.error().message());
      co_return;
    }
    inbox_after = *cursor;
  }
  if (backlog.empty()) {
    auto rows = NextInboxRows();
    if (!rows) {
      spdlog::error("cannot read the inbox: {}", rows.error().message());
      co_return;
    }
    for (auto& row : *rows) backlog.push_back(std::move(row));
  }
  if (backlog.empty()) co_return;
  // One transaction per batch: the cursor moves past the rows together with
  // every change they cause and every message they send, and a burst of
  // callbacks costs one commit instead of one each. A batch holds at most
  // kDispatchPerJob rows that need handling, so the writer never holds up
  // the commits of arriving callbacks for long.
  std::int64_t now = Now();
  std::int64_t from = inbox_after;
  std::int64_t to = from;
  std::vector<storage::InboxRow> batch;
  while (!backlog.empty() && batch.size() < kDispatchPerJob) {
    storage::InboxRow& row = backlog.front();
    to = row.id;
    if (NeedsDispatch(row.record.kind)) batch.push_back(std::move(row));
    backlog.pop_front();
  }
  storage::Writer::Job job = [this, batch = std::move(batch), now, from,
                              to](storage::Connection& c) {
    if (!storage::AdvanceDispatchCursor(c, from, to)) return -1;
    if (batch.empty()) return 0;
    Org org = Org::Load(c, config.teams);
    int enqueued = 0;
    for (const auto& row : batch) {
      // What a row records is dated when it came (a payment typed at 23:59
      // and handled after a restart belongs to that day), never later than now.
      std::int64_t at = row.record.received_at > 0 ? std::min(row.record.received_at, now) : now;
      enqueued += DispatchOne(c, row, CrmContext{config, funnel, templates, org, at});
      // A member who left or was renamed changes who reports to whom for the
      // rows after it.
      if (row.record.kind == kDirectoryChangeKind) org = Org::Load(c, config.teams);
    }
    return enqueued;
  };
  auto done = co_await async_writer->Run(std::move(job));
  if (!done || *done < 0) {
    if (!done) {
      spdlog::error("cannot record inbox rows {}..{}: {}", from + 1, to, done.error().message());
    } else {
      spdlog::warn("dispatch cursor moved elsewhere; reading it again");
      inbox_after = -1;
    }
    backlog.clear();  // the rows stay undispatched and are read again
    caught_up = false;
    co_return;
  }
  inbox_after = to;
  if (*done > 0) send_needed = true;
  if (!backlog.empty() || !caught_up) woken = true;  // more to do
}

// Dispatches one row inside the batch's transaction. A row whose handling
// fails is rolled back on its own and logged, so one bad row cannot block
// the inbox; it is not tried again. A failure of the database rather than
// of the row (busy, an I/O error, a full disk, or any error after which
// SQLite ended the transaction) fails the whole batch, whose rows are read
// again; a row that failed so kTransientTries times is then skipped.
int Delivery::Impl::DispatchOne(storage::Connection& c, const storage::InboxRow& row,
                                const CrmContext& ctx) {
  if (auto tried = transient_tries.find(row.id);
      tried != transient_tries.end() && tried->second >= kTransientTries) {
    transient_tries.erase(tried);
    metrics.DispatchFailed();
    spdlog::error("inbox row {} ({}) failed {} times and was skipped", row.id, row.record.kind,
                  kTransientTries);
    return 0;
  }
  c.db.exec("SAVEPOINT dispatch_row");
  try {
    Messages messages = Dispatch(c, row, ctx);
    for (const auto& m : messages) storage::EnqueueOutbox(c, m, ctx.now);
    c.db.exec("RELEASE dispatch_row");
    if (!transient_tries.empty()) transient_tries.erase(row.id);
    return static_cast<int>(messages.size());
  } catch (const std::exception& e) {
    bool ended = !storage::InTransaction(c);  // SQLite ended the whole transaction
    if (!ended) {
      c.db.exec("ROLLBACK TO dispatch_row");
      c.db.exec("RELEASE dispatch_row");
    }
    if (ended || storage::IsTransient(e)) {
      ++transient_tries[row.id];
      spdlog::warn("inbox row {} ({}) could not be handled for now, tried again: {}", row.id,
                   row.record.kind, e.what());
      throw;
    }
    transient_tries.erase(row.id);
    metrics.DispatchFailed();
    spdlog::error("inbox row {} ({}) could not be handled and was skipped: {}", row.id,
                  row.record.kind, e.what());
    return 0;
  }
}

// Scheduled jobs (the daily digest, the weekly review): looked at when
// either reaches a new period; the run ledger in the database decides
// whether each runs.
net::awaitable<void> Delivery::Impl::RunSchedule() {
  std::int64_t now = Now();
  if (now == schedule_looked_at) co_return;  // once a second is enough, however many passes
  schedule_looked_at = now;
  const ScheduleConfig& s = config.schedule;
  domain::Schedule daily{domain::Schedule::Every::kDay, s.daily_digest_minute, 1, 1};
  domain::Schedule weekly{domain::Schedule::Every::kWeek, s.weekly_review_minute, 1, 1};
  std::string period = domain::LatestOccurrence(daily, now, s.timezone).period + "|" +
                       domain::LatestOccurrence(weekly, now, s.timezone).period;
  if (period == digest_done) co_return;
  storage::Writer::Job job = [this, now](storage::Connection& c) {
    return Handle(c, now, [&](const CrmContext& ctx) { return RunScheduledJobs(c, ctx); });
  };
  auto done = co_await async_writer->Run(std::move(job));
  if (!done) {
    spdlog::error("scheduled jobs failed: {}", done.error().message());
    co_return;  // tried again on the next pass
  }
  digest_done = period;
  if (*done > 0) send_needed = true;
}

// Due follow-ups and stuck deals become one reminder per rep, inside
// working hours; each reminder is sent once.
net::awaitable<void> Delivery::Impl::ScanReminders() {
  std::int64_t now = Now();
  if (now < next_scan_at) co_return;
  // Outside working hours, looked at again in a minute: the first scan of
  // a day comes as it starts, whatever scan_minutes is (a day's worth of
  // them from a start at 20:00 would otherwise always fall at 20:00).
  if (!InWorkingHours(now, config)) {
    next_scan_at = now + 60;
    co_return;
  }
  // Nor past the end of working hours: the next day's first look is then
  // at its start too.
  std::int64_t to_end = std::int64_t{config.reminders.work_end_minute -
                                     LocalMinuteOfDay(now, config.schedule.timezone)} *
                        60;
  next_scan_at =
      now + std::clamp<std::int64_t>(to_end, 60, std::int64_t{config.reminders.scan_minutes} * 60);
  storage::Writer::Job job = [this, now](storage::Connection& c) {
    return Handle(c, now, [&](const CrmContext& ctx) {
      Messages messages = ReminderMessages(c, ctx);
      Messages waiting = ApprovalReminders(c, ctx);
      messages.insert(messages.end(), waiting.begin(), waiting.end());
      return messages;
    });
  };
  auto done = co_await async_writer->Run(std::move(job));
  if (!done) {
    spdlog::error("reminder scan failed: {}", done.error().message());
    next_scan_at = now;  // try again on the next pass
  } else if (*done > 0) {
    send_needed = true;
  }
}

// The rows handed over since the last pass, or nothing when some were
// dropped for lack of room.
std::optional<std::vector<storage::InboxRow>> Delivery::Impl::TakeHandedOver() {
  std::vector<storage::InboxRow> rows;
  std::lock_guard lock(handoff_mu);
  rows.swap(handed_over);
  if (std::exchange(handoff_overflowed, false)) return std::nullopt;
  return rows;
}

// The next inbox rows after the cursor. Once a read of the database came
// back short, every later row is handed over after its commit, so the
// handed-over rows are used while they continue the cursor without a gap;
// otherwise (at start, after a gap or an overflow) up to kBatch rows are
// read from the database.
storage::Result<std::vector<storage::InboxRow>> Delivery::Impl::NextInboxRows() {
  auto handed = TakeHandedOver();
  if (!handed) caught_up = false;
  if (caught_up) {
    auto done = std::find_if(handed->begin(), handed->end(),
                             [&](const storage::InboxRow& r) { return r.id > inbox_after; });
    handed->erase(handed->begin(), done);
    for (std::size_t i = 0; i < handed->size() && caught_up; ++i) {
      caught_up = (*handed)[i].id == inbox_after + 1 + static_cast<std::int64_t>(i);
    }
    if (caught_up) return std::move(*handed);
  }
  auto rows = storage::ListInbox(*db, inbox_after, kBatch);
  if (rows && rows->size() < static_cast<std::size_t>(kBatch)) caught_up = true;
  return rows;
}

// Starts sending the oldest pending row of each recipient that may go now,
// up to the free call slots. It reads a window of pending rows sized to the
// free slots, and looks further only when nothing in the window could go
// (every row there waits for a retry or a rate limit). When even a full
// window holds nothing that may go, it looks at the oldest row of each
// recipient instead, a batch of recipients at a time in turn, so that one
// recipient's long backlog never holds up the others.
net::awaitable<double> Delivery::Impl::SendDue() {
  std::int64_t now = Now();
  if (now < blocked_until) co_return static_cast<double>(blocked_until - now);
  double wait = 1.0;
  int started_total = 0;
  bool window_full = false;
  std::set<std::string> seen;  // recipients whose oldest pending row was looked at
  int free_slots = config.delivery.concurrency - static_cast<int>(in_flight.size());
  int limit = std::min(kBatch, static_cast<int>(in_flight.size()) + 4 * std::max(free_slots, 1));
  while (free_slots > 0) {
    auto rows = storage::PendingOutbox(*db, limit);
    if (!rows) {
      spdlog::error("cannot read the outbox: {}", rows.error().message());
      co_return wait;
    }
    int started = 0;
    for (auto& row : *rows) started += TryStart(row, now, wait, seen) ? 1 : 0;
    started_total += started;
    window_full = rows->size() == static_cast<std::size_t>(limit);
    bool all_read = !window_full || limit >= kBatch;
    if (started > 0 || all_read) break;
    limit = std::min(kBatch, limit * 4);
  }
  if (started_total == 0 && window_full && free_slots > 0) {
    started_total += StartFromHeads(now, wait, seen);
  }
  if (started_total == 0 && window_full) blocked_until = now + 1;
  RefreshOutboxGauges(now);
  co_return std::max(wait, 0.01);
}

// The outbox gauges: pending and dead rows every few seconds from their
// indexes; sent rows, which need the whole table read, at start and every
// ten minutes (in between, each acknowledged send adds one).
void Delivery::Impl::RefreshOutboxGauges(std::int64_t now) {
  if (now < counted_at) counted_at = now - kCountSeconds;  // the clock went back
  if (now - counted_at < kCountSeconds) return;
  counted_at = now;
  if (now - fully_counted_at >= kFullCountSeconds || now < fully_counted_at) {
    fully_counted_at = now;
    auto counts = storage::CountOutbox(*db);
    if (counts) metrics.SetOutbox(counts->pending, counts->sent, counts->dead);
    return;
  }
  auto counts = storage::CountWaitingOutbox(*db);
  if (counts) metrics.SetOutboxWaiting(counts->pending, counts->dead);
}

// Starts `row` if it is its recipient's oldest pending row (the first one
// looked at), nothing of it is in flight, it is due and the limits admit it.
bool Delivery::Impl::TryStart(storage::OutboxRow& row, std::int64_t now, double& wait,
                              std::set<std::string>& seen) {
  if (static_cast<int>(in_flight.size()) >= config.delivery.concurrency) return false;
  const std::string& to = row.message.recipient;
  if (!seen.insert(to).second) return false;  // only a recipient's oldest row may go
  if (in_flight.count(row.id)) return false;
  if (auto held = unrecorded.find(row.id); held != unrecorded.end()) {
    Unrecorded& h = held->second;
    if (h.until > now) {
      wait = std::min(wait, static_cast<double>(h.until - now));
      return false;
    }
    if (h.outcome) {
      h.until = now + kUnrecordedPauseSeconds;
      StartRecordAgain(row.id);
      return false;
    }
    unrecorded.erase(held);
  }
  if (row.next_attempt_at > now) {
    wait = std::min(wait, static_cast<double>(row.next_attempt_at - now));
    return false;
  }
  if (!Admit(row, static_cast<double>(now), wait)) return false;
  in_flight.insert(row.id);
  net::co_spawn(ioc, SendOne(std::move(row)), net::detached);
  return true;
}

// The next kBatch recipients' oldest rows, after the last recipient looked
// at this way (wrapping around at the end).
int Delivery::Impl::StartFromHeads(std::int64_t now, double& wait, std::set<std::string>& seen) {
  auto heads = storage::PendingHeads(*db, heads_after, kBatch);
  if (!heads) {
    spdlog::error("cannot read the outbox: {}", heads.error().message());
    return 0;
  }
  heads_after = heads->size() < static_cast<std::size_t>(kBatch) ? std::string()
                                                                 : heads->back().message.recipient;
  int started = 0;
  for (auto& row : *heads) started += TryStart(row, now, wait, seen) ? 1 : 0;
  return started;
}

// Whether the row may go now under the recipient's and the API's rate
// limits; otherwise lowers `wait` to when it may.
bool Delivery::Impl::Admit(const storage::OutboxRow& row, double now, double& wait) {
  const std::string& to = row.message.recipient;
  domain::RateLimiter& recipient = RecipientLimiter(to);
  // WeCom's limits are per API: a GET's query is not part of it.
  std::string api_path(PathOf(row.message.api));
  // While gettoken is paused (the app's setup is wrong) no row that needs a
  // token is tried: no error line per row and try. The pause lives in
  // memory, not in the rows, so a restart with the setup fixed sends them.
  double token_wait = IsRobot(to) ? 0 : static_cast<double>(tokens.paused_until()) - now;
  double needed = std::max({recipient.WaitSeconds(to, now), api_limiter.WaitSeconds(api_path, now),
                            paused.WaitSeconds(PauseKey(row), now), token_wait});
  if (needed > 0) {
    wait = std::min(wait, std::max(0.05, needed));
    return false;
  }
  recipient.Record(to, now);
  api_limiter.Record(api_path, now);
  return true;
}

// One API call for the row: app APIs with the access token, group robots
// with the key configured for the robot the row names.
net::awaitable<wecom::ApiReply> Delivery::Impl::Call(const storage::OutboxRow& row) {
  const std::string& to = row.message.recipient;
  if (!IsRobot(to)) {
    if (!row.message.body.empty()) co_return co_await api.Post(row.message.api, row.message.body);
    // A GET: the query is part of the row's api.
    std::string path(PathOf(row.message.api));
    std::string query(QueryOf(row.message.api));
    co_return co_await api.Get(std::move(path), std::move(query));
  }
  std::string robot = to.substr(std::string_view(kRobotPrefix).size());
  auto key = config.robots.find(robot);
  if (key == config.robots.end()) {
    wecom::ApiReply missing;
    missing.error = wecom::Errc::kApiError;
    missing.errcode = 93000;  // what WeCom answers for an unknown key
    missing.errmsg = "robot \"" + robot + "\" is not configured in [robots]";
    co_return missing;
  }
  co_return co_await wecom::SendWebhook(client, config.wecom.api_base, key->second,
                                        row.message.body);
}

storage::Writer::Job Delivery::Impl::Outcome(const storage::OutboxRow& row,
                                             const wecom::ApiReply& answer) {
  const wecom::ApiReply reply = Unreached(row, answer);
  std::int64_t now = Now();
  std::int64_t id = row.id;
  if (reply.ok()) {
    paused.Passed(PauseKey(row), static_cast<double>(now));
    metrics.OutboxSent(static_cast<double>(now - row.created_at));
    // What the reply leads to commits with the row's "sent" mark.
    return [this, id, now, on_reply = row.message.on_reply,
            body = reply.body](storage::Connection& c) {
      if (on_reply.empty()) {  // most rows: nothing to apply, no savepoint
        storage::MarkOutboxSent(c, id, now);
        return 0;
      }
      int queued = RecordSent(c, id, now, [&] {
        return Handle(c, now,
                      [&](const CrmContext& ctx) { return ApplyReply(c, on_reply, body, ctx); });
      });
      if (queued < 0) metrics.DispatchFailed();
      return std::max(queued, 0);
    };
  }
  std::string why = Describe(reply);
  bool refresh = reply.error == wecom::Errc::kApiError &&
                 wecom::ClassifyErrcode(reply.errcode) == wecom::ErrorClass::kRefreshToken;
  // The app's setup, not this message: no token (a wrong secret or corp id),
  // or a server IP WeCom does not trust. Every row would fail the same way;
  // they stay pending until it is fixed.
  // (A token failure that a retry may fix, a busy gettoken say, is retried
  // as any other.)
  bool setup = (reply.from_token && !reply.retryable()) ||
               (reply.error == wecom::Errc::kApiError && reply.errcode == 60020);
  bool expired = WelcomeExpired(row, now);
  if (expired) why += " (the welcome code has expired)";
  // A busy gettoken says nothing about this message: it does not count.
  bool busy_too_long = reply.error == wecom::Errc::kApiError && reply.errcode == -1 &&
                       !reply.from_token && row.busy_tries + 1 >= kMaxBusyTries;
  if (busy_too_long) why += " (still busy after " + std::to_string(kMaxBusyTries) + " tries)";
  if ((reply.retryable() || refresh || setup) && !expired && !busy_too_long) {
    int shift = std::min(row.attempts, 16);
    std::int64_t base = std::min<std::int64_t>(config.delivery.max_backoff_seconds, 1LL << shift);
    std::int64_t jitter = std::uniform_int_distribution<std::int64_t>(0, base / 2)(rng);
    std::int64_t next = now + base + jitter;
    if (reply.error == wecom::Errc::kApiError && reply.errcode == 45009) {
      // WeCom blocks this API (or robot) for 60 s after a minute's limit,
      // to every row: they all wait, this one until then at the earliest.
      // (Refused again right after, an hour's or a day's limit: the next
      // wait doubles, up to an hour.)
      double spread = std::uniform_real_distribution<double>(0, 5)(rng);
      double wait = paused.Pause(PauseKey(row), static_cast<double>(now), 60 + spread);
      next = std::max(next, now + static_cast<std::int64_t>(std::ceil(wait)));
    }
    metrics.OutboxRetried();
    if (setup) {
      metrics.SetupError();
      spdlog::error(
          "outbox {} to {} kept pending, retry in {} s: {} (check wecom.corp_id, "
          "wecom.secret and the app's trusted IPs)",
          id, row.message.recipient, next - now, why);
    } else {
      spdlog::warn("outbox {} to {}: {}; retry in {} s", id, row.message.recipient, why,
                   next - now);
    }
    return [id, next, code = reply.errcode, why, token = reply.from_token](storage::Connection& c) {
      storage::MarkOutboxRetry(c, id, next, code, why, token);
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
  return [this, id, now, code = reply.errcode, why,
          on_reply = row.message.on_reply](storage::Connection& c) {
    // Marked already (a late write of the same outcome): told once.
    if (!storage::MarkOutboxDead(c, id, code, why) || on_reply.empty()) return 0;
    int queued = ApplyAfterMark(c, id, [&] {
      return Handle(
          c, now, [&](const CrmContext& ctx) { return ApplyRefusal(c, on_reply, code, why, ctx); });
    });
    if (queued < 0) metrics.DispatchFailed();
    return std::max(queued, 0);
  };
}

net::awaitable<void> Delivery::Impl::SendOne(storage::OutboxRow row) {
  auto self = shared_from_this();
  wecom::ApiReply reply;
  try {
    if (WelcomeExpired(row, Now())) {
      // WeCom would refuse the code: the row goes to the dead letter
      // without a call (Outcome says why).
      reply.error = wecom::Errc::kNotSent;
    } else {
      reply = co_await Call(row);
    }
  } catch (const std::exception& e) {
    // Out of memory, say: the call's outcome is unknown, as after a network
    // failure, and the row must not stay "in flight" for ever.
    spdlog::error("outbox {}: the call failed: {}", row.id, e.what());
    reply = {};
    reply.error = wecom::Errc::kNetwork;
  }
  storage::Writer::Job record = Outcome(row, reply);
  // Kept to be written again if this write fails and WeCom took the call.
  storage::Writer::Job again = reply.ok() ? record : storage::Writer::Job();
  auto recorded = co_await async_writer->Run(
      std::move(record), storage::Writer::Atomicity::kSavepoint, RecordedLate(row.id));
  in_flight.erase(row.id);
  blocked_until = 0;  // the window changed
  if (!recorded) {
    // Not sent again at once while the database cannot say whether it was.
    unrecorded[row.id] = {Now() + kUnrecordedPauseSeconds, std::move(again)};
    spdlog::error("cannot record the outcome of outbox {}: {}", row.id, recorded.error().message());
  }
  send_needed = true;
  // Refill when half the slots are free (or at shutdown), not after every
  // call: each pass reads the outbox.
  if (stopping || in_flight.size() * 2 <= static_cast<size_t>(config.delivery.concurrency)) {
    Poke();
  }
}

// A write that lands after its deadline says again what the row needs.
AsyncWriter::Late Delivery::Impl::RecordedLate(std::int64_t id) {
  return [self = shared_from_this(), id](const storage::Result<int>& stored) {
    if (!stored) return;
    self->unrecorded.erase(id);
    self->send_needed = true;
    self->Poke();
  };
}

// The outcome of a call WeCom took, written again after a failed write; the
// row stays held (and is not sent) until it lands.
net::awaitable<void> Delivery::Impl::RecordAgain(std::int64_t id, storage::Writer::Job outcome) {
  auto self = shared_from_this();
  auto recorded = co_await async_writer->Run(
      std::move(outcome), storage::Writer::Atomicity::kSavepoint, RecordedLate(id));
  in_flight.erase(id);
  if (recorded) {
    unrecorded.erase(id);
    spdlog::info("outbox {}: its outcome is recorded now", id);
  } else {
    spdlog::error("still cannot record the outcome of outbox {}: {}", id,
                  recorded.error().message());
  }
  send_needed = true;
  Poke();
}

}  // namespace scrm::bot
