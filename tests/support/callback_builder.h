// Builds correctly signed and encrypted WeCom callbacks, as WeCom would send.
#pragma once

#include <string>

#include "wecom/crypto.h"

namespace scrm::test {

// The generated-vector credentials (tests/data/wecom-vectors.json, V-*).
inline constexpr const char* kToken = "wecomScrmBotToken";
inline constexpr const char* kAesKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
inline constexpr const char* kCorpId = "ww0123456789abcdef";

struct SignedCallback {
  std::string target;  // path + query with msg_signature, timestamp, nonce
  std::string body;    // the XML envelope
};

class CallbackBuilder {
 public:
  CallbackBuilder(std::string path = "/wecom/callback", std::string token = kToken,
                  std::string aes_key = kAesKey, std::string corp_id = kCorpId);

  // A POST carrying `inner_xml`, encrypted and signed.
  SignedCallback Post(const std::string& inner_xml, const std::string& timestamp = "1700000000",
                      const std::string& nonce = "123456") const;
  // A GET URL verification for `echo`.
  std::string VerifyTarget(const std::string& echo, const std::string& timestamp = "1700000000",
                           const std::string& nonce = "123456") const;
  // A POST envelope with a given Encrypt text, signed over it.
  SignedCallback PostEncrypt(const std::string& encrypt,
                             const std::string& timestamp = "1700000000",
                             const std::string& nonce = "123456") const;

  const wecom::MsgCrypt& crypt() const { return crypt_; }

 private:
  std::string path_;
  wecom::MsgCrypt crypt_;
};

// A text message from `from` with MsgId `msg_id`.
std::string TextMessageXml(const std::string& from, const std::string& content,
                           const std::string& msg_id);

}  // namespace scrm::test
