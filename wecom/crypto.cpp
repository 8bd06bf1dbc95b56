#include "wecom/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <memory>
#include <span>

#include "wecom/base64.h"
#include "wecom/xml.h"

namespace scrm::wecom {
namespace {

constexpr size_t kBlock = 32;  // WeCom pads to 32 bytes, not AES's 16
constexpr size_t kPrefix = 16;
constexpr size_t kHeader = kPrefix + 4;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Algorithms fetched once: an implicit fetch on every call costs a provider
// lookup. OpenSSL's fetched objects are immutable and thread-safe.
const EVP_CIPHER* Aes256Cbc() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return cipher;
}

const EVP_MD* Sha1() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return md;
}

const EVP_MD* Sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// A cipher context kept per thread and per key: the key schedule is computed
// once, and each message only sets the IV again (WeCom's IV is the key's
// first 16 bytes, so it is the same for every message too).
struct CachedCipher {
  CipherCtx ctx;
  std::array<unsigned char, 32> key{};
  int encrypt = -1;
};

EVP_CIPHER_CTX* CipherFor(bool encrypt, const std::array<unsigned char, 32>& key) {
  thread_local CachedCipher cached;
  const unsigned char* k = key.data();
  int enc = encrypt ? 1 : 0;
  if (cached.ctx && cached.encrypt == enc && cached.key == key) {
    if (EVP_CipherInit_ex(cached.ctx.get(), nullptr, nullptr, nullptr, k, enc) != 1) return nullptr;
  } else {
    cached.encrypt = -1;
    if (!cached.ctx) cached.ctx.reset(EVP_CIPHER_CTX_new());
    if (!cached.ctx || !Aes256Cbc() ||
        EVP_CipherInit_ex(cached.ctx.get(), Aes256Cbc(), nullptr, k, k, enc) != 1) {
      return nullptr;
    }
    cached.key = key;
    cached.encrypt = enc;
  }
  EVP_CIPHER_CTX_set_padding(cached.ctx.get(), 0);
  return cached.ctx.get();
}

// Runs AES-256-CBC over whole blocks with OpenSSL's own padding turned off,
// in place.
bool RunCipher(bool encrypt, const std::array<unsigned char, 32>& key, std::string& data) {
  EVP_CIPHER_CTX* ctx = CipherFor(encrypt, key);
  if (!ctx) return false;
  int len = 0;
  int tail = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(data.data());
  if (EVP_CipherUpdate(ctx, bytes, &len, bytes, static_cast<int>(data.size())) != 1 ||
      EVP_CipherFinal_ex(ctx, bytes + len, &tail) != 1 ||
      static_cast<size_t>(len + tail) != data.size()) {
    return false;
  }
  return true;
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[data[i] >> 4];
    s[2 * i + 1] = kDigits[data[i] & 15];
  }
  return s;
}

// A digest of the parts, concatenated, as lowercase hex; empty on an OpenSSL
// failure. The context is kept per thread.
std::string DigestHex(const EVP_MD* md, std::span<const std::string_view> parts) {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || !md || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) return {};
  for (auto p : parts) {
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return {};
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &n) != 1) return {};
  return Hex(digest, n);
}

