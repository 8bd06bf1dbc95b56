#include "bot/app.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "bot/callback_service.h"
#include "bot/delivery.h"
#include "bot/metrics.h"
#include "bot/render.h"
#include "bot/server.h"
#include "storage/connection.h"
#include "storage/crm.h"
#include "storage/db.h"
#include "storage/inbox.h"
#include "storage/migrate.h"
#include "storage/outbox.h"
#include "storage/writer.h"
#include "wecom/crypto.h"

namespace scrm::bot {

namespace net = boost::asio;

namespace {

// Why writes fail, at most one line every 10 s: a full disk fails every
// callback, each answered 503. On the writer thread only.
storage::Writer::FailureLog StorageFailureLog() {
  struct State {
    std::chrono::steady_clock::time_point next{};
    int skipped = 0;
  };
  return [state = std::make_shared<State>()](const std::string& why) {
    auto now = std::chrono::steady_clock::now();
    if (now < state->next) {
      ++state->skipped;
      return;
    }
    state->next = now + std::chrono::seconds(10);
    if (state->skipped == 0) {
      spdlog::error("storage: {}", why);
    } else {
      spdlog::error("storage: {} (and {} more failures since the last line)", why,
                    std::exchange(state->skipped, 0));
    }
  };
}

}  // namespace

struct App::Impl {
  Impl(const Config& cfg, wecom::MsgCrypt c, std::unique_ptr<storage::Db> db,
       std::unique_ptr<storage::Db> checkpoint_db, const domain::Clock& clock, Templates t)
      : config(cfg),
        crypt(std::move(c)),
        templates(std::move(t)),
        writer(std::move(db), static_cast<std::size_t>(cfg.storage.max_group),
               std::move(checkpoint_db), StorageFailureLog()),
        service(crypt, metrics, clock),
        server(ioc, config.server, service, metrics, writer, [this](storage::InboxRow&& row) {
          if (delivery) delivery->Stored(std::move(row));
        }) {}

  Config config;
  wecom::MsgCrypt crypt;
  Templates templates;
  Metrics metrics;
  net::io_context ioc{1};
  storage::Writer writer;
  CallbackService service;
  Server server;
  std::unique_ptr<Delivery> delivery;  // stopped before the writer
  std::optional<net::signal_set> signals;
};

namespace {

storage::DbOptions DbOptionsOf(const Config& config) {
  storage::DbOptions options;
  options.path = config.storage.sqlite_path;
  options.full_sync = config.storage.synchronous == "full";
  return options;
}

// Why a database file cannot be opened, when the file system says so.
std::string OpenProblem(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) return " (its directory does not exist and cannot be made)";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return " (no permission to write in " + dir.string() + ")";
  }
  if (fs::exists(path, ec) && ::access(path.c_str(), R_OK | W_OK) != 0) {
    return " (no permission to read and write it)";
  }
  return "";
}

// [[teams]] naming a userid WeCom has changed since works (the team is
// read with the new one), but the configuration should say so.
void WarnOfRenamedTeamMembers(storage::Db& db, const Config& config) {
  std::map<std::string, std::string> renamed;
  try {
    renamed = storage::RenamedReps(db.connection());
  } catch (const std::exception& e) {
    spdlog::warn("cannot read the renamed userids: {}", e.what());
    return;
  }
  for (const auto& team : config.teams) {
    std::vector<std::string> ids = team.members;
    ids.push_back(team.manager);
    for (const auto& id : ids) {
      if (auto it = renamed.find(id); it != renamed.end()) {
        spdlog::warn(
            "[[teams]] {}: {} is {} in WeCom now; the team is read with {}, "
            "update the configuration",
            team.name, id, it->second, it->second);
      }
    }
  }
}

}  // namespace

std::variant<int, std::string> RunMigrations(const Config& config, const domain::Clock& clock) {
  auto db = storage::Db::Open(DbOptionsOf(config));
  if (!db) {
    return "storage.sqlite_path: cannot open \"" + config.storage.sqlite_path +
           "\": " + db.error().message() + OpenProblem(config.storage.sqlite_path);
  }
  auto applied = storage::Migrate(**db, clock.Now().time_since_epoch().count());
  if (!applied) return "storage: " + applied.error().message();
  return *applied;
}

