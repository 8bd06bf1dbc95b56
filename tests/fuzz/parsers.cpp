#include "tests/fuzz/parsers.h"

#include <openssl/evp.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>

#include "bot/callback_service.h"
#include "bot/commands.h"
#include "bot/config.h"
#include "bot/dispatch.h"
#include "bot/org.h"
#include "bot/query.h"
#include "bot/render.h"
#include "bot/rep_commands.h"
#include "domain/money.h"
#include "domain/schedule.h"
#include "storage/connection.h"
#include "storage/crm.h"
#include "storage/db.h"
#include "storage/migrate.h"
#include "tests/support/manual_clock.h"
#include "wecom/api.h"
#include "wecom/approval.h"
#include "wecom/base64.h"
#include "wecom/callback.h"
#include "wecom/cards.h"
#include "wecom/contacts.h"
#include "wecom/crypto.h"
#include "wecom/directory.h"
#include "wecom/http_client.h"
#include "wecom/messages.h"
#include "wecom/xml.h"

namespace scrm::fuzz {
namespace {

using Failure = std::optional<std::string>;

// The official sample app of WeCom's callback documentation.
constexpr std::string_view kToken = "QDG6eK";
constexpr std::string_view kAesKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
constexpr std::string_view kCorpId = "wx5823bf96d3bd56c7";
constexpr std::string_view kPrefix = "0123456789abcdef";

// Structurally valid UTF-8: every lead byte followed by as many continuation
// bytes as it announces.
bool ValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = c < 0x80                ? 0
                        : c >= 0xC2 && c < 0xE0 ? 1
                        : c >= 0xE0 && c < 0xF0 ? 2
                        : c >= 0xF0 && c < 0xF5 ? 3
                                                : 4;
    if (extra == 4 || (extra > 0 && i + extra >= s.size())) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::size_t CountChars(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Two bytes taken from the front of `data` as a number in [lo, lo + span).
std::size_t TakeNumber(std::string_view& data, std::size_t lo, std::size_t span) {
  std::size_t v = 0;
  for (int i = 0; i < 2 && !data.empty(); ++i) {
    v = v * 256 + static_cast<unsigned char>(data.front());
    data.remove_prefix(1);
  }
  return lo + v % span;
}

const wecom::MsgCrypt& Crypt() {
  static const wecom::MsgCrypt crypt =
      *wecom::MsgCrypt::Create(std::string(kToken), kAesKey, std::string(kCorpId));
  return crypt;
}

wecom::SignedQuery Sign(std::string_view encrypt) {
  wecom::SignedQuery q{"", "1409659813", "1372623149"};  // any timestamp and nonce will do
  q.msg_signature = wecom::ComputeSignature(kToken, q.timestamp, q.nonce, encrypt);
  return q;
}

// AES-256-CBC of `plain` (zero-filled to a whole block) under the sample key,
// without any framing or padding: lets the fuzzer reach the framing checks.
std::string RawCipher(const std::string& plain) {
  auto key = wecom::Base64Decode(std::string(kAesKey) + "=");
  std::string out(plain.size(), '\0');
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  auto* k = reinterpret_cast<const unsigned char*>(key->data());
  int n = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, k, k);
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                    reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  return out;
}

Failure Crypto(std::string_view data) {
  if (data.empty()) return {};
  char mode = data.front();
  data.remove_prefix(1);
  switch (mode % 4) {
    case 0: {  // encrypt, then decrypt: the message comes back byte for byte
      auto enc = Crypt().Encrypt(data, kPrefix);
      if (!enc) return "Encrypt failed";
      auto dec = Crypt().Decrypt(Sign(*enc), *enc);
      if (!dec || *dec != data) return "Decrypt(Encrypt(m)) != m";
      return {};
    }
    case 1: {  // any ciphertext: refused with a code, or a message inside it
      std::string plain(data);
      plain.resize((plain.size() / 16 + 1) * 16, '\0');
      std::string encrypt = wecom::Base64Encode(RawCipher(plain));
      auto dec = Crypt().Decrypt(Sign(encrypt), encrypt);
      if (dec && plain.find(*dec) == std::string::npos) return "plaintext not from the frame";
      return {};
    }
    case 2: {  // any <Encrypt> text
      (void)Crypt().Decrypt(Sign(data), data);
      return {};
    }
    default: {
      (void)Crypt().VerifyUrl(Sign(data), data);
      return {};
    }
  }
}

const bot::CallbackService& Service() {
  static bot::Metrics metrics;
  static const test::ManualClock clock;
  static const bot::CallbackService service(Crypt(), metrics, clock);
  return service;
}

// The callback routes end to end, short of the network.
Failure Service(std::string_view data) {
  if (data.empty()) return {};
  char mode = data.front();
  data.remove_prefix(1);
  if (mode % 2 == 0) {  // any query and body: refused with 400 or 401, never anything else
    std::size_t split = data.find('\n');
    std::string_view query = data.substr(0, split);
    std::string_view body = split == std::string_view::npos ? "" : data.substr(split + 1);
    auto verified = Service().VerifyUrl(query);
    if (verified.status != 200 && verified.status != 400 && verified.status != 401) {
      return "VerifyUrl answered " + std::to_string(verified.status);
    }
    auto accepted = Service().Accept(query, body);
    if (auto* reply = std::get_if<bot::Reply>(&accepted)) {
      if (reply->status != 400 && reply->status != 401) {
        return "Accept answered " + std::to_string(reply->status);
      }
    }
    return {};
  }
  // A correctly signed and encrypted payload: stored exactly when it parses.
  auto encrypt = Crypt().Encrypt(data, kPrefix);
  if (!encrypt) return "Encrypt failed";
  wecom::SignedQuery q = Sign(*encrypt);
  std::string query =
      "msg_signature=" + q.msg_signature + "&timestamp=" + q.timestamp + "&nonce=" + q.nonce;
  std::string body = "<xml><ToUserName><![CDATA[" + std::string(kCorpId) + "]]></ToUserName>" +
                     "<Encrypt><![CDATA[" + *encrypt + "]]></Encrypt></xml>";
  auto accepted = Service().Accept(query, body);
  auto parsed = wecom::ParseCallback(data);
  auto* record = std::get_if<storage::InboxRecord>(&accepted);
  if (parsed.has_value() != (record != nullptr)) return "Accept and ParseCallback disagree";
  if (record && (record->dedup_key != parsed->dedup_key || record->payload != data)) {
    return "the inbox record is not the payload and its dedup key";
  }
  if (record && (record->kind != parsed->kind ||
                 record->from_user != wecom::HeaderOf(parsed->event).from_user)) {
    return "the inbox record's kind or sender is not the payload's";
  }
  if (!record && std::get<bot::Reply>(accepted).status != 400) return "a bad payload is not a 400";
  return {};
}

// A CRM with a few customers, for running reps' messages against.
struct Crm {
  Crm() : templates(LoadTemplates()), funnel(domain::Funnel::Default()) {
    config.wecom.agent_id = 1000002;
    config.teams.push_back({"华东", "boss", {"zhangsan", "lisi"}, "", ""});
    db = std::move(*storage::Db::Open({":memory:"}));
    if (!storage::Migrate(*db, now)) std::abort();
    for (const char* name : {"王总", "张伟", "张伟", "李雷"}) AddCustomer("zhangsan", name);
    AddCustomer("lisi", "韩梅梅", "wmABC");
    org = bot::Org::Load(db->connection(), config.teams);
  }

