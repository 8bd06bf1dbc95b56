#include "bot/config.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "bot/app.h"
#include "bot/crm_context.h"
#include "domain/authority.h"
#include "tests/support/catch_result.h"
#include "tests/support/manual_clock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace scrm;
using namespace scrm::bot;

namespace {

const std::string kCredentials =
    "[wecom]\ncorp_id = \"ww0123456789abcdef\"\nagent_id = 1000002\nsecret = \"s3cr3t-value\"\n"
    "token = \"wecomScrmBotToken\"\nencoding_aes_key = "
    "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"\n";

EnvLookup NoEnv() {
  return [](const std::string&) { return std::optional<std::string>(); };
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The keys named by the errors of `text`.
std::vector<std::string> ErrorKeys(const std::string& text, const EnvLookup& env = NoEnv()) {
  auto r = LoadConfigText(text, env);
  std::vector<std::string> keys;
  for (const auto& e : r.errors) keys.push_back(e.key);
  CHECK(r.config.has_value() == keys.empty());
  return keys;
}

}  // namespace

TEST_CASE("credentials alone give a config with every default", "[config]") {
  auto r = LoadConfigText(kCredentials, NoEnv());
  REQUIRE(r.config);
  const Config& c = *r.config;
  CHECK(c.server.listen == "127.0.0.1:8080");
  CHECK(c.server.host == "127.0.0.1");
  CHECK(c.server.port == 8080);
  CHECK(c.server.callback_path == "/wecom/callback");
  CHECK(c.server.max_body_bytes == 65536);
  CHECK(c.wecom.api_base == "https://qyapi.weixin.qq.com");
  CHECK(c.wecom.agent_id == 1000002);
  CHECK(c.storage.sqlite_path == "data/scrm.db");
  CHECK(c.storage.synchronous == "full");
  CHECK(c.schedule.timezone == "Asia/Shanghai");
  CHECK(c.log.level == "info");
}

TEST_CASE("every bad key is named", "[config]") {
  using V = std::vector<std::string>;
  CHECK(ErrorKeys(kCredentials + "[server]\nlisten = \"nonsense\"\n") == V{"server.listen"});
  CHECK(ErrorKeys(kCredentials + "[server]\nlisten = \"1.2.3.4:99999\"\n") == V{"server.listen"});
  CHECK(ErrorKeys(kCredentials + "[server]\nlisten = \"[::1]:8080\"\n").empty());
  CHECK(ErrorKeys(kCredentials + "[server]\nlisten = 8080\n") == V{"server.listen"});
  CHECK(ErrorKeys(kCredentials + "[server]\nmax_body_bytes = \"big\"\n") ==
        V{"server.max_body_bytes"});
  CHECK(ErrorKeys(kCredentials + "[server]\nmax_body_bytes = 10\n") == V{"server.max_body_bytes"});
  // Past WeCom's 5 s the 503 would come after WeCom gave up.
  CHECK(ErrorKeys(kCredentials + "[server]\nhandler_timeout_ms = 5000\n") ==
        V{"server.handler_timeout_ms"});
  CHECK(ErrorKeys(kCredentials + "[server]\nhandler_timeout_ms = 4900\n").empty());
  CHECK(ErrorKeys(kCredentials + "[server]\nmax_connections = 0\n") == V{"server.max_connections"});
  CHECK(ErrorKeys(kCredentials + "[server]\nmax_connections = \"many\"\n") ==
        V{"server.max_connections"});
  CHECK(ErrorKeys(kCredentials + "[server]\ncallback_path = \"wecom\"\n") ==
        V{"server.callback_path"});
  CHECK(ErrorKeys(kCredentials + "[server]\nlisten_addr = \"x\"\n") == V{"server.listen_addr"});
  CHECK(ErrorKeys(kCredentials + "[servr]\nlisten = \"x\"\n") == V{"servr"});
  CHECK(ErrorKeys(kCredentials + "[schedule]\ntimezone = \"Asia/Shanghia\"\n") ==
        V{"schedule.timezone"});
  CHECK(ErrorKeys(kCredentials + "[schedule]\ntimezone = \"America/New_York\"\n").empty());
  CHECK(ErrorKeys(kCredentials + "[log]\nlevel = \"loud\"\n") == V{"log.level"});
  CHECK(ErrorKeys(kCredentials + "[storage]\nsynchronous = \"off\"\n") == V{"storage.synchronous"});
  // Each of the server's connections would get a database of its own.
  CHECK(ErrorKeys(kCredentials + "[storage]\nsqlite_path = \":memory:\"\n") ==
        V{"storage.sqlite_path"});
  CHECK(ErrorKeys("server = 1\n" + kCredentials) == V{"server"});
}

TEST_CASE("group robots and delivery limits", "[config]") {
  using V = std::vector<std::string>;
  auto r = LoadConfigText(kCredentials +
                              "[robots]\neast_sales = \"KEY-1\"\nwest-1 = \"KEY-2\"\n"
                              "[delivery]\nrobot_messages_per_minute = 10\n"
                              "api_calls_per_minute = 600\nmember_messages_per_hour = 500\n"
                              "api_calls_per_hour = 9000\n",
                          NoEnv());
  REQUIRE(r.config);
  CHECK(r.config->robots.at("east_sales") == "KEY-1");
  CHECK(r.config->robots.at("west-1") == "KEY-2");
  CHECK(r.config->delivery.robot_messages_per_minute == 10);
  CHECK(r.config->delivery.api_calls_per_minute == 600);
  CHECK(r.config->delivery.member_messages_per_hour == 500);
  CHECK(r.config->delivery.api_calls_per_hour == 9000);
  auto defaults = LoadConfigText(kCredentials, NoEnv());
  REQUIRE(defaults.config);
  CHECK(defaults.config->delivery.robot_messages_per_minute == 20);
  CHECK(defaults.config->delivery.member_messages_per_hour == 1000);
  CHECK(defaults.config->delivery.api_calls_per_hour == 150000);
  CHECK(defaults.config->robots.empty());
  CHECK(ErrorKeys(kCredentials + "[robots]\n\"华东\" = \"K\"\n") == V{"robots.华东"});
  CHECK(ErrorKeys(kCredentials + "[robots]\neast = 1\n") == V{"robots.east"});
  CHECK(ErrorKeys(kCredentials + "[robots]\neast = \"\"\n") == V{"robots.east"});
  // Two names that one environment variable would stand for.
  CHECK(ErrorKeys(kCredentials + "[robots]\neast-sales = \"K1\"\nEast_Sales = \"K2\"\n").size() ==
        1);
  CHECK(ErrorKeys(kCredentials + "robots = \"x\"\n[server]\n").size() == 1);
  CHECK(ErrorKeys(kCredentials + "[delivery]\nrobot_messages_per_minute = 0\n") ==
        V{"delivery.robot_messages_per_minute"});
  CHECK(ErrorKeys(kCredentials + "[delivery]\nmember_messages_per_hour = \"1000\"\n") ==
        V{"delivery.member_messages_per_hour"});
  CHECK(ErrorKeys(kCredentials + "[delivery]\napi_calls_per_hour = -1\n") ==
        V{"delivery.api_calls_per_hour"});
}

TEST_CASE("funnel, tiering, cadence, reminders and teams", "[config]") {
  using V = std::vector<std::string>;
  auto r = LoadConfigText(kCredentials + R"(
[funnel]
stages = [{ name = "线索", sla_days = 3 }, { name = "报价", sla_days = 10 }, { name = "签约" }]
lost = "丢单"
quote_stage = "报价"
payment_stage = ""
[tiering]
a_value_yuan = 500000
b_value_yuan = 50000
tag_tiers = { "重点客户" = "A", "普通客户" = "C" }
[cadence]
a_days = 3
[reminders]
work_start = "08:30"
work_end = "20:00"
weekends = true
[[teams]]
name = "华东"
manager = "lisi"
members = ["zhangsan", "wangwu"]
)",
                          NoEnv());
  INFO((r.errors.empty() ? "" : r.errors[0].ToString()));
  REQUIRE(r.config);
  const Config& c = *r.config;
  REQUIRE(c.crm.stages.size() == 3);
  CHECK(c.crm.stages[1].sla_days == 10);
  CHECK(c.crm.lost_stage == "丢单");
  CHECK(c.crm.quote_stage == "报价");
  CHECK(c.crm.payment_stage.empty());
  CHECK(c.crm.tiering.a_value == 50'000'000);
  CHECK(c.crm.tag_tiers.at("重点客户") == 'A');
  CHECK(c.crm.cadence.a_days == 3);
  CHECK(c.crm.cadence.b_days == 14);
  CHECK(c.reminders.work_start_minute == 8 * 60 + 30);
  CHECK(c.reminders.weekends);
  REQUIRE(c.teams.size() == 1);
  CHECK(c.teams[0].members == std::vector<std::string>{"zhangsan", "wangwu"});

