#include "bot/config.h"

#include <arpa/inet.h>
#include <date/tz.h>
#include <toml++/toml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "bot/config_reader.h"
#include "domain/schedule.h"
#include "wecom/crypto.h"
#include "wecom/http_client.h"

namespace scrm::bot {
namespace {

const std::set<std::string> kSections = {
    "server", "wecom",   "storage", "schedule",  "templates", "delivery",  "log",     "robots",
    "funnel", "tiering", "cadence", "reminders", "teams",     "authority", "approval"};

bool SplitListen(const std::string& listen, std::string& host, std::uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) return false;
  host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  long value = std::stol(port_text);
  if (value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    in6_addr a6{};
    return inet_pton(AF_INET6, host.c_str(), &a6) == 1;
  }
  if (host == "localhost") host = "127.0.0.1";
  in_addr a4{};
  return inet_pton(AF_INET, host.c_str(), &a4) == 1;
}

void ReadServer(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "server", errors);
  ServerConfig& s = c.server;
  r.String("listen", s.listen);
  r.String("callback_path", s.callback_path);
  r.Integer("max_body_bytes", s.max_body_bytes, 1024, 16 << 20);
  r.Integer("max_header_bytes", s.max_header_bytes, 1024, 1 << 20);
  r.Integer("read_timeout_ms", s.read_timeout_ms, 100, 3600000);
  // WeCom gives up on a callback after 5 s: the 503 must come before that.
  r.Integer("handler_timeout_ms", s.handler_timeout_ms, 100, 4900);
  r.Integer("keep_alive_requests", s.keep_alive_requests, 1, 1000000);
  r.Integer("max_connections", s.max_connections, 1, 1000000);
  r.RejectUnknown();
  if (!SplitListen(s.listen, s.host, s.port)) {
    r.Error("listen",
            "expected IP:PORT such as 127.0.0.1:8080 or [::1]:8080, got \"" + s.listen + "\"");
  }
  const std::string& p = s.callback_path;
  if (p.empty() || p.front() != '/' || p.find_first_of("?# ") != std::string::npos) {
    r.Error("callback_path", "must be a path starting with '/', got \"" + p + "\"");
  } else if (p == "/healthz" || p == "/metrics") {
    r.Error("callback_path", "must not be /healthz or /metrics");
  }
}

bool IsAlnum(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c); });
}