  static bot::Templates LoadTemplates() {
    std::string error;
    auto t = bot::Templates::Load(SCRM_SOURCE_DIR "/templates", bot::RequiredTemplates(), error);
    if (!t) std::abort();
    return std::move(*t);
  }

  void AddCustomer(const std::string& owner, const std::string& name,
                   const std::string& external_userid = "") {
    domain::Customer c;
    c.owner = owner;
    c.name = name;
    c.external_userid = external_userid;
    c.created_at = now;
    storage::InsertCustomer(db->connection(), c);
  }

  bot::Config config;
  bot::Templates templates;
  domain::Funnel funnel;
  bot::Org org;
  std::unique_ptr<storage::Db> db;
  std::int64_t now = 1764032400;
};

// Runs `run` against the CRM and rolls back whatever it changed.
template <class Run>
bot::Messages RolledBack(Run run) {
  static Crm crm;
  auto& conn = crm.db->connection();
  conn.db.exec("SAVEPOINT fuzz");
  bot::Messages messages;
  try {
    messages = run(conn, bot::CrmContext{crm.config, crm.funnel, crm.templates, crm.org, crm.now});
  } catch (...) {
    conn.db.exec("ROLLBACK TO fuzz; RELEASE fuzz");
    throw;
  }
  conn.db.exec("ROLLBACK TO fuzz; RELEASE fuzz");
  return messages;
}

// A rep's chat message run as a command: always answered, never an
// exception. Each message is rolled back afterwards.
Failure RepMessage(std::string_view data) {
  if (data.empty()) return {};
  static const char* const kReps[] = {"zhangsan", "lisi", "boss", "outsider"};
  std::string rep = kReps[static_cast<unsigned char>(data.front()) % 4];
  std::string text(data.substr(1));
  bot::Messages messages = RolledBack([&](storage::Connection& conn, const bot::CrmContext& ctx) {
    return bot::RunRepMessage(conn, rep, text, ctx);
  });
  // The rep always hears back; a discount past the rep's authority also
  // asks the manager.
  bool answered = std::any_of(messages.begin(), messages.end(),
                              [&](const auto& m) { return m.recipient == "user:" + rep; });
  if (!answered && !bot::NormalizeText(text).empty()) return "no answer to \"" + text + "\"";
  return {};
}

// A stored callback dispatched as the delivery thread would: customer
// events, approval changes, card clicks and rep messages change the CRM
// without an exception escaping.
Failure DispatchPayload(std::string_view data) {
  auto parsed = wecom::ParseCallback(data);
  if (!parsed) return {};
  storage::InboxRow row;
  row.id = 1;
  row.record = {parsed->dedup_key, parsed->kind, "", std::string(data), 1764032400};
  RolledBack([&](storage::Connection& conn, const bot::CrmContext& ctx) {
    return bot::Dispatch(conn, row, ctx);
  });
  return {};
}

Failure Base64(std::string_view data) {
  auto decoded = wecom::Base64Decode(data);
  if (decoded && wecom::Base64Decode(wecom::Base64Encode(*decoded)) != decoded) {
    return "Base64 re-encoding changed the bytes";
  }
  if (wecom::Base64Decode(wecom::Base64Encode(data)) != std::string(data)) {
    return "Base64Decode(Base64Encode(b)) != b";
  }
  return {};
}

Failure Envelope(std::string_view data) {
  (void)wecom::ParseEnvelope(data);
  // Any text without NUL or CR survives CDATA wrapping and the parse.
  if (!data.empty() && data.find_first_of(std::string_view("\0\r", 2)) == std::string_view::npos) {
    auto env = wecom::ParseEnvelope("<xml><Encrypt>" + wecom::CData(data) + "</Encrypt></xml>");
    if (!env || env->encrypt != data) return "CData(text) did not parse back to the text";
    // Plain text that is only white space is not text to XML parsers.
    if (data.find_first_not_of(" \t\n") != std::string_view::npos) {
      auto esc =
          wecom::ParseEnvelope("<xml><Encrypt>" + wecom::EscapeText(data) + "</Encrypt></xml>");
      if (!esc || esc->encrypt != data) return "EscapeText(text) did not parse back to the text";
    }
  }
  return {};
}

Failure Callback(std::string_view data) {
  auto parsed = wecom::ParseCallback(data);
  if (parsed && parsed->dedup_key.empty()) return "accepted callback without a dedup key";
  return {};
}

Failure Query(std::string_view data) {
  auto map = bot::ParseQuery(data);
  auto values = bot::QueryValues(data, {"msg_signature", "timestamp", "nonce", "echostr"});
  if (map.has_value() != values.has_value()) return "ParseQuery and QueryValues disagree";
  if (map) {
    const char* keys[] = {"msg_signature", "timestamp", "nonce", "echostr"};
    for (int i = 0; i < 4; ++i) {
      auto it = map->find(keys[i]);
      if ((it == map->end() ? std::string() : it->second) != (*values)[i]) {
        return "ParseQuery and QueryValues give different values";
      }
    }
  }
  (void)bot::PercentDecode(data);
  (void)bot::PathOf(data);
  (void)bot::QueryOf(data);
  return {};
}

// Whether `text` ends with `tail`, then nothing but white space.
bool EndsWithTyped(std::string_view text, std::string_view tail) {
  auto at = text.rfind(tail);
  return !tail.empty() && at != std::string_view::npos &&
         bot::NormalizeText(text.substr(at + tail.size())).empty();
}

Failure Command(std::string_view data) {
  bot::Command command = bot::ParseCommand(data);
  // Free text is kept as typed: the end of the message.
  if (const auto* follow = std::get_if<bot::cmd::Follow>(&command)) {
    if (!EndsWithTyped(data, follow->content)) return "follow-up content is not the message's end";
  }
  if (const auto* lost = std::get_if<bot::cmd::Lost>(&command)) {
    if (!EndsWithTyped(data, lost->reason)) return "lost reason is not the message's end";
  }
  std::string once = bot::NormalizeText(data);
  if (bot::NormalizeText(once) != once) return "NormalizeText is not idempotent";
  return {};
}

Failure Amount(std::string_view data) {
  if (auto fen = domain::ParseAmount(data)) {
    if (*fen < 0) return "negative amount accepted";
    if (domain::ParseAmount(domain::FormatPlain(*fen)) != fen)
      return "FormatPlain does not parse back";
  }
  if (auto minute = domain::ParseClockTime(std::string(data))) {
    if (*minute < 0 || *minute >= 24 * 60) return "clock time out of range";
  }
  return {};
}

Failure Config(std::string_view data) {
  auto no_env = [](const std::string&) { return std::optional<std::string>(); };
  auto result = bot::LoadConfigText(std::string(data), no_env);
  if (result.config.has_value() == !result.errors.empty()) return "config and errors disagree";
  // Secrets as the file gives them: no message about them may repeat them.
  std::map<std::string, std::string> secrets;
  try {
    toml::table table = toml::parse(data);
    for (const char* key : {"secret", "token", "encoding_aes_key"}) {
      if (auto v = table["wecom"][key].value<std::string>(); v && v->size() >= 4) {
        secrets[std::string("wecom.") + key] = *v;
      }
    }
  } catch (const toml::parse_error&) {
  }
  for (const auto& e : result.errors) {
    if (e.ToString().find_first_of("\r\n") != std::string::npos) return "a message of two lines";
    auto secret = secrets.find(e.key);
    if (secret != secrets.end() && e.message.find(secret->second) != std::string::npos) {
      return "a message repeats the secret of " + e.key;
    }
  }
  return {};
}

Failure Json(std::string_view data) {
  if (data.empty()) return {};
  char which = data.front();
  data.remove_prefix(1);
  switch (which % 16) {
    case 0:
      (void)wecom::ParseExternalContactDetail(data);
      break;
    case 1:
      (void)wecom::ParseContactPage(data);
      break;
    case 2:
      (void)wecom::ParseCorpTagGroups(data);
      break;
    case 3:
      (void)wecom::ParseAddedCorpTags(data);
      break;
    case 4:
      (void)wecom::ParseMassMessageReply(data);
      break;
    case 5:
      (void)wecom::ParseContactWayReply(data);
      break;
    case 6:
      (void)wecom::ParseFollowUsers(data);
      break;
    case 7:
      (void)wecom::ParseMember(data);
      break;
    case 8:
      (void)wecom::ParseMemberList(data);
      break;
    case 9:
      (void)wecom::ParseDepartments(data);
      break;
    case 10:
      (void)wecom::ParseApprovalTemplate(data);
      break;
    case 11:
      (void)wecom::ParseApplyEventReply(data);
      break;
    case 12:
      (void)wecom::ParseApprovalDetail(data);
      break;
    case 13:
      (void)wecom::ParseSendReply(data);
      break;
    case 14:
      (void)wecom::ParseAppChatCreated(data);
      break;
    default: {
      wecom::ApiReply reply;
      reply.body = std::string(data);
      wecom::ReadErrcode(reply);
    }
  }
  return {};
}

Failure Url(std::string_view data) {
  if (auto url = wecom::ParseUrl(data)) {
    if (url->host.empty() || url->target.empty() || url->target.front() != '/') {
      return "ParseUrl accepted a URL without host or path";
    }
  }
  (void)wecom::RedactUrl(data);
  return {};
}

Failure Split(std::string_view data) {
  std::size_t limit = TakeNumber(data, 33, 2048);
  auto pieces = wecom::SplitForLimit(data, limit);
  std::string joined;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    std::string piece = pieces[i];
    if (piece.size() > limit) return "a piece is over the limit";
    if (pieces.size() > 1) {
      std::string marker =
          "\n（" + std::to_string(i + 1) + "/" + std::to_string(pieces.size()) + "）";
      if (piece.size() < marker.size() ||
          piece.compare(piece.size() - marker.size(), marker.size(), marker) != 0) {
        return "a piece does not end with its marker";
      }
      piece.resize(piece.size() - marker.size());
    }
    if (ValidUtf8(data) && !ValidUtf8(piece)) return "a piece splits a UTF-8 sequence";
    joined += piece;
  }
  if (joined != data) return "the pieces do not add up to the text";
  return {};
}

Failure Truncate(std::string_view data) {
  std::size_t limit = TakeNumber(data, 0, 300);
  std::string bytes = wecom::TruncateBytes(data, limit);
  if (bytes.size() > limit) return "TruncateBytes over the limit";
  if (ValidUtf8(data) && !ValidUtf8(bytes)) return "TruncateBytes split a UTF-8 sequence";
  std::string chars = wecom::TruncateChars(data, limit);
  if (ValidUtf8(data) && CountChars(chars) > limit) return "TruncateChars over the limit";
  if (ValidUtf8(data) && !ValidUtf8(chars)) return "TruncateChars split a UTF-8 sequence";
  return {};
}

struct Target {
  const char* name;
  Failure (*run)(std::string_view);
};

constexpr std::array<Target, 15> kTargets{{
    {"crypto", Crypto},
    {"base64", Base64},
    {"envelope", Envelope},
    {"callback", Callback},
    {"query", Query},
    {"command", Command},
    {"amount", Amount},
    {"config", Config},
    {"json", Json},
    {"url", Url},
    {"split", Split},
    {"truncate", Truncate},
    {"service", Service},
    {"rep", RepMessage},
    {"dispatch", DispatchPayload},
}};

std::string Seed(int target, std::string_view body) {
  return std::string(1, static_cast<char>(target)) + std::string(body);
}

}  // namespace

