#include "wecom/crypto.h"

#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <memory>

#include "tests/support/callback_builder.h"
#include "tests/support/catch_result.h"
#include "tests/support/vectors.h"
#include "wecom/base64.h"
#include "wecom/xml.h"

using namespace scrm;
using scrm::test::CryptoVectors;
using scrm::test::HexDecode;
using scrm::test::VectorById;

namespace {

wecom::MsgCrypt CryptFor(const test::Vector& v) {
  auto crypt = wecom::MsgCrypt::Create(v.at("token"), v.at("encoding_aes_key"), v.at("receive_id"));
  REQUIRE(crypt);
  return *crypt;
}

wecom::SignedQuery QueryOf(const test::Vector& v) {
  return {v.at("msg_signature"), v.at("timestamp"), v.at("nonce")};
}

// AES-256-CBC of `plain` (a multiple of 32 bytes, padded by the caller)
// under the test key, IV the key's first 16 bytes, as WeCom frames it:
// ciphertexts whose padding or framing is wrong on purpose.
std::string EncryptFramed(const std::string& plain) {
  auto key = wecom::Base64Decode(std::string(test::kAesKey) + "=");
  REQUIRE(key);
  REQUIRE(key->size() == 32);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  auto bytes = [](const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.data());
  };
  REQUIRE(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, bytes(*key), bytes(*key)) == 1);
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  std::string out(plain.size(), '\0');
  int n = 0;
  REQUIRE(EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                            bytes(plain), static_cast<int>(plain.size())) == 1);
  REQUIRE(n == static_cast<int>(plain.size()));
  return wecom::Base64Encode(out);
}

// 16 random bytes, the 4-byte length, the message and the receive id.
std::string Framed(const std::string& msg, std::uint32_t stated_length) {
  std::string out(16, 'r');
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(stated_length >> shift & 0xff));
  return out + msg + test::kCorpId;
}

}  // namespace

TEST_CASE("every vector of wecom-vectors.json holds", "[crypto][vectors]") {
  int checked = 0;
  for (const auto& v : CryptoVectors()) {
    const std::string& kind = v.at("kind");
    INFO("vector " << v.at("id"));
    if (kind == "verify_url") {
      auto plain = CryptFor(v).VerifyUrl(QueryOf(v), v.at("echostr"));
      REQUIRE(plain);
      CHECK(*plain == v.at("expected_plaintext"));
    } else if (kind == "decrypt_msg") {
      auto env = wecom::ParseEnvelope(v.at("body"));
      REQUIRE(env);
      CHECK(env->encrypt == v.at("encrypt"));
      auto plain = CryptFor(v).Decrypt(QueryOf(v), env->encrypt);
      REQUIRE(plain);
      CHECK(*plain == v.at("expected_plaintext"));
    } else if (kind == "encrypt_reply") {
      auto crypt = CryptFor(v);
      auto enc = crypt.Encrypt(v.at("plaintext"), HexDecode(v.at("random_prefix_hex")));
      REQUIRE(enc);
      CHECK(*enc == v.at("expected_encrypt"));
      CHECK(wecom::ComputeSignature(v.at("token"), v.at("timestamp"), v.at("nonce"), *enc) ==
            v.at("expected_msg_signature"));
    } else if (kind == "decrypt_msg_error") {
      auto plain = CryptFor(v).Decrypt(QueryOf(v), v.at("encrypt"));
      REQUIRE_FALSE(plain);
      CHECK(plain.error().value() == std::stoi(v.at("expected_error")));
    } else if (kind == "bad_key") {
      auto crypt =
          wecom::MsgCrypt::Create(v.at("token"), v.at("encoding_aes_key"), v.at("receive_id"));
      REQUIRE_FALSE(crypt);
      CHECK(crypt.error().value() == std::stoi(v.at("expected_error")));
    } else {
      FAIL("unknown vector kind " << kind);
    }
    ++checked;
  }
  CHECK(checked == 13);
}

TEST_CASE("generated vectors with fixed prefixes encrypt byte for byte", "[crypto][vectors]") {
  for (const char* id : {"V-B", "V-C"}) {
    const auto& v = VectorById(id);
    INFO(id);
    auto crypt = CryptFor(v);
    std::string encrypt = v.count("echostr") ? v.at("echostr") : v.at("encrypt");
    auto enc = crypt.Encrypt(v.at("expected_plaintext"), HexDecode(v.at("random_prefix_hex")));
    REQUIRE(enc);
    CHECK(*enc == encrypt);
    CHECK(wecom::ComputeSignature(v.at("token"), v.at("timestamp"), v.at("nonce"), *enc) ==
          v.at("msg_signature"));
  }
}