// The value of environment variable `name`, unless unset or empty (a blank
// line of an environment file does not wipe out the file's value).
std::optional<std::string> FromEnv(const EnvLookup& env, const std::string& name) {
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

void ApplyEnv(WeComConfig& w, const EnvLookup& env) {
  if (auto v = FromEnv(env, "SCRM_WECOM_CORP_ID")) w.corp_id = *v;
  if (auto v = FromEnv(env, "SCRM_WECOM_SECRET")) w.secret = *v;
  if (auto v = FromEnv(env, "SCRM_WECOM_TOKEN")) w.token = *v;
  if (auto v = FromEnv(env, "SCRM_WECOM_AES_KEY")) w.encoding_aes_key = *v;
}

void ReadWeCom(const toml::table* t, Config& c, const EnvLookup& env,
               std::vector<ConfigError>& errors) {
  SectionReader r(t, "wecom", errors);
  WeComConfig& w = c.wecom;
  r.String("corp_id", w.corp_id);
  r.Integer("agent_id", w.agent_id, 0, (1LL << 53));
  r.String("secret", w.secret);
  r.String("token", w.token);
  r.String("encoding_aes_key", w.encoding_aes_key);
  r.String("api_base", w.api_base);
  r.String("ca_file", w.ca_file);
  r.RejectUnknown();
  ApplyEnv(w, env);
  r.Require(!w.corp_id.empty(), "corp_id", "required (the corp id, 企业ID)");
  r.Require(w.agent_id > 0, "agent_id", "required: the app's AgentId, a positive integer");
  r.Require(!w.secret.empty(), "secret", "required (or set SCRM_WECOM_SECRET)");
  r.Require(!w.token.empty() && w.token.size() <= 32 && IsAlnum(w.token), "token",
            "required: 1 to 32 letters or digits (or set SCRM_WECOM_TOKEN)");
  r.Require(w.encoding_aes_key.size() == 43, "encoding_aes_key",
            "must be 43 characters, got " + std::to_string(w.encoding_aes_key.size()) +
                " (or set SCRM_WECOM_AES_KEY)");
  r.Require(w.encoding_aes_key.size() != 43 ||
                wecom::MsgCrypt::Create("t", w.encoding_aes_key, "r").has_value(),
            "encoding_aes_key", "must be letters and digits that decode to a 32-byte key");
  while (w.api_base.size() > 1 && w.api_base.back() == '/') w.api_base.pop_back();
  if (w.api_base.rfind("https://", 0) != 0 && w.api_base.rfind("http://", 0) != 0) {
    r.Error("api_base", "must start with https:// or http://");
  } else if (!wecom::ParseUrl(w.api_base + "/cgi-bin/gettoken")) {
    // As the HTTP client reads it. Not echoed: it may carry a password.
    r.Error("api_base", "expected https://HOST, https://HOST:PORT or either with a path");
  }
  if (!w.ca_file.empty()) {
    // Loaded as the HTTPS client will: a directory or a file without a
    // certificate would otherwise pass here and fail every call.
    if (std::string problem = wecom::CaFileProblem(w.ca_file); !problem.empty()) {
      r.Error("ca_file", problem);
    }
  }
}

void ReadStorage(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "storage", errors);
  r.String("sqlite_path", c.storage.sqlite_path);
  r.String("synchronous", c.storage.synchronous);
  r.Integer("max_group", c.storage.max_group, 1, 100000);
  r.RejectUnknown();
  if (c.storage.sqlite_path.empty()) r.Error("sqlite_path", "must not be empty");
  if (c.storage.sqlite_path == ":memory:" || c.storage.sqlite_path.starts_with("file::memory:")) {
    // Each of the bot's connections would have a database of its own, gone at exit.
    r.Error("sqlite_path", "must name a file, not an in-memory database");
  }
  if (c.storage.synchronous != "full" && c.storage.synchronous != "normal") {
    r.Error("synchronous", "must be \"full\" or \"normal\"");
  }
}

void ReadSchedule(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "schedule", errors);
  r.String("timezone", c.schedule.timezone);
  r.String("daily_digest", c.schedule.daily_digest);
  r.String("weekly_review", c.schedule.weekly_review);
  r.Integer("catch_up_hours", c.schedule.catch_up_hours, 0, 72);
  r.RejectUnknown();
  if (auto minute = domain::ParseClockTime(c.schedule.daily_digest)) {
    c.schedule.daily_digest_minute = *minute;
  } else {
    r.Error("daily_digest", "expected HH:MM, e.g. \"09:00\"");
  }
  if (auto minute = domain::ParseClockTime(c.schedule.weekly_review)) {
    c.schedule.weekly_review_minute = *minute;
  } else {
    r.Error("weekly_review", "expected HH:MM, e.g. \"09:00\"");
  }
  try {
    date::locate_zone(c.schedule.timezone);
  } catch (const std::exception&) {
    r.Error("timezone", "unknown time zone \"" + c.schedule.timezone +
                            "\" (use an IANA name such as Asia/Shanghai)");
  }
}

void ReadTemplates(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "templates", errors);
  r.String("dir", c.templates.dir);
  r.RejectUnknown();
  r.Require(!c.templates.dir.empty(), "dir", "must not be empty");
}

void ReadDelivery(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "delivery", errors);
  r.Integer("member_messages_per_minute", c.delivery.member_messages_per_minute, 1, 10000);
  r.Integer("member_messages_per_hour", c.delivery.member_messages_per_hour, 1, 100000);
  r.Integer("robot_messages_per_minute", c.delivery.robot_messages_per_minute, 1, 10000);
  r.Integer("api_calls_per_minute", c.delivery.api_calls_per_minute, 1, 1000000);
  r.Integer("api_calls_per_hour", c.delivery.api_calls_per_hour, 1, 10000000);
  r.Integer("max_backoff_seconds", c.delivery.max_backoff_seconds, 1, 86400);
  r.Integer("concurrency", c.delivery.concurrency, 1, 1000);
  r.RejectUnknown();
}