std::optional<std::string> RunOne(std::string_view input) {
  if (input.empty()) return {};
  const Target& t = kTargets[static_cast<unsigned char>(input.front()) % kTargets.size()];
  input.remove_prefix(1);
  try {
    if (auto failure = t.run(input)) return std::string(t.name) + ": " + *failure;
  } catch (const std::exception& e) {
    return std::string(t.name) + ": exception escaped: " + e.what();
  }
  return {};
}

int TargetCount() { return static_cast<int>(kTargets.size()); }
const char* TargetName(int target) { return kTargets[static_cast<std::size_t>(target)].name; }

std::vector<std::string> Seeds() {
  return {
      Seed(0, std::string(1, '\0') + "<xml><Content>你好</Content></xml>"),
      Seed(0, std::string(1, '\1') + std::string(16, 'r') +
                  std::string("\0\0\0\5hellowx5823bf96d3bd56c7", 27)),
      Seed(0, std::string(1, '\2') +
                  "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/"
                  "0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
                  "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+"
                  "6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+"
                  "LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+"
                  "BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+"
                  "rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS"),
      Seed(0, std::string(1, '\3') +
                  "P9nAzCzyDtyTWESHep1vC5X9xho/"
                  "qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="),
      Seed(1, "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C="),
      Seed(1, "5L2g5aW9"),
      Seed(2,
           "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><Encrypt><![CDATA[abc]]>"
           "</Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"),
      Seed(
          3,
          "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
          "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
          "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"),
      Seed(3,
           "<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></"
           "FromUserName>"
           "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA["
           "change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]>"
           "</ChangeType><UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[wmABC]]>"
           "</ExternalUserID><State><![CDATA[ad]]></State><WelcomeCode><![CDATA[W1]]></"
           "WelcomeCode></xml>"),
      Seed(
          3,
          "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName><CreateTime>1700000000"
          "</CreateTime><MsgType>event</MsgType><Event>sys_approval_change</Event><AgentID>3010040"
          "</AgentID><ApprovalInfo><SpNo>202011190001</SpNo><SpName>报价审批</SpName><SpStatus>2"
          "</SpStatus><TemplateId>T1</TemplateId><ApplyTime>1700000000</ApplyTime><Applyer><UserId>"
          "lisi</UserId></Applyer><SpRecord><SpStatus>2</SpStatus><Details><Approver><UserId>wangwu"
          "</UserId></Approver><SpStatus>2</SpStatus></Details></SpRecord></ApprovalInfo></xml>"),
      Seed(3,
           "<xml><ToUserName>ww1</ToUserName><FromUserName>zhangsan</"
           "FromUserName><CreateTime>1700000000"
           "</CreateTime><MsgType>event</MsgType><Event>template_card_event</Event><EventKey>k</"
           "EventKey>"
           "<TaskId>t1</TaskId><SelectedItems><SelectedItem><QuestionKey>q</QuestionKey><OptionIds>"
           "<OptionId>a</OptionId></OptionIds></SelectedItem></SelectedItems><AgentID>1</AgentID></"
           "xml>"),
      Seed(4,
           "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce="
           "1372623149"
           "&echostr=RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo%2BrtK1I9qca6aM%2Fwvqn"),
      Seed(5, "跟进 张三 今天电话沟通，客户有意向"),
      Seed(5, "报价 #12 12,000 折扣 95"),
      Seed(5, "ｈｅｌｐ　　 回款 张三 1.2万"),
      Seed(6, "¥1,200.50"),
      Seed(6, "09:30"),
      Seed(7,
           "[server]\nlisten = \"127.0.0.1:8080\"\n[wecom]\ncorp_id = \"ww1\"\nagent_id = 1000002\n"
           "secret = \"s\"\ntoken = \"t\"\nencoding_aes_key = "
           "\"jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C\"\n"
           "[schedule]\ntimezone = \"Asia/Shanghai\"\n"),
      Seed(
          7,
          "[wecom]\nsecret = 12\ntoken = \"tok-en-secret\"\nencoding_aes_key = \"tooShortSecret\"\n"
          "\"odd\\nkey\" = 1\n[server]\nlisten = \"nowhere\"\n"),
      Seed(8,
           std::string(1, '\0') +
               "{\"errcode\":0,\"errmsg\":\"ok\",\"external_contact\":{\"external_userid\":\"wm1\","
               "\"name\":\"李四\",\"type\":1},\"follow_user\":[{\"userid\":\"zhangsan\",\"tags\":[]"
               "}]}"),
      Seed(8,
           "\x0c{\"errcode\":0,\"info\":{\"sp_no\":\"1\",\"sp_status\":2,\"apply_data\":{"
           "\"contents\":[]}}}"),
      Seed(8, "\x0f{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}"),
      Seed(9, "https://qyapi.weixin.qq.com:443/cgi-bin/gettoken?corpid=ww1&corpsecret=s"),
      Seed(10, std::string("\x00\x40", 2) +
                   "第一行\n第二行，比较长的一段中文文字，用来切分。\nlast line"),
      Seed(11, std::string("\x00\x07", 2) + "报价审批：张三 12,000 元"),
      Seed(12,
           std::string(1, '\0') +
               "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813"
               "&nonce=1372623149&echostr=RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo%2BrtK1I9qca6aM%2Fwvqn\n"
               "<xml><Encrypt>abc</Encrypt></xml>"),
      Seed(12,
           "\x01<xml><ToUserName>ww1</ToUserName><FromUserName>zhangsan</FromUserName>"
           "<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>跟进 张三</Content>"
           "<MsgId>7296438123456789012</MsgId><AgentID>1000002</AgentID></xml>"),
      Seed(13, std::string(1, '\0') + "跟进 王总 电话沟通，对方案B感兴趣"),
      Seed(13, std::string(1, '\0') + "报价 #1 6万 折扣 5"),
      Seed(13, std::string(1, '\0') + "跟进 张伟 上门拜访"),
      Seed(13, std::string(1, '\0') + "回款 王总 2万"),
      Seed(13, std::string(1, '\0') + "阶段 王总 需求调研"),
      Seed(13, std::string(1, '\0') + "待办 王总 明天 下午3点 回电"),
      Seed(13, std::string(1, '\2') + "漏斗"),
      Seed(13, std::string(1, '\2') + "团队"),
      Seed(13, std::string(1, '\1') + "客户 王总"),
      Seed(13, std::string(1, '\0') + "等级 李雷 A"),
      Seed(13, std::string(1, '\0') + "输单 李雷 预算不足"),
      Seed(14,
           "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName>"
           "<CreateTime>1764032400</CreateTime><MsgType>event</MsgType>"
           "<Event>change_external_contact</Event><ChangeType>add_external_contact</"
           "ChangeType><UserID>zhangsan</UserID><ExternalUserID>wmNEW</ExternalUserID><State>ad</"
           "State><WelcomeCode>W1</WelcomeCode></xml>"),
      Seed(14,
           "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName>"
           "<CreateTime>1764032400</CreateTime><MsgType>event</MsgType>"
           "<Event>change_external_contact</Event><ChangeType>edit_external_contact</"
           "ChangeType><UserID>lisi</UserID><ExternalUserID>wmABC</ExternalUserID></xml>"),
      Seed(14,
           "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName>"
           "<CreateTime>1764032400</CreateTime><MsgType>event</MsgType>"
           "<Event>change_external_contact</Event><ChangeType>del_follow_user</"
           "ChangeType><UserID>lisi</UserID><ExternalUserID>wmABC</ExternalUserID></xml>"),
      Seed(14,
           "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName>"
           "<CreateTime>1764032400</CreateTime><MsgType>event</MsgType>"
           "<Event>change_external_contact</Event><ChangeType>transfer_fail</"
           "ChangeType><FailReason>customer_refused</FailReason><UserID>lisi</"
           "UserID><ExternalUserID>wmABC</ExternalUserID></xml>"),
      Seed(14,
           "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName>"
           "<CreateTime>1764032400</CreateTime><MsgType>event</MsgType>"
           "<Event>sys_approval_change</Event><AgentID>3010040</"
           "AgentID><ApprovalInfo><SpNo>202511250001</SpNo><SpName>报价折扣审批</"
           "SpName><SpStatus>2</SpStatus><TemplateId>T1</TemplateId><ApplyTime>1764032400</"
           "ApplyTime><Applyer><UserId>zhangsan</UserId></Applyer></ApprovalInfo></xml>"),
      Seed(14,
           "<xml><ToUserName>ww1</ToUserName><FromUserName>sys</FromUserName>"
           "<CreateTime>1764032400</CreateTime><MsgType>event</MsgType>"
           "<Event>template_card_event</Event><EventKey>approve:1</EventKey><TaskId>quote-1</"
           "TaskId><CardType>button_interaction</CardType><AgentID>1000002</AgentID></xml>"),
      Seed(14,
           "<xml><ToUserName>ww1</ToUserName><FromUserName>zhangsan</FromUserName>"
           "<CreateTime>1764032400</CreateTime><MsgType>text</MsgType><Content>报价 王总 6万 折扣 5"
           "</Content><MsgId>1</MsgId><AgentID>1000002</AgentID></xml>"),
  };
}

}  // namespace scrm::fuzz
