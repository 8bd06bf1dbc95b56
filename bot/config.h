// The typed configuration, loaded once at start from TOML. Every key has a
// default except the WeCom credentials. Secrets may come from the
// environment instead (SCRM_WECOM_SECRET, SCRM_WECOM_TOKEN,
// SCRM_WECOM_AES_KEY, SCRM_WECOM_CORP_ID), which override the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/authority.h"
#include "domain/customer.h"
#include "domain/funnel.h"

namespace scrm::bot {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  std::string host = "127.0.0.1";         // derived from listen
  std::uint16_t port = 8080;              // derived from listen
  std::string callback_path = "/wecom/callback";
  std::size_t max_body_bytes = 65536;   // larger bodies get 413
  std::size_t max_header_bytes = 8192;  // larger headers get 431
  int read_timeout_ms = 10000;          // per request, also the idle keep-alive limit
  int handler_timeout_ms = 4000;        // answer 503 before WeCom's 5 s limit
  int keep_alive_requests = 1000;       // requests per connection before it closes
  int max_connections = 1000;           // open at once; past it the longest idle one closes
};

struct WeComConfig {
  std::string corp_id;
  std::int64_t agent_id = 0;
  std::string secret;
  std::string token;
  std::string encoding_aes_key;
  std::string api_base = "https://qyapi.weixin.qq.com";
  std::string ca_file;  // extra trusted CAs (PEM) for a private gateway at api_base
};

struct StorageConfig {
  std::string sqlite_path = "data/scrm.db";
  std::string synchronous = "full";  // "full" (power-loss safe) or "normal" (crash safe)
  int max_group = 256;               // callbacks committed per transaction at most
};

struct ScheduleConfig {
  std::string timezone = "Asia/Shanghai";
  std::string daily_digest = "09:00";   // local time of the managers' daily digest
  int daily_digest_minute = 9 * 60;     // derived
  int catch_up_hours = 6;               // a run missed while down is made up within this
  std::string weekly_review = "09:00";  // local time of the weekly review, on Mondays
  int weekly_review_minute = 9 * 60;    // derived
};

struct TemplatesConfig {
  std::string dir = "templates";  // folder of the *.mustache message templates
};

struct DeliveryConfig {
  // Limits hold over any 60 s (or 3600 s) span, across restarts.
  int member_messages_per_minute = 30;  // WeCom drops app messages past 30/min per member
  int member_messages_per_hour = 1000;  // ... and past 1000/h
  int robot_messages_per_minute = 20;   // a group robot takes 20 messages a minute
  int api_calls_per_minute = 10000;     // per API path, WeCom's per-corp limit
  int api_calls_per_hour = 150000;      // ... and its hourly one
  int max_backoff_seconds = 300;        // retry delays double up to this
  int concurrency = 16;                 // API calls in flight at most
};

// The funnel, tiering and follow-up rules ([funnel], [tiering], [cadence]).
struct CrmConfig {
  std::vector<domain::Stage>
      stages;  // empty: 线索 → 需求调研 → 方案报价 → 合同谈判 → 回款跟进 → 成交
  std::string lost_stage = "输单";
  // Where a 报价 and a 回款 move an open deal that is not past it yet ("":
  // they do not move it).
  std::string quote_stage = "方案报价";
  std::string payment_stage = "回款跟进";
  domain::TieringRules tiering;
  domain::CadenceRules cadence;
  std::map<std::string, char> tag_tiers;  // a WeCom tag name that sets a tier: "A类客户" = "A"
  int choice_minutes = 10;                // how long a numbered choice can be answered
  // [authority] ladder: discounts a rep may give alone, by order size.
  std::vector<domain::AuthorityRung> authority = domain::DefaultAuthority();
};

// How a quote beyond a rep's authority is approved ([approval]): with an OA
// approval template when one is configured, else with an interactive card
// to the manager.
struct ApprovalConfig {
  std::string template_id;       // oa/applyevent template; empty: card to the manager
  std::string customer_control;  // control ids in that template (Text, Money, Number)
  std::string amount_control;
  std::string discount_control;
  int remind_hours = 24;  // one reminder to the manager after this long
};

// When reminders go out ([reminders]): inside working hours of
// schedule.timezone, on working days.
struct RemindersConfig {
  std::string work_start = "09:00";
  std::string work_end = "18:00";
  int work_start_minute = 9 * 60;  // derived
  int work_end_minute = 18 * 60;   // derived
  bool weekends = false;           // also on Saturday and Sunday
  int scan_minutes = 10;           // how often due follow-ups are looked for
};

// A team: its manager sees and changes the members' customers ([[teams]]).
struct TeamConfig {
  std::string name;
  std::string manager;
  std::vector<std::string> members;
  std::string chat_id;  // the team's app group chat for its digest (appchat)
  std::string robot;    // or a [robots] name to post the digest with
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
};

struct Config {
  ServerConfig server;
  WeComConfig wecom;
  StorageConfig storage;
  ScheduleConfig schedule;
  TemplatesConfig templates;
  DeliveryConfig delivery;
  CrmConfig crm;
  ApprovalConfig approval;
  RemindersConfig reminders;
  std::vector<TeamConfig> teams;
  LogConfig log;
  // Group robots by name: [robots] east_sales = "WEBHOOK-KEY". Messages name
  // the robot; the key is a secret and stays out of logs and the outbox.
  std::map<std::string, std::string> robots;
};

// One problem with one key: `key` is "section.name".
struct ConfigError {
  std::string key;
  std::string message;
  // "key: message" on one line: control characters (a quoted TOML key may
  // hold a newline) are written as escapes.
  std::string ToString() const;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
EnvLookup ProcessEnv();

// Parses and validates TOML text. On failure returns every problem found,
// one per key; secret values never appear in messages.
struct LoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;
};
LoadResult LoadConfigText(const std::string& toml_text, const EnvLookup& env);
LoadResult LoadConfigFile(const std::string& path, const EnvLookup& env);

// Settings that work but are likely a mistake, one line each, starting with
// the key ("wecom.api_base: ..."): told at start and by check-config, which
// still succeed.
std::vector<std::string> ConfigWarnings(const Config& config);

}  // namespace scrm::bot
