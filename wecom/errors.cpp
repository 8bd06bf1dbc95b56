#include "wecom/errors.h"

#include <string>

namespace scrm::wecom {
namespace {

class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "wecom"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::kOk:
        return "ok";
      case Errc::kValidateSignature:
        return "signature mismatch";
      case Errc::kParseXml:
        return "malformed envelope XML";
      case Errc::kComputeSignature:
        return "cannot compute signature";
      case Errc::kIllegalAesKey:
        return "illegal EncodingAESKey";
      case Errc::kValidateCorpId:
        return "receive id mismatch";
      case Errc::kEncryptAes:
        return "AES encryption failed";
      case Errc::kDecryptAes:
        return "AES decryption failed or bad padding";
      case Errc::kIllegalBuffer:
        return "illegal plaintext framing";
      case Errc::kEncodeBase64:
        return "base64 encoding failed";
      case Errc::kDecodeBase64:
        return "bad base64";
      case Errc::kGenReturnXml:
        return "cannot build reply XML";
      case Errc::kBadUrl:
        return "bad URL";
      case Errc::kNetwork:
        return "network error";
      case Errc::kTimeout:
        return "timed out";
      case Errc::kResponseTooLarge:
        return "response too large";
      case Errc::kHttpStatus:
        return "unexpected HTTP status";
      case Errc::kBadJson:
        return "malformed JSON response";
      case Errc::kApiError:
        return "WeCom API error";
      case Errc::kNotSent:
        return "not sent";
      case Errc::kBadPayload:
        return "malformed callback payload";
    }
    return "wecom error " + std::to_string(ev);
  }
};

}  // namespace

const boost::system::error_category& WeComCategory() {
  static const Category category;
  return category;
}

}  // namespace scrm::wecom
