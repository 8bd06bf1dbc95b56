// WXBizMsgCrypt: the signature and AES scheme WeCom uses for callbacks.
//
// msg_signature = hex(SHA1(sorted(token, timestamp, nonce, encrypt) joined)),
// Encrypt = Base64(AES-256-CBC(key, iv = key[0..16), random16 || be32(len) ||
// msg || receive_id || PKCS#7 padding to a 32-byte block)).
//
// A MsgCrypt is immutable after Create() and safe to share between threads.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "wecom/errors.h"

namespace scrm::wecom {

// Query values of a callback request, already percent-decoded once.
struct SignedQuery {
  std::string msg_signature;
  std::string timestamp;
  std::string nonce;
};

// Lower-case hex SHA1 over the four values sorted bytewise and concatenated.
std::string ComputeSignature(std::string_view token, std::string_view timestamp,
                             std::string_view nonce, std::string_view encrypt);
// Lower-case hex SHA-256 of `data` (empty only if OpenSSL fails).
std::string Sha256Hex(std::string_view data);

class MsgCrypt {
 public:
  // Fails with kIllegalAesKey unless the key is 43 characters of [A-Za-z0-9]
  // that decode to 32 bytes. `receive_id` is the corp id of a self-built app.
  static Result<MsgCrypt> Create(std::string token, std::string_view encoding_aes_key,
                                 std::string receive_id);

  // GET URL verification: checks the signature over `echostr`, decrypts it and
  // returns the plaintext that must be the exact response body.
  Result<std::string> VerifyUrl(const SignedQuery& query, std::string_view echostr) const;

  // POST: checks the signature over `encrypt` (the <Encrypt> text) and
  // returns the decrypted inner XML.
  Result<std::string> Decrypt(const SignedQuery& query, std::string_view encrypt) const;

  // Encrypts `msg` with the given 16-byte prefix (tests) or a random one.
  Result<std::string> Encrypt(std::string_view msg, std::string_view random_prefix) const;
  Result<std::string> Encrypt(std::string_view msg) const;

  // Builds the full passive-reply envelope
  // (<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>).
  Result<std::string> EncryptReply(std::string_view reply_xml, std::string_view timestamp,
                                   std::string_view nonce) const;

  const std::string& token() const { return token_; }
  const std::string& receive_id() const { return receive_id_; }

 private:
  MsgCrypt(std::string token, const std::array<unsigned char, 32>& key, std::string receive_id)
      : token_(std::move(token)), key_(key), receive_id_(std::move(receive_id)) {}

  Result<std::string> DecryptPayload(std::string_view encrypt) const;

  std::string token_;
  std::array<unsigned char, 32> key_;
  std::string receive_id_;
};

}  // namespace scrm::wecom
