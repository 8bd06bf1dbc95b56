// An App serving on an ephemeral port in a background thread.
#pragma once

#include <memory>
#include <stdexcept>
#include <thread>

#include "bot/app.h"
#include "tests/support/callback_builder.h"
#include "tests/support/fake_wecom.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace scrm::test {

inline bot::Config TestConfig(const TempDir& dir) {
  bot::Config c;
  c.server.listen = "127.0.0.1:0";
  c.server.port = 0;
  c.wecom.corp_id = kCorpId;
  c.wecom.agent_id = 1000002;
  c.wecom.secret = "secret";
  c.wecom.token = kToken;
  c.wecom.encoding_aes_key = kAesKey;
  c.storage.sqlite_path = dir.File("scrm.db");
  c.templates.dir = SCRM_SOURCE_DIR "/templates";
  return c;
}

class RunningApp {
 public:
  // Serves `config` with wecom.api_base pointing at this app's fake WeCom.
  explicit RunningApp(bot::Config config) {
    config.wecom.api_base = wecom.base_url();
    config.wecom.secret = "fake-secret";
    auto app = bot::App::Create(config, clock);
    if (auto* error = std::get_if<std::string>(&app)) throw std::runtime_error(*error);
    app_ = std::move(std::get<0>(app));
    thread_ = std::thread([this] { exit_code_ = app_->Run(false); });
  }
  ~RunningApp() { Stop(); }

  std::uint16_t port() const { return app_->port(); }
  // Asks for a graceful shutdown and returns at once; Stop() waits for it.
  void BeginStop() { app_->Shutdown(); }
  // Graceful shutdown; returns Run()'s exit code.
  int Stop() {
    if (thread_.joinable()) {
      app_->Shutdown();
      thread_.join();
    }
    return exit_code_;
  }

  ManualClock clock;
  FakeWeCom wecom;

 private:
  std::unique_ptr<bot::App> app_;
  std::thread thread_;
  int exit_code_ = -1;
};

}  // namespace scrm::test