bool SignatureMatches(std::string_view expected, std::string_view given) {
  if (expected.size() != given.size()) return false;
  return CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace

std::string ComputeSignature(std::string_view token, std::string_view timestamp,
                             std::string_view nonce, std::string_view encrypt) {
  std::array<std::string_view, 4> parts{token, timestamp, nonce, encrypt};
  std::sort(parts.begin(), parts.end());
  return DigestHex(Sha1(), parts);
}

std::string Sha256Hex(std::string_view data) { return DigestHex(Sha256(), {&data, 1}); }

Result<MsgCrypt> MsgCrypt::Create(std::string token, std::string_view encoding_aes_key,
                                  std::string receive_id) {
  if (encoding_aes_key.size() != 43 ||
      !std::all_of(encoding_aes_key.begin(), encoding_aes_key.end(), IsAlnum)) {
    return Errc::kIllegalAesKey;
  }
  auto raw = Base64Decode(std::string(encoding_aes_key) + "=");
  if (!raw || raw->size() != 32) return Errc::kIllegalAesKey;
  std::array<unsigned char, 32> key{};
  std::copy(raw->begin(), raw->end(), key.begin());
  return MsgCrypt(std::move(token), key, std::move(receive_id));
}

Result<std::string> MsgCrypt::VerifyUrl(const SignedQuery& query, std::string_view echostr) const {
  return Decrypt(query, echostr);
}

Result<std::string> MsgCrypt::Decrypt(const SignedQuery& query, std::string_view encrypt) const {
  if (query.msg_signature.empty() || query.timestamp.empty() || query.nonce.empty() ||
      encrypt.empty()) {
    return Errc::kValidateSignature;
  }
  std::string expected = ComputeSignature(token_, query.timestamp, query.nonce, encrypt);
  if (expected.empty() || !SignatureMatches(expected, query.msg_signature)) {
    return Errc::kValidateSignature;
  }
  return DecryptPayload(encrypt);
}

Result<std::string> MsgCrypt::DecryptPayload(std::string_view encrypt) const {
  auto cipher = Base64Decode(encrypt);
  if (!cipher) return Errc::kDecodeBase64;
  if (cipher->size() < kBlock || cipher->size() % kBlock != 0) return Errc::kDecryptAes;
  std::string& plain = *cipher;
  if (!RunCipher(false, key_, plain)) return Errc::kDecryptAes;
  size_t pad = static_cast<unsigned char>(plain.back());
  if (pad < 1 || pad > kBlock || pad >= plain.size()) return Errc::kDecryptAes;
  for (size_t i = plain.size() - pad; i < plain.size(); ++i) {
    if (static_cast<unsigned char>(plain[i]) != pad) return Errc::kDecryptAes;
  }
  plain.resize(plain.size() - pad);
  if (plain.size() <= kHeader) return Errc::kIllegalBuffer;
  auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(plain[i])); };
  uint64_t msg_len = byte(16) << 24 | byte(17) << 16 | byte(18) << 8 | byte(19);
  if (kHeader + msg_len > plain.size()) return Errc::kIllegalBuffer;
  std::string_view receive_id = std::string_view(plain).substr(kHeader + msg_len);
  if (receive_id != receive_id_) return Errc::kValidateCorpId;
  plain.resize(kHeader + msg_len);
  plain.erase(0, kHeader);
  return std::move(plain);
}

Result<std::string> MsgCrypt::Encrypt(std::string_view msg, std::string_view random_prefix) const {
  if (random_prefix.size() != kPrefix || msg.size() > 0xffffffffu) return Errc::kEncryptAes;
  std::string framed;
  framed.reserve(kHeader + msg.size() + receive_id_.size() + kBlock);
  framed.append(random_prefix);
  auto len = static_cast<uint32_t>(msg.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    framed.push_back(static_cast<char>(len >> shift & 0xff));
  framed.append(msg);
  framed.append(receive_id_);
  size_t pad = kBlock - framed.size() % kBlock;
  framed.append(pad, static_cast<char>(pad));
  if (!RunCipher(true, key_, framed)) return Errc::kEncryptAes;
  return Base64Encode(framed);
}

Result<std::string> MsgCrypt::Encrypt(std::string_view msg) const {
  unsigned char bytes[kPrefix / 2];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Errc::kEncryptAes;
  return Encrypt(msg, Hex(bytes, sizeof bytes));  // printable, like WeCom's own
}

Result<std::string> MsgCrypt::EncryptReply(std::string_view reply_xml, std::string_view timestamp,
                                           std::string_view nonce) const {
  if (reply_xml.empty()) return Errc::kParseXml;
  if (timestamp.empty() || nonce.empty()) return Errc::kComputeSignature;
  auto encrypt = Encrypt(reply_xml);
  if (!encrypt) return encrypt.error();
  std::string signature = ComputeSignature(token_, timestamp, nonce, *encrypt);
  if (signature.empty()) return Errc::kComputeSignature;
  std::string out = "<xml><Encrypt>" + CData(*encrypt) + "</Encrypt><MsgSignature>" +
                    CData(signature) + "</MsgSignature><TimeStamp>" + EscapeText(timestamp) +
                    "</TimeStamp><Nonce>" + CData(nonce) + "</Nonce></xml>";
  return out;
}

}  // namespace scrm::wecom
