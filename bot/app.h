// The running bot: database, writer thread, HTTP server, signal handling.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "bot/config.h"
#include "domain/clock.h"

namespace scrm::bot {

class App {
 public:
  // Opens and migrates the database, binds the listen address. Returns a
  // one-line error on failure. `clock` must outlive the App.
  static std::variant<std::unique_ptr<App>, std::string> Create(const Config& config,
                                                                const domain::Clock& clock);
  ~App();

  std::uint16_t port() const;
  // Serves until Shutdown() or, when `handle_signals`, SIGINT/SIGTERM. Then
  // finishes in-flight requests, drains the writer, and returns 0.
  int Run(bool handle_signals);
  // Thread-safe.
  void Shutdown();

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Opens the database and applies pending migrations; returns a one-line
// error or the number of migrations applied.
std::variant<int, std::string> RunMigrations(const Config& config, const domain::Clock& clock);

// `scrm-bot outbox list`: prints rows (newest first), dead ones only when
// `dead_only`. Returns the exit code.
int ListOutboxCommand(const Config& config, bool dead_only, int limit);

// `scrm-bot outbox retry ID`: puts a dead row back in the queue; a running
// bot picks it up within a second. Returns the exit code.
int RetryOutboxCommand(const Config& config, std::int64_t id, const domain::Clock& clock);

}  // namespace scrm::bot