  CHECK(ErrorKeys(kCredentials + "[funnel]\nstages = [{ name = \"a\" }]\n") == V{"funnel.stages"});
  CHECK(ErrorKeys(kCredentials + "[funnel]\nstages = [{ name = \"a\", sla = 1 }]\n") ==
        V{"funnel.stages"});
  CHECK(ErrorKeys(kCredentials + "[funnel]\nstages = \"a,b\"\n") == V{"funnel.stages"});
  CHECK(ErrorKeys(kCredentials + "[funnel]\nstages = []\n") == V{"funnel.stages"});
  // One error for a bad stage, not a second one for the funnel it leaves.
  CHECK(ErrorKeys(kCredentials +
                  "[funnel]\nstages = [{ name = \"线索\" }, { name = \"b\", sla = 1 }]\n") ==
        V{"funnel.stages"});
  // The lost outcome alone renames it in the standard funnel, and may not clash with a stage.
  auto lost_only = LoadConfigText(kCredentials + "[funnel]\nlost = \"丢单\"\n", NoEnv());
  REQUIRE(lost_only.config);
  CHECK(FunnelOf(*lost_only.config).lost() == "丢单");
  CHECK(FunnelOf(*lost_only.config).won() == "成交");
  CHECK(ErrorKeys(kCredentials + "[funnel]\nlost = \"成交\"\n") == V{"funnel.lost"});
  CHECK(ErrorKeys(kCredentials + "[funnel]\nlost = \"\"\n") == V{"funnel.lost"});
  // The stages a 报价 and a 回款 move a deal to must be stages of the funnel.
  CHECK(ErrorKeys(kCredentials + "[funnel]\nquote_stage = \"报价\"\n") == V{"funnel.quote_stage"});
  CHECK(ErrorKeys(kCredentials + "[funnel]\npayment_stage = \"成交\"\n") ==
        V{"funnel.payment_stage"});  // the won stage: a deal would stay open in it
  // A custom funnel without the default names: no automatic moves, no error.
  auto custom = LoadConfigText(kCredentials +
                                   "[funnel]\nstages = [{ name = \"a\" }, { name = \"b\" }]\n"
                                   "quote_stage = \"a\"\n",
                               NoEnv());
  REQUIRE(custom.config);
  CHECK(custom.config->crm.quote_stage == "a");
  CHECK(custom.config->crm.payment_stage.empty());
  CHECK(ErrorKeys(kCredentials + "[tiering]\ntag_tiers = { \"x\" = \"D\" }\n") ==
        V{"tiering.tag_tiers"});
  CHECK(ErrorKeys(kCredentials + "[tiering]\nb_value_yuan = 9999999\n") ==
        V{"tiering.b_value_yuan"});
  CHECK(ErrorKeys(kCredentials + "[tiering]\nchurned_days = 10\n") == V{"tiering.churned_days"});
  CHECK(ErrorKeys(kCredentials + "[cadence]\na_days = 0\n") == V{"cadence.a_days"});
  CHECK(ErrorKeys(kCredentials + "[reminders]\nwork_start = \"9:00\"\n") ==
        V{"reminders.work_start"});
  CHECK(ErrorKeys(kCredentials + "[reminders]\nwork_start = \"19:00\"\n") ==
        V{"reminders.work_end"});
  CHECK(ErrorKeys(kCredentials + "[[teams]]\nname = \"a\"\n") == V{"teams[0].manager"});
  CHECK(ErrorKeys(kCredentials +
                  "[[teams]]\nname = \"a\"\nmanager = \"lisi\"\nmembers = [\"x\"]\n"
                  "[[teams]]\nname = \"b\"\nmanager = \"lisi\"\nmembers = [\"y\"]\n") ==
        V{"teams[1].manager"});
  CHECK(ErrorKeys(kCredentials + "[[teams]]\nname = \"a\"\nmanager = \"m\"\nmembers = [1]\n") ==
        V{"teams[0].members"});
  CHECK(ErrorKeys("teams = 3\n" + kCredentials) == V{"teams"});
}

