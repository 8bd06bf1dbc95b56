// scrm-bot command line: serve, migrate, check-config, sync-org, digest and
// outbox list/retry.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#ifdef SCRM_WITH_MIMALLOC
#include <mimalloc.h>
#endif

#include "bot/app.h"
#include "bot/config.h"
#include "bot/digest.h"
#include "bot/render.h"
#include "bot/sync_org.h"

namespace {

constexpr int kUsageError = 2;

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stdout_logger_mt("scrm");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// Which malloc serves the process. Naming mimalloc here also keeps the linker
// from dropping the library as unused.
void LogAllocator() {
#ifdef SCRM_WITH_MIMALLOC
  int v = mi_version();
  spdlog::info("memory allocator: mimalloc {}.{}.{}", v / 100, v / 10 % 10, v % 10);
#else
  spdlog::info("memory allocator: the C library's malloc");
#endif
}

// Lets the process open as many files as its hard limit allows (the soft
// limit is often 1,024): each connection is one, and server.max_connections
// should fit.
void RaiseFileLimit(int max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  // Room for the database, the API connections and the log besides.
  if (limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < static_cast<rlim_t>(max_connections) + 64) {
    spdlog::warn(
        "the process may open {} files, fewer than server.max_connections ({}) needs: raise "
        "its limit (ulimit -n, LimitNOFILE=) or lower server.max_connections",
        static_cast<unsigned long long>(limit.rlim_cur), max_connections);
  }
}

// Loads the config or prints one line per bad key; nullopt means exit 2.
std::optional<scrm::bot::Config> Load(const std::string& path) {
  auto loaded = scrm::bot::LoadConfigFile(path, scrm::bot::ProcessEnv());
  for (const auto& error : loaded.errors) {
    std::fprintf(stderr, "config error: %s\n", error.ToString().c_str());
  }
  if (loaded.config) {
    for (const auto& warning : scrm::bot::ConfigWarnings(*loaded.config)) {
      std::fprintf(stderr, "config warning: %s\n", warning.c_str());
    }
  }
  return loaded.config;
}

// The templates are part of a working setup: a missing or broken one is a
// configuration error (exit 2) for serve and check-config alike.
bool TemplatesLoad(const scrm::bot::Config& config) {
  std::string error;
  if (scrm::bot::Templates::Load(config.templates.dir, scrm::bot::RequiredTemplates(), error)) {
    return true;
  }
  std::fprintf(stderr, "config error: %s\n", error.c_str());
  return false;
}

int Serve(const std::string& path) {
  auto config = Load(path);
  if (!config || !TemplatesLoad(*config)) return kUsageError;
  SetUpLogging(config->log.level);
  LogAllocator();
  RaiseFileLimit(config->server.max_connections);
  scrm::domain::SystemClock clock;
  auto app = scrm::bot::App::Create(*config, clock);
  if (auto* error = std::get_if<std::string>(&app)) {
    spdlog::error("cannot start: {}", *error);
    // Said whatever the log level: a server that does not start says why.
    if (!spdlog::default_logger()->should_log(spdlog::level::err)) {
      std::fprintf(stderr, "cannot start: %s\n", error->c_str());
    }
    return 1;
  }
  return std::get<0>(app)->Run(/*handle_signals=*/true);
}

int Migrate(const std::string& path) {
  auto config = Load(path);
  if (!config) return kUsageError;
  scrm::domain::SystemClock clock;
  auto result = scrm::bot::RunMigrations(*config, clock);
  if (auto* error = std::get_if<std::string>(&result)) {
    std::fprintf(stderr, "migrate failed: %s\n", error->c_str());
    return 1;
  }
  std::printf("applied %d migration(s)\n", std::get<int>(result));
  return 0;
}

int CheckConfig(const std::string& path) {
  auto config = Load(path);
  if (!config || !TemplatesLoad(*config)) return kUsageError;
  std::printf("config ok: %s\n", path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"scrm-bot: a WeCom SCRM bot"};
  cli.require_subcommand(1);
  std::string config_path;
  auto add = [&](const char* name, const char* help) {
    CLI::App* sub = cli.add_subcommand(name, help);
    sub->add_option("--config", config_path, "TOML configuration file")->required();
    return sub;
  };
  CLI::App* serve = add("serve", "Run the callback server");
  CLI::App* migrate = add("migrate", "Apply pending database migrations");
  CLI::App* check = add("check-config", "Validate a configuration file without starting");
  CLI::App* sync_org = add("sync-org", "Read teams and managers from WeCom's directory");
  CLI::App* digest = add("digest", "Render a manager's daily digest");
  std::string manager;
  std::string digest_date;
  bool dry_run = false;
  digest->add_option("--manager", manager, "The manager's userid")->required();
  digest->add_option("--date", digest_date, "The day it covers, YYYY-MM-DD (default: yesterday)");
  digest->add_flag("--dry-run", dry_run, "Print it instead of queueing it");
  CLI::App* outbox = cli.add_subcommand("outbox", "Inspect and retry outbound messages");
  outbox->require_subcommand(1);
  bool dead_only = false;
  int limit = 50;
  long long retry_id = 0;
  CLI::App* outbox_list = outbox->add_subcommand("list", "List outbox rows, newest first");
  outbox_list->add_option("--config", config_path, "TOML configuration file")->required();
  outbox_list->add_flag("--dead", dead_only, "Only rows in the dead letter");
  outbox_list->add_option("--limit", limit, "Rows to show")->check(CLI::Range(1, 100000));
  CLI::App* outbox_retry = outbox->add_subcommand("retry", "Send a dead-lettered row again");
  outbox_retry->add_option("id", retry_id, "Outbox row id")->required()->check(CLI::PositiveNumber);
  outbox_retry->add_option("--config", config_path, "TOML configuration file")->required();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "usage error: %s (try --help)\n", e.what());
    return kUsageError;
  }
  if (serve->parsed()) return Serve(config_path);
  if (migrate->parsed()) return Migrate(config_path);
  if (check->parsed()) return CheckConfig(config_path);
  if (digest->parsed()) {
    auto config = Load(config_path);
    if (!config) return kUsageError;
    return scrm::bot::DigestCommand(*config, manager, digest_date, dry_run,
                                    scrm::domain::SystemClock());
  }
  if (sync_org->parsed()) {
    auto config = Load(config_path);
    if (!config) return kUsageError;
    return scrm::bot::SyncOrgCommand(*config, scrm::domain::SystemClock());
  }
  if (outbox_list->parsed() || outbox_retry->parsed()) {
    auto config = Load(config_path);
    if (!config) return kUsageError;
    if (outbox_list->parsed()) return scrm::bot::ListOutboxCommand(*config, dead_only, limit);
    return scrm::bot::RetryOutboxCommand(*config, retry_id, scrm::domain::SystemClock());
  }
  return kUsageError;
}