// The environment variable that may hold robot NAME's key instead of the
// file: SCRM_ROBOT_ and the name in capitals, "-" as "_".
std::string RobotEnvName(const std::string& name) {
  std::string out = "SCRM_ROBOT_";
  for (unsigned char ch : name) out += ch == '-' ? '_' : static_cast<char>(std::toupper(ch));
  return out;
}

// Only letters, digits, _ and -: a robot's name or webhook key.
bool Plain(std::string_view text) {
  return text.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
             "0123456789_-") == std::string_view::npos;
}

// A robot's webhook key as given: the key itself, or the whole webhook URL
// copied from the group's robot settings (its key= parameter is taken).
// Empty if it is neither.
std::string WebhookKey(std::string value) {
  if (value.starts_with("http://") || value.starts_with("https://")) {
    std::size_t at = value.find("key=");
    if (at == std::string::npos) return "";
    value = value.substr(at + 4, value.find('&', at) - at - 4);
  }
  return Plain(value) ? value : "";
}

// [robots]: name = "webhook key". Names become outbox recipients
// ("robot:NAME"), so they are restricted to [A-Za-z0-9_-]. A key is a
// secret: SCRM_ROBOT_<NAME> overrides it (the file may then say "").
void ReadRobots(const toml::table* t, Config& c, const EnvLookup& env,
                std::vector<ConfigError>& errors) {
  if (!t) return;
  std::map<std::string, std::string> by_env;  // variable → the robot it belongs to
  for (auto&& [k, v] : *t) {
    std::string name(k.str());
    if (name.empty() || name.size() > 64 || !Plain(name)) {
      errors.push_back({"robots." + name, "robot names use letters, digits, _ and - only"});
      continue;
    }
    // "east-sales" and "East_Sales" would share SCRM_ROBOT_EAST_SALES: one
    // variable would set both keys.
    auto [other, fresh] = by_env.emplace(RobotEnvName(name), name);
    if (!fresh) {
      std::string why = "shares its environment variable ";
      why += other->first;
      why += " with robot \"";
      why += other->second;
      why += "\": rename one of them";
      errors.push_back({"robots." + name, why});
      continue;
    }
    std::string key = v.is_string() ? v.as_string()->get() : "";
    if (auto from_env = FromEnv(env, RobotEnvName(name))) key = *from_env;
    if (!v.is_string() || key.empty()) {
      errors.push_back({"robots." + name, "expected the robot's webhook key as a string (or set " +
                                              RobotEnvName(name) + ")"});
    } else if (std::string webhook = WebhookKey(key); webhook.empty()) {
      // Not echoed: it is a secret.
      errors.push_back({"robots." + name,
                        "not a webhook key: expected the key=… part of the robot's webhook URL "
                        "(letters, digits, _ and -), or that URL whole"});
    } else {
      c.robots[name] = webhook;
    }
  }
}

void ReadLog(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "log", errors);
  r.String("level", c.log.level);
  r.RejectUnknown();
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "off"};
  if (!kLevels.count(c.log.level)) {
    r.Error("level", "must be one of trace, debug, info, warn, error, off");
  }
}

const toml::table* Section(const toml::table& root, const char* name,
                           std::vector<ConfigError>& errors) {
  const toml::node* node = root.get(name);
  if (!node) return nullptr;
  if (!node->is_table()) {
    errors.push_back({name, "expected a table [" + std::string(name) + "]"});
    return nullptr;
  }
  return node->as_table();
}

std::string Printable(const std::string& text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

namespace {

// Lower case, without spaces, tabs, quotes and brackets: "[ Robots ]" and
// "\"token\" " read as "robots" and "token".
std::string Bare(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == ' ' || ch == '\t' || ch == '"' || ch == '\'' || ch == '[' || ch == ']') continue;
    out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  }
  return out;
}