TEST_CASE("discount authority, approvals and the digest schedule", "[config]") {
  using V = std::vector<std::string>;
  auto r = LoadConfigText(kCredentials + R"(
[schedule]
daily_digest = "08:30"
catch_up_hours = 3
[authority]
ladder = [{ max_amount_yuan = 200000, max_discount = 3 }, { max_amount_yuan = 50000, max_discount = 5.5 }]
[approval]
template_id = "tpl"
customer_control = "Text-1"
amount_control = "Money-1"
discount_control = "Number-1"
)",
                          NoEnv());
  INFO((r.errors.empty() ? "" : r.errors[0].ToString()));
  REQUIRE(r.config);
  CHECK(r.config->schedule.daily_digest_minute == 8 * 60 + 30);
  CHECK(r.config->schedule.catch_up_hours == 3);
  REQUIRE(r.config->crm.authority.size() == 2);
  CHECK(r.config->crm.authority[0].max_amount == 5'000'000);  // sorted by amount
  CHECK(r.config->crm.authority[0].max_discount_bp == 550);
  CHECK(r.config->approval.template_id == "tpl");
  auto defaults = LoadConfigText(kCredentials, NoEnv());
  REQUIRE(defaults.config);
  CHECK(defaults.config->crm.authority.size() == 1);
  CHECK(defaults.config->approval.remind_hours == 24);
  // An empty ladder: no discount without the manager.
  auto none = LoadConfigText(kCredentials + "[authority]\nladder = []\n", NoEnv());
  REQUIRE(none.config);
  CHECK(none.config->crm.authority.empty());
  CHECK(domain::NeedsApproval(100, 1, none.config->crm.authority));
  CHECK_FALSE(domain::NeedsApproval(100, 0, none.config->crm.authority));

  CHECK(ErrorKeys(kCredentials + "[schedule]\ndaily_digest = \"9am\"\n") ==
        V{"schedule.daily_digest"});
  CHECK(ErrorKeys(kCredentials + "[authority]\nladder = [{ max_amount_yuan = 1 }]\n") ==
        V{"authority.ladder"});
  // Past what fits in fen: an error, not an overflow.
  CHECK(ErrorKeys(kCredentials + "[authority]\nladder = [{ max_amount_yuan = "
                                 "9000000000000000000, max_discount = 5 }]\n") ==
        V{"authority.ladder"});
  CHECK(ErrorKeys(kCredentials +
                  "[authority]\nladder = [{ max_amount_yuan = 1, max_discount = 100 }]\n") ==
        V{"authority.ladder"});
  // Each missing control named; controls without a template are not used.
  CHECK(ErrorKeys(kCredentials + "[approval]\ntemplate_id = \"tpl\"\n") ==
        V{"approval.customer_control", "approval.amount_control", "approval.discount_control"});
  CHECK(ErrorKeys(kCredentials +
                  "[approval]\ntemplate_id = \"tpl\"\ncustomer_control = \"Text-1\"\n"
                  "amount_control = \"Money-1\"\n") == V{"approval.discount_control"});
  CHECK(ErrorKeys(kCredentials + "[approval]\namount_control = \"Money-1\"\n").empty());
  CHECK(ErrorKeys(kCredentials + "[[teams]]\nname = \"a\"\nmanager = \"m\"\nrobot = \"x\"\n") ==
        V{"teams[0].robot"});
  CHECK(ErrorKeys(kCredentials +
                  "[robots]\nx = \"k\"\n[[teams]]\nname = \"a\"\nmanager = \"m\"\nrobot = \"x\"\n"
                  "chat_id = \"wr1\"\n") == V{"teams[0].chat_id"});
}

