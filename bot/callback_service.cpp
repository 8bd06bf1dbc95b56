#include "bot/callback_service.h"

#include <spdlog/spdlog.h>

#include "bot/query.h"
#include "wecom/callback.h"
#include "wecom/xml.h"

namespace scrm::bot {
namespace {

// The signed values of a callback query, plus echostr (empty for a POST).
struct CallbackQuery {
  wecom::SignedQuery signed_query;
  std::string echostr;
};

std::optional<CallbackQuery> ReadSignedQuery(std::string_view raw) {
  auto values = QueryValues(raw, {"msg_signature", "timestamp", "nonce", "echostr"});
  if (!values) return std::nullopt;
  CallbackQuery q;
  q.signed_query.msg_signature = std::move((*values)[0]);
  q.signed_query.timestamp = std::move((*values)[1]);
  q.signed_query.nonce = std::move((*values)[2]);
  q.echostr = std::move((*values)[3]);
  return q;
}

// No msg_signature, timestamp or nonce: WeCom's scheme treats an empty value
// as a signature that does not match (-40001), and so does the bot (401).
bool Unsigned(const wecom::SignedQuery& s) {
  return s.msg_signature.empty() || s.timestamp.empty() || s.nonce.empty();
}

}  // namespace

Reply CallbackService::Rejected(Reject reason, int status, std::string_view what) const {
  metrics_.Rejected(reason);
  return Reply{status, std::string(what) + "\n"};
}

Reply CallbackService::FromCryptoError(const boost::system::error_code& ec) const {
  using wecom::Errc;
  switch (static_cast<Errc>(ec.value())) {
    case Errc::kValidateSignature:
      return Rejected(Reject::kBadSignature, 401, "bad signature");
    case Errc::kParseXml:
      return Rejected(Reject::kBadXml, 400, "malformed envelope");
    case Errc::kDecodeBase64:
      return Rejected(Reject::kBadBase64, 400, "bad base64");
    case Errc::kDecryptAes:
      return Rejected(Reject::kBadPadding, 400, "bad ciphertext");
    case Errc::kIllegalBuffer:
      return Rejected(Reject::kBadFraming, 400, "bad framing");
    case Errc::kValidateCorpId:
      return Rejected(Reject::kWrongCorpId, 400, "wrong corp id");
    default:
      return Rejected(Reject::kBadPayload, 400, "malformed payload");
  }
}

Reply CallbackService::VerifyUrl(std::string_view raw_query) const {
  auto q = ReadSignedQuery(raw_query);
  if (!q || Unsigned(q->signed_query) || q->echostr.empty()) {
    metrics_.UrlVerified(false);
    if (q && Unsigned(q->signed_query)) {
      return Reply{401, "missing msg_signature, timestamp or nonce\n"};
    }
    return Reply{400, q ? "missing echostr\n" : "malformed query\n"};
  }
  auto plain = crypt_.VerifyUrl(q->signed_query, q->echostr);
  metrics_.UrlVerified(plain.has_value());
  if (!plain) {
    // What an admin setting up the callback URL needs: which check failed.
    spdlog::warn("URL verification failed: {}", plain.error().message());
    bool bad_sig = plain.error() == wecom::Errc::kValidateSignature;
    return Reply{bad_sig ? 401 : 400, plain.error().message() + "\n"};
  }
  return Reply{200, std::move(*plain)};
}

std::variant<Reply, storage::InboxRecord> CallbackService::Accept(std::string_view raw_query,
                                                                  std::string_view body) const {
  auto q = ReadSignedQuery(raw_query);
  if (!q) return Rejected(Reject::kBadRequest, 400, "malformed query");
  if (Unsigned(q->signed_query)) {
    return Rejected(Reject::kBadSignature, 401, "missing msg_signature, timestamp or nonce");
  }
  auto envelope = wecom::ParseEnvelope(body);
  if (!envelope) return FromCryptoError(envelope.error());
  auto plain = crypt_.Decrypt(q->signed_query, envelope->encrypt);
  if (!plain) return FromCryptoError(plain.error());
  auto fields = wecom::ReadIntake(*plain);
  if (!fields) return Rejected(Reject::kBadPayload, 400, "malformed payload");
  storage::InboxRecord record;
  record.dedup_key = std::move(fields->dedup_key);
  record.kind = std::move(fields->kind);
  record.from_user = std::move(fields->from_user);
  record.payload = std::move(*plain);
  record.received_at = clock_.Now().time_since_epoch().count();
  return record;
}

Reply CallbackService::Stored(const storage::Result<int>& outcome) const {
  if (!outcome) return Rejected(Reject::kStorage, 503, "storage unavailable, retry later");
  if (*outcome == static_cast<int>(storage::InboxOutcome::kInserted)) {
    metrics_.Accepted();
    metrics_.AddInboxRows(1);
  } else {
    metrics_.Duplicate();
  }
  return Reply{200, ""};
}

Reply CallbackService::BadHttp(int status, std::string_view what) const {
  return Rejected(Reject::kBadHttp, status, what);
}

Reply CallbackService::TooLarge() const {
  return Rejected(Reject::kTooLarge, 413, "body too large");
}

}  // namespace scrm::bot
