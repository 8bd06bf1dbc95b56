// Error codes of the WeCom protocol layer. The crypto codes are the ones the
// official WXBizMsgCrypt samples use (-40001 ... -40011), so logs and tests
// can be compared with any other WeCom SDK.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <type_traits>

namespace scrm::wecom {

enum class Errc {
  kOk = 0,
  kValidateSignature = -40001,  // msg_signature does not match, or an input is empty
  kParseXml = -40002,           // envelope is not XML, lacks <Encrypt>, or has a DOCTYPE
  kComputeSignature = -40003,   // could not sign (empty token/timestamp/nonce)
  kIllegalAesKey = -40004,      // EncodingAESKey not 43 alnum chars / not 32 bytes
  kValidateCorpId = -40005,     // ReceiveId inside the plaintext differs from ours
  kEncryptAes = -40006,
  kDecryptAes = -40007,     // ciphertext length or PKCS#7(32) padding invalid
  kIllegalBuffer = -40008,  // framing too short or msg_len past the end
  kEncodeBase64 = -40009,
  kDecodeBase64 = -40010,
  kGenReturnXml = -40011,
  kBadPayload = -41001,  // decrypted inner XML malformed (not a sample code)
  // API client (not sample codes either).
  kBadUrl = -41002,            // not an http:// or https:// URL
  kNetwork = -41003,           // resolve, connect, TLS, read or write failed
  kTimeout = -41004,           // connect or read deadline passed
  kResponseTooLarge = -41005,  // body over the client's limit
  kHttpStatus = -41006,        // a non-200 HTTP status
  kBadJson = -41007,           // the response is not the JSON the API promises
  kApiError = -41008,          // WeCom answered errcode != 0 (see ApiError)
  kNotSent = -41009,           // not called: what it carries had expired (a welcome code)
};

const boost::system::error_category& WeComCategory();

inline boost::system::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), WeComCategory()};
}

template <class T>
using Result = boost::system::result<T>;

}  // namespace scrm::wecom

template <>
struct boost::system::is_error_code_enum<scrm::wecom::Errc> : std::true_type {};
