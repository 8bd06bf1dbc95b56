#include "bot/app.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <optional>

#include "bot/callback_service.h"
#include "bot/metrics.h"
#include "bot/server.h"
#include "storage/db.h"
#include "storage/inbox.h"
#include "storage/migrate.h"
#include "storage/writer.h"
#include "wecom/crypto.h"

namespace scrm::bot {

namespace net = boost::asio;

struct App::Impl {
  Impl(const Config& cfg, wecom::MsgCrypt c, std::unique_ptr<storage::Db> db,
       const domain::Clock& clock)
      : config(cfg),
        crypt(std::move(c)),
        writer(std::move(db), static_cast<std::size_t>(cfg.storage.max_group)),
        service(crypt, metrics, clock),
        server(ioc, config.server, service, metrics, writer) {}

  Config config;
  wecom::MsgCrypt crypt;
  Metrics metrics;
  net::io_context ioc{1};
  storage::Writer writer;
  CallbackService service;
  Server server;
  std::optional<net::signal_set> signals;
};

namespace {

storage::DbOptions DbOptionsOf(const Config& config) {
  storage::DbOptions options;
  options.path = config.storage.sqlite_path;
  options.full_sync = config.storage.synchronous == "full";
  return options;
}

}  // namespace

std::variant<int, std::string> RunMigrations(const Config& config, const domain::Clock& clock) {
  auto db = storage::Db::Open(DbOptionsOf(config));
  if (!db) {
    return "storage.sqlite_path: cannot open \"" + config.storage.sqlite_path +
           "\": " + db.error().message();
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
  auto db = storage::Db::Open(DbOptionsOf(config));
  if (!db) return "storage.sqlite_path: " + db.error().message();
  auto rows = storage::CountInbox(**db);
  auto impl = std::make_unique<Impl>(config, std::move(*crypt), std::move(*db), clock);
  impl->metrics.SetInboxRows(rows ? *rows : 0);
  if (auto error = impl->server.Listen()) return *error;
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
      spdlog::info("signal {} received: finishing in-flight requests", signal);
      Shutdown();
    });
  }
  impl_->server.Start();
  spdlog::info("scrm-bot listening on {}:{}, callback path {}", impl_->config.server.host, port(),
               impl_->config.server.callback_path);
  // Returns once the acceptor, every session and the signal wait are done.
  impl_->ioc.run();
  // Commit what is queued, then run the completions the writer posted back.
  impl_->writer.Stop();
  impl_->ioc.restart();
  impl_->ioc.poll();
  spdlog::info("scrm-bot stopped");
  return 0;
}

}  // namespace scrm::bot
