#include "tests/support/callback_builder.h"

#include <stdexcept>

#include "wecom/api.h"
#include "wecom/xml.h"

namespace scrm::test {
namespace {

wecom::MsgCrypt MakeCrypt(const std::string& token, const std::string& key,
                          const std::string& corp) {
  auto crypt = wecom::MsgCrypt::Create(token, key, corp);
  if (!crypt) throw std::runtime_error("bad test key");
  return std::move(*crypt);
}

}  // namespace

CallbackBuilder::CallbackBuilder(std::string path, std::string token, std::string aes_key,
                                 std::string corp_id)
    : path_(std::move(path)), crypt_(MakeCrypt(token, aes_key, corp_id)) {}

SignedCallback CallbackBuilder::PostEncrypt(const std::string& encrypt,
                                            const std::string& timestamp,
                                            const std::string& nonce) const {
  std::string sig = wecom::ComputeSignature(crypt_.token(), timestamp, nonce, encrypt);
  SignedCallback out;
  out.target = path_ + "?msg_signature=" + sig + "&timestamp=" + timestamp + "&nonce=" + nonce;
  out.body = "<xml><ToUserName>" + wecom::CData(crypt_.receive_id()) + "</ToUserName><Encrypt>" +
             wecom::CData(encrypt) + "</Encrypt><AgentID>" + wecom::CData("1000002") +
             "</AgentID></xml>";
  return out;
}

SignedCallback CallbackBuilder::Post(const std::string& inner_xml, const std::string& timestamp,
                                     const std::string& nonce) const {
  auto encrypt = crypt_.Encrypt(inner_xml);
  if (!encrypt) throw std::runtime_error("encrypt failed");
  return PostEncrypt(*encrypt, timestamp, nonce);
}

std::string CallbackBuilder::VerifyTarget(const std::string& echo, const std::string& timestamp,
                                          const std::string& nonce) const {
  auto encrypt = crypt_.Encrypt(echo);
  if (!encrypt) throw std::runtime_error("encrypt failed");
  std::string sig = wecom::ComputeSignature(crypt_.token(), timestamp, nonce, *encrypt);
  return path_ + "?msg_signature=" + sig + "&timestamp=" + timestamp + "&nonce=" + nonce +
         "&echostr=" + wecom::QueryEscape(*encrypt);
}

std::string TextMessageXml(const std::string& from, const std::string& content,
                           const std::string& msg_id) {
  return "<xml><ToUserName><![CDATA[ww0123456789abcdef]]></ToUserName><FromUserName>" +
         wecom::CData(from) + "</FromUserName><CreateTime>1700000000</CreateTime>" +
         "<MsgType><![CDATA[text]]></MsgType><Content>" + wecom::CData(content) +
         "</Content><MsgId>" + msg_id + "</MsgId><AgentID>1000002</AgentID></xml>";
}

}  // namespace scrm::test