std::variant<std::unique_ptr<App>, std::string> App::Create(const Config& config,
                                                            const domain::Clock& clock) {
  auto crypt = wecom::MsgCrypt::Create(config.wecom.token, config.wecom.encoding_aes_key,
                                       config.wecom.corp_id);
  if (!crypt) return std::string("wecom.encoding_aes_key: ") + crypt.error().message();
  auto migrated = RunMigrations(config, clock);
  if (auto* error = std::get_if<std::string>(&migrated)) return *error;
  if (int n = std::get<int>(migrated); n > 0) spdlog::info("applied {} migration(s)", n);
  std::string error;
  auto templates = Templates::Load(config.templates.dir, RequiredTemplates(), error);
  if (!templates) return error;
  auto db = storage::Db::Open(DbOptionsOf(config));
  if (!db) return "storage.sqlite_path: " + db.error().message();
  // Checkpoints run on a connection of their own, off the writer's commits.
  storage::DbOptions checkpoint_options = DbOptionsOf(config);
  checkpoint_options.cache_kib = storage::kReaderCacheKib;
  auto checkpoint_db = storage::Db::Open(checkpoint_options);
  if (!checkpoint_db) return "storage.sqlite_path: " + checkpoint_db.error().message();
  WarnOfRenamedTeamMembers(**db, config);
  auto rows = storage::CountInbox(**db);
  auto impl = std::make_unique<Impl>(config, std::move(*crypt), std::move(*db),
                                     std::move(*checkpoint_db), clock, std::move(*templates));
  auto delivery =
      Delivery::Create(impl->config, impl->writer, impl->templates, impl->metrics, clock);
  if (auto* e = std::get_if<std::string>(&delivery)) return *e;
  impl->delivery = std::move(std::get<0>(delivery));
  impl->metrics.SetInboxRows(rows ? *rows : 0);
  if (auto listen_error = impl->server.Listen()) return *listen_error;
  return std::unique_ptr<App>(new App(std::move(impl)));
}

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

App::~App() = default;

std::uint16_t App::port() const { return impl_->server.port(); }

void App::Shutdown() {
  Impl* impl = impl_.get();
  net::post(impl->ioc, [impl] {
    boost::system::error_code ignored;
    if (impl->signals) impl->signals->cancel(ignored);
  });
  impl->server.Shutdown();
}

int App::Run(bool handle_signals) {
  if (handle_signals) {
    impl_->signals.emplace(impl_->ioc, SIGINT, SIGTERM);
    impl_->signals->async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      // The signals' default action again (before anything is logged, so a
      // second one that follows the log line is not caught): it ends the
      // process as a crash would, which loses nothing committed.
      boost::system::error_code ignored;
      impl_->signals->clear(ignored);
      spdlog::info("signal {} received: finishing in-flight requests (a second one stops at once)",
                   signal);
      Shutdown();
    });
  }
  impl_->server.Start();
  impl_->delivery->Start();
  spdlog::info("scrm-bot listening on {}:{}, callback path {}", impl_->config.server.host, port(),
               impl_->config.server.callback_path);
  // Returns once the acceptor, every session and the signal wait are done.
  impl_->ioc.run();
  // Finish the API calls in flight, commit what is queued, then run the
  // completions the writer posted back.
  impl_->delivery->Stop();
  impl_->writer.Stop();
  impl_->ioc.restart();
  impl_->ioc.poll();
  spdlog::info("scrm-bot stopped");
  return 0;
}

int ListOutboxCommand(const Config& config, bool dead_only, int limit) {
  auto migrated = RunMigrations(config, domain::SystemClock());
  if (auto* error = std::get_if<std::string>(&migrated)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 1;
  }
  auto db = storage::Db::Open(DbOptionsOf(config));
  if (!db) return 1;
  auto rows = storage::ListOutbox(**db, dead_only, limit);
  if (!rows) {
    std::fprintf(stderr, "cannot read the outbox: %s\n", rows.error().message().c_str());
    return 1;
  }
  std::printf("%-8s %-8s %-8s %-24s %-34s %s\n", "id", "state", "attempts", "recipient", "api",
              "last error");
  for (const auto& row : *rows) {
    std::printf("%-8lld %-8s %-8d %-24s %-34s %s\n", static_cast<long long>(row.id),
                row.state.c_str(), row.attempts, row.message.recipient.c_str(),
                row.message.api.c_str(), row.last_error.c_str());
  }
  auto counts = storage::CountOutbox(**db);
  if (counts) {
    std::printf("pending %lld, sent %lld, dead %lld\n", static_cast<long long>(counts->pending),
                static_cast<long long>(counts->sent), static_cast<long long>(counts->dead));
  }
  return 0;
}

int RetryOutboxCommand(const Config& config, std::int64_t id, const domain::Clock& clock) {
  auto migrated = RunMigrations(config, clock);
  if (auto* error = std::get_if<std::string>(&migrated)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 1;
  }
  auto db = storage::Db::Open(DbOptionsOf(config));
  if (!db) return 1;
  try {
    if (!storage::RetryDeadOutbox((*db)->connection(), id,
                                  clock.Now().time_since_epoch().count())) {
      std::fprintf(stderr, "outbox row %lld is not in the dead letter\n",
                   static_cast<long long>(id));
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot update the outbox: %s\n", e.what());
    return 1;
  }
  std::printf("outbox row %lld queued again\n", static_cast<long long>(id));
  return 0;
}

}  // namespace scrm::bot