// Whether line `number` (from 1) of `text` sets a secret (a credential of
// [wecom], or anything of [robots]): its text must not reach an error
// message, as a TOML error would quote it ("token = 1234…" typed without
// quotes).
bool SetsSecret(std::string_view text, std::size_t number) {
  std::string section;
  for (std::size_t line = 1;; ++line) {
    std::size_t end = text.find('\n');
    std::string_view current = text.substr(0, end);
    std::size_t equals = current.find('=');
    if (line == number) {
      if (equals == std::string_view::npos) return false;
      std::string key = Bare(current.substr(0, equals));
      if (!section.empty()) key = section + "." + key;  // "wecom.token", "robots.east"
      for (std::string_view secret : {"secret", "token", "encoding_aes_key"}) {
        if (key == secret || key.ends_with("." + std::string(secret))) return true;
      }
      return key.starts_with("robots");
    }
    std::string_view head = current.substr(0, current.find('#'));
    if (equals == std::string_view::npos && head.find('[') != std::string_view::npos) {
      section = Bare(head);
    }
    if (end == std::string_view::npos) return false;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

std::string ConfigError::ToString() const { return Printable(key) + ": " + Printable(message); }

LoadResult LoadConfigText(const std::string& toml_text, const EnvLookup& env) {
  LoadResult result;
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << "line " << e.source().begin.line << ", column " << e.source().begin.column;
    std::size_t line = e.source().begin.line;
    std::string what = SetsSecret(toml_text, line)
                           ? "a value that is not valid TOML (a text, a secret say, goes in "
                             "double quotes)"
                           : std::string(e.description());
    result.errors.push_back({"toml", where.str() + ": " + what});
    return result;
  }
  Config config;
  for (auto&& [k, v] : root) {
    if (!kSections.count(std::string(k.str()))) {
      result.errors.push_back({std::string(k.str()), "unknown section or key"});
    }
  }
  ReadServer(Section(root, "server", result.errors), config, result.errors);
  ReadWeCom(Section(root, "wecom", result.errors), config, env, result.errors);
  ReadStorage(Section(root, "storage", result.errors), config, result.errors);
  ReadSchedule(Section(root, "schedule", result.errors), config, result.errors);
  ReadTemplates(Section(root, "templates", result.errors), config, result.errors);
  ReadDelivery(Section(root, "delivery", result.errors), config, result.errors);
  ReadLog(Section(root, "log", result.errors), config, result.errors);
  ReadRobots(Section(root, "robots", result.errors), config, env, result.errors);
  ReadFunnel(Section(root, "funnel", result.errors), config, result.errors);
  ReadTiering(Section(root, "tiering", result.errors), config, result.errors);
  ReadCadence(Section(root, "cadence", result.errors), config, result.errors);
  ReadReminders(Section(root, "reminders", result.errors), config, result.errors);
  ReadTeams(root.get("teams"), config, result.errors);
  ReadAuthority(Section(root, "authority", result.errors), config, result.errors);
  ReadApproval(Section(root, "approval", result.errors), config, result.errors);
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

std::vector<std::string> ConfigWarnings(const Config& config) {
  std::vector<std::string> out;
  // Plain http:// is for a local stand-in of the API (tests, a sandbox);
  // to anything else it sends the app secret and every access token
  // unencrypted.
  auto url = wecom::ParseUrl(config.wecom.api_base + "/cgi-bin/gettoken");
  if (url && !url->tls) {
    const std::string& host = url->host;
    bool local = host == "localhost" || host.starts_with("127.") || host == "::1";
    if (!local) {
      out.push_back("wecom.api_base: plain http:// to " + host +
                    " sends the app secret and access tokens unencrypted; use https://");
    }
  }
  return out;
}

LoadResult LoadConfigFile(const std::string& path, const EnvLookup& env) {
  LoadResult result;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    result.errors.push_back({"--config", "\"" + path + "\" is a directory, not a file"});
    return result;
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  std::string text;
  bool failed = file == nullptr;
  if (file) {
    char buffer[16384];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, file)) text.append(buffer, n);
    failed = std::ferror(file) != 0;  // a read error is not the end of the file
    std::fclose(file);
  }
  if (failed) {
    result.errors.push_back({"--config", "cannot read file \"" + path + "\""});
    return result;
  }
  return LoadConfigText(text, env);
}

}  // namespace scrm::bot