TEST_CASE("WeCom credentials are validated", "[config]") {
  using V = std::vector<std::string>;
  CHECK(ErrorKeys("") == V{"wecom.corp_id", "wecom.agent_id", "wecom.secret", "wecom.token",
                           "wecom.encoding_aes_key"});
  std::string short_key = kCredentials + "";
  short_key.replace(short_key.find("Hh8"), 3, "Hh");
  CHECK(ErrorKeys(short_key) == V{"wecom.encoding_aes_key"});
  std::string bad_chars = kCredentials;
  bad_chars.replace(bad_chars.find("Hh8"), 3, "Hh+");
  CHECK(ErrorKeys(bad_chars) == V{"wecom.encoding_aes_key"});
  std::string bad_agent = kCredentials;
  bad_agent.replace(bad_agent.find("1000002"), 7, "\"x\"");
  CHECK(ErrorKeys(bad_agent) == V{"wecom.agent_id"});
  CHECK(ErrorKeys(kCredentials + "api_base = \"ftp://x\"\n") == V{"wecom.api_base"});
  CHECK(ErrorKeys(kCredentials + "ca_file = \"/nonexistent/ca.pem\"\n") == V{"wecom.ca_file"});
  // Readable, but not certificates: a directory, a text file.
  CHECK(ErrorKeys(kCredentials + "ca_file = \"" SCRM_TEST_DATA_DIR "/tls\"\n") ==
        V{"wecom.ca_file"});
  CHECK(ErrorKeys(kCredentials + "ca_file = \"" SCRM_TEST_DATA_DIR "/wecom-vectors.json\"\n") ==
        V{"wecom.ca_file"});
  CHECK(ErrorKeys(kCredentials + "ca_file = \"" SCRM_TEST_DATA_DIR "/tls/ca.pem\"\n").empty());
}