TEST_CASE("the passive reply envelope verifies and decrypts", "[crypto]") {
  const auto& v = VectorById("V-A");
  auto crypt = CryptFor(v);
  auto reply = crypt.EncryptReply(v.at("plaintext"), "1700000000", "1234567890");
  REQUIRE(reply);
  auto env = wecom::ParseEnvelope(*reply);
  REQUIRE(env);
  std::string sig = reply->substr(reply->find("<MsgSignature><![CDATA[") + 23, 40);
  auto back = crypt.Decrypt({sig, "1700000000", "1234567890"}, env->encrypt);
  REQUIRE(back);
  CHECK(*back == v.at("plaintext"));
  CHECK(reply->find("<TimeStamp>1700000000</TimeStamp>") != std::string::npos);
  CHECK(crypt.EncryptReply("", "1", "2").error() == wecom::Errc::kParseXml);
  CHECK(crypt.EncryptReply("<xml/>", "", "2").error() == wecom::Errc::kComputeSignature);
}

TEST_CASE("keys that are not 43 alphanumerics are refused with -40004", "[crypto]") {
  std::string good = test::kAesKey;
  for (std::string bad : {good.substr(0, 42), good + "A", good.substr(0, 42) + "+",
                          good.substr(0, 42) + "=", std::string()}) {
    auto crypt = wecom::MsgCrypt::Create("t", bad, "c");
    REQUIRE_FALSE(crypt);
    CHECK(crypt.error().value() == -40004);
  }
}

TEST_CASE("malformed ciphertexts are refused with their codes", "[crypto]") {
  test::CallbackBuilder builder;
  const auto& crypt = builder.crypt();
  auto decrypt = [&](const std::string& encrypt) {
    std::string sig = wecom::ComputeSignature(test::kToken, "1", "2", encrypt);
    return crypt.Decrypt({sig, "1", "2"}, encrypt);
  };
  CHECK(decrypt("@@@@").error().value() == -40010);                // N6
  CHECK(decrypt("AAAA").error().value() == -40007);                // 3 bytes: not a block
  CHECK(decrypt(std::string(44, 'A')).error().value() == -40007);  // 33 bytes
  // Empty inputs and wrong signatures are -40001.
  CHECK(crypt.Decrypt({"", "1", "2"}, "AAAA").error().value() == -40001);
  CHECK(crypt.Decrypt({"x", "", "2"}, "AAAA").error().value() == -40001);
  CHECK(crypt.Decrypt({std::string(40, '0'), "1", "2"}, "AAAA").error().value() == -40001);
  // A valid ciphertext from a different corp id fails the receive-id check.
  test::CallbackBuilder other("/p", test::kToken, test::kAesKey, "wwotherCorp");
  auto foreign = other.crypt().Encrypt("<xml/>");
  REQUIRE(foreign);
  CHECK(decrypt(*foreign).error().value() == -40005);
}

TEST_CASE("padding and framing are checked byte by byte", "[crypto]") {
  test::CallbackBuilder builder;
  auto decrypt = [&](const std::string& plain) {
    std::string encrypt = EncryptFramed(plain);
    std::string sig = wecom::ComputeSignature(test::kToken, "1", "2", encrypt);
    return builder.crypt().Decrypt({sig, "1", "2"}, encrypt);
  };
  auto padded = [](std::string s) {
    size_t pad = 32 - s.size() % 32;
    return s.append(pad, static_cast<char>(pad));
  };
  // The well-formed control: the same helpers make a ciphertext that decrypts.
  CHECK(*decrypt(padded(Framed("<xml/>", 6))) == "<xml/>");
  // Every pad byte must equal the pad length, not only the last one.
  std::string framed = Framed("<xml/>", 6);
  size_t pad = 32 - framed.size() % 32;
  REQUIRE(pad > 1);
  std::string uneven = framed + std::string(pad - 1, '\0') + static_cast<char>(pad);
  CHECK(decrypt(uneven).error().value() == -40007);
  // A pad as long as the whole plaintext (32 bytes of 0x20).
  CHECK(decrypt(std::string(32, '\x20')).error().value() == -40007);
  // Nothing after the 20-byte header once the pad is gone.
  CHECK(decrypt(padded(std::string(16, 'r') + std::string(4, '\0'))).error().value() == -40008);
  // A stated length past the end of the buffer.
  CHECK(decrypt(padded(Framed("<xml/>", 1000))).error().value() == -40008);
}

TEST_CASE("the signature sorts values bytewise", "[crypto]") {
  // Same four strings in any argument order give the same signature.
  std::string a = wecom::ComputeSignature("b", "a", "d", "c");
  std::string b = wecom::ComputeSignature("d", "c", "b", "a");
  CHECK(a == b);
  CHECK(a.size() == 40);
  CHECK(wecom::ComputeSignature("1", "10", "2", "") != wecom::ComputeSignature("1", "1", "02", ""));
}

TEST_CASE("messages of many sizes survive a round trip", "[crypto]") {
  test::CallbackBuilder builder;
  for (size_t n = 0; n < 200; n += 7) {
    std::string msg(n, 'x');
    auto enc = builder.crypt().Encrypt(msg);
    REQUIRE(enc);
    std::string sig = wecom::ComputeSignature(test::kToken, "1", "2", *enc);
    auto dec = builder.crypt().Decrypt({sig, "1", "2"}, *enc);
    REQUIRE(dec);
    CHECK(*dec == msg);
  }
}
