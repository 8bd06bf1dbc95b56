#include "bot/callback_service.h"

#include "bot/query.h"
#include "wecom/callback.h"
#include "wecom/xml.h"

namespace scrm::bot {
namespace {

std::optional<wecom::SignedQuery> ReadSignedQuery(std::string_view raw,
                                                  std::map<std::string, std::string>& all) {
  auto parsed = ParseQuery(raw);
  if (!parsed) return std::nullopt;
  all = std::move(*parsed);
  wecom::SignedQuery q;
  q.msg_signature = all["msg_signature"];
  q.timestamp = all["timestamp"];
  q.nonce = all["nonce"];
  if (q.msg_signature.empty() || q.timestamp.empty() || q.nonce.empty()) return std::nullopt;
  return q;
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
  std::map<std::string, std::string> all;
  auto q = ReadSignedQuery(raw_query, all);
  if (!q || all["echostr"].empty()) {
    metrics_.UrlVerified(false);
    return Reply{400, "missing msg_signature, timestamp, nonce or echostr\n"};
  }
  auto plain = crypt_.VerifyUrl(*q, all["echostr"]);
  metrics_.UrlVerified(plain.has_value());
  if (!plain) {
    bool bad_sig = plain.error() == wecom::Errc::kValidateSignature;
    return Reply{bad_sig ? 401 : 400, plain.error().message() + "\n"};
  }
  return Reply{200, std::move(*plain)};
}

std::variant<Reply, storage::InboxRecord> CallbackService::Accept(std::string_view raw_query,
                                                                  std::string_view body) const {
  std::map<std::string, std::string> all;
  auto q = ReadSignedQuery(raw_query, all);
  if (!q) return Rejected(Reject::kBadRequest, 400, "missing msg_signature, timestamp or nonce");
  auto envelope = wecom::ParseEnvelope(body);
  if (!envelope) return FromCryptoError(envelope.error());
  auto plain = crypt_.Decrypt(*q, envelope->encrypt);
  if (!plain) return FromCryptoError(plain.error());
  auto parsed = wecom::ParseCallback(*plain);
  if (!parsed) return Rejected(Reject::kBadPayload, 400, "malformed payload");
  storage::InboxRecord record;
  record.dedup_key = std::move(parsed->dedup_key);
  record.kind = std::move(parsed->kind);
  record.from_user = wecom::HeaderOf(parsed->event).from_user;
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

Reply CallbackService::TooLarge() const {
  return Rejected(Reject::kTooLarge, 413, "body too large");
}

}  // namespace scrm::bot