TEST_CASE("environment secrets override the file", "[config]") {
  auto r =
      LoadConfigText("[wecom]\ncorp_id = \"ww1\"\nagent_id = 1\n",
                     Env({{"SCRM_WECOM_SECRET", "env-secret"},
                          {"SCRM_WECOM_TOKEN", "envToken"},
                          {"SCRM_WECOM_AES_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}}));
  REQUIRE(r.config);
  CHECK(r.config->wecom.secret == "env-secret");
  CHECK(r.config->wecom.token == "envToken");
  auto o = LoadConfigText(kCredentials, Env({{"SCRM_WECOM_TOKEN", "fromEnv"}}));
  REQUIRE(o.config);
  CHECK(o.config->wecom.token == "fromEnv");
  // Group robots' webhook keys too, by the robot's name.
  std::string robots = kCredentials + "[robots]\neast-sales = \"\"\nwest = \"file-key\"\n";
  auto k = LoadConfigText(robots, Env({{"SCRM_ROBOT_EAST_SALES", "env-key"}}));
  REQUIRE(k.config);
  CHECK(k.config->robots.at("east-sales") == "env-key");
  CHECK(k.config->robots.at("west") == "file-key");
  // The whole webhook URL pasted from the group's settings: its key.
  auto pasted = LoadConfigText(
      kCredentials +
          "[robots]\nwest = \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7x\"\n",
      NoEnv());
  REQUIRE(pasted.config);
  CHECK(pasted.config->robots.at("west") == "693a91f6-7x");
  for (const char* bad : {"has space", "https://example.com/no-key", "k\\u0001"}) {
    auto refused = LoadConfigText(kCredentials + "[robots]\nwest = \"" + bad + "\"\n", NoEnv());
    REQUIRE(refused.errors.size() == 1);
    CHECK(refused.errors[0].key == "robots.west");
    CHECK(refused.errors[0].message.find("space") == std::string::npos);  // never echoed
  }
  auto missing = LoadConfigText(robots, Env({}));
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].key == "robots.east-sales");
  CHECK(missing.errors[0].message.find("SCRM_ROBOT_EAST_SALES") != std::string::npos);
  // An empty variable (a blank line of an environment file) overrides nothing.
  auto blank = LoadConfigText(robots, Env({{"SCRM_WECOM_SECRET", ""},
                                           {"SCRM_ROBOT_WEST", ""},
                                           {"SCRM_ROBOT_EAST_SALES", "env-key"}}));
  REQUIRE(blank.config);
  CHECK(blank.config->wecom.secret == "s3cr3t-value");
  CHECK(blank.config->robots.at("west") == "file-key");
}

TEST_CASE("a config path that is a directory, teams sharing a member, a bad api_base", "[config]") {
  test::TempDir dir;
  auto folder = LoadConfigFile(dir.path().string(), NoEnv());
  REQUIRE(folder.errors.size() == 1);
  CHECK(folder.errors[0].key == "--config");
  CHECK(folder.errors[0].message.find("is a directory") != std::string::npos);
  CHECK(LoadConfigFile((dir.path() / "missing.toml").string(), NoEnv())
            .errors[0]
            .message.find("cannot read file") != std::string::npos);
  auto shared =
      ErrorKeys(kCredentials +
                "[[teams]]\nname = \"华东\"\nmanager = \"boss1\"\nmembers = [\"zhangsan\"]\n"
                "[[teams]]\nname = \"华南\"\nmanager = \"boss2\"\nmembers = [\"lisi\", "
                "\"zhangsan\"]\n");
  CHECK(shared == std::vector<std::string>{"teams[1].members"});
  for (const char* bad : {"https://", "https://host:99999", "https://a b", "https://u:p@host"}) {
    INFO(bad);
    CHECK(ErrorKeys(kCredentials + "api_base = \"" + bad + "\"\n") ==
          std::vector<std::string>{"wecom.api_base"});
  }
  auto slash =
      LoadConfigText(kCredentials + "api_base = \"https://qyapi.weixin.qq.com/\"\n", NoEnv());
  REQUIRE(slash.config);
  CHECK(slash.config->wecom.api_base == "https://qyapi.weixin.qq.com");
  CHECK(ErrorKeys(kCredentials + "api_base = \"http://127.0.0.1:8081\"\n").empty());
  CHECK(ErrorKeys(kCredentials + "api_base = \"http://[::1]:8081\"\n").empty());
  CHECK(ErrorKeys(kCredentials + "api_base = \"https://gw.example.com/wecom\"\n").empty());
  CHECK(LoadConfigText(kCredentials + "api_base = \"https://u:p4ss@host\"\n", NoEnv())
            .errors[0]
            .message.find("p4ss") == std::string::npos);
  // A manager listed in their own team may be a member of another.
  CHECK(ErrorKeys(kCredentials +
                  "[[teams]]\nname = \"A\"\nmanager = \"alice\"\nmembers = [\"alice\", \"bob\"]\n"
                  "[[teams]]\nname = \"B\"\nmanager = \"carol\"\nmembers = [\"alice\"]\n")
            .empty());
}

TEST_CASE("malformed TOML is one clear error", "[config]") {
  auto r = LoadConfigText("[server\nlisten = ", NoEnv());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].key == "toml");
  CHECK(r.errors[0].message.find("line 1") != std::string::npos);
  // A secret typed without quotes is not quoted back in the error.
  for (std::string line : {"token = 123456789012345678901234", "secret = abc123secret",
                           "  encoding_aes_key = 99999999999999999999"}) {
    auto secret = LoadConfigText("[wecom]\n" + line + "\n", NoEnv());
    REQUIRE(secret.errors.size() == 1);
    INFO(secret.errors[0].message);
    CHECK(secret.errors[0].message.find("line 2") != std::string::npos);
    CHECK(secret.errors[0].message.find(line.substr(line.find('=') + 2, 6)) == std::string::npos);
  }
  for (std::string text :
       {std::string("[robots]\neast = k3y-v4lue\n"),
        std::string("[ robots ]\n\"east\" = k3y-v4lue\n"),
        std::string("robots = { east = k3y-v4lue }\n"), std::string("wecom.token = k3y-v4lue\n"),
        std::string("[wecom]\n\"token\" = 123456789012345678901234k3y\n")}) {
    auto robot = LoadConfigText(text, NoEnv());
    REQUIRE(robot.errors.size() == 1);
    INFO(robot.errors[0].message);
    CHECK(robot.errors[0].message.find("k3y") == std::string::npos);
  }
  // Elsewhere the error says what is wrong.
  auto other = LoadConfigText("[server]\nlisten = 127.0.0.1\n", NoEnv());
  REQUIRE(other.errors.size() == 1);
  CHECK(other.errors[0].message.find("double quotes") == std::string::npos);
  for (const char* junk : {"\x01\x02\xff", "= = =", "[[wecom]]\n", "a = \"unterminated"}) {
    CHECK_FALSE(LoadConfigText(junk, NoEnv()).config.has_value());
  }
}

TEST_CASE("a key with control characters is still named on one line", "[config]") {
  auto r =
      LoadConfigText(std::string(kCredentials) + "[server]\n\"odd\\nkey\\u0001\" = 1\n", NoEnv());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].key == "server.odd\nkey\x01");  // as the file spells it
  CHECK(r.errors[0].ToString() == "server.odd\\nkey\\x01: unknown key");
}

TEST_CASE("plain http to anything but this machine is a warning, not an error", "[config]") {
  auto warnings = [](const std::string& base) {
    auto r = LoadConfigText(kCredentials + "api_base = \"" + base + "\"\n", NoEnv());
    REQUIRE(r.config);
    return ConfigWarnings(*r.config);
  };
  CHECK(warnings("https://qyapi.weixin.qq.com").empty());
  CHECK(warnings("http://127.0.0.1:8080").empty());
  CHECK(warnings("http://localhost:8080/wecom").empty());
  CHECK(warnings("http://[::1]:8080").empty());
  auto plain = warnings("http://qyapi.weixin.qq.com");
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].starts_with("wecom.api_base: plain http:// to qyapi.weixin.qq.com"));
}

TEST_CASE("check-config exits 2 with one line per bad key and no secret", "[config][cli]") {
  test::TempDir dir;
  std::string path = dir.File("bad.toml");
  std::ofstream(path) << kCredentials << "[server]\nlisten = \"x\"\n[schedule]\ntimezone = \"Q\"\n"
                      << "[log]\nlevel=\"loud\"\n";
  auto [code, out] = test::RunBot({"check-config", "--config", path});
  CHECK(code == 2);
  CHECK(out.find("server.listen") != std::string::npos);
  CHECK(out.find("schedule.timezone") != std::string::npos);
  CHECK(out.find("log.level") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 3);
  CHECK(out.find("s3cr3t-value") == std::string::npos);

  std::string good = dir.File("good.toml");
  std::ofstream(good) << kCredentials << "[templates]\ndir = \"" << SCRM_SOURCE_DIR
                      << "/templates\"\n";
  auto [ok_code, ok_out] = test::RunBot({"check-config", "--config", good});
  CHECK(ok_code == 0);
  CHECK(ok_out.find("s3cr3t-value") == std::string::npos);
  CHECK(ok_out.find("config warning") == std::string::npos);

  // A warning is said, and the configuration is still good.
  std::string plain = dir.File("plain.toml");
  std::ofstream(plain) << kCredentials
                       << "api_base = \"http://10.0.0.8:8080\"\n[templates]\ndir = \""
                       << SCRM_SOURCE_DIR << "/templates\"\n";
  auto [p_code, p_out] = test::RunBot({"check-config", "--config", plain});
  CHECK(p_code == 0);
  CHECK(p_out.find("config warning: wecom.api_base: plain http:// to 10.0.0.8") !=
        std::string::npos);

  std::string no_templates = dir.File("no_templates.toml");
  std::ofstream(no_templates) << kCredentials << "[templates]\ndir = \"" << dir.File("none")
                              << "\"\n";
  auto [t_code, t_out] = test::RunBot({"check-config", "--config", no_templates});
  CHECK(t_code == 2);
  CHECK(t_out.find("templates.dir") != std::string::npos);
  CHECK(test::RunBot({"check-config", "--config", dir.File("missing.toml")}).first == 2);
  CHECK(test::RunBot({"check-config"}).first == 2);
  CHECK(test::RunBot({"frobnicate"}).first == 2);
  // The example configuration is valid as shipped, run from the repository root.
  CHECK(test::RunBot({"check-config", "--config", "config.example.toml"}, SCRM_SOURCE_DIR).first ==
        0);
}

TEST_CASE("a database path that cannot be opened says why", "[config]") {
  test::TempDir dir;
  std::ofstream(dir.File("plain")) << "not a directory";
  Config c;
  c.storage.sqlite_path = dir.File("plain") + "/scrm.db";
  test::ManualClock clock;
  auto result = RunMigrations(c, clock);
  auto* error = std::get_if<std::string>(&result);
  REQUIRE(error);
  CHECK(error->starts_with("storage.sqlite_path: cannot open"));
  CHECK(error->find("its directory does not exist and cannot be made") != std::string::npos);
}
