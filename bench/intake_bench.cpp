// What the io thread does for one callback POST, without the network or the
// inbox write: the same enter_agent events as `scrm-loadgen --kind event`,
// signed and encrypted before the clock starts, then taken through each
// stage of CallbackService::Accept on one thread. Prints nanoseconds per
// callback for each stage and for the whole. Usage:
//   intake-bench [--requests 20000] [--rounds 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "bot/callback_service.h"
#include "bot/metrics.h"
#include "bot/query.h"
#include "domain/clock.h"
#include "tests/support/callback_builder.h"
#include "wecom/callback.h"
#include "wecom/crypto.h"
#include "wecom/xml.h"

namespace wecom = scrm::wecom;

namespace {

using Clock = std::chrono::steady_clock;

struct Callback {
  std::string query;  // the raw query string of the POST
  std::string body;   // the envelope
  wecom::SignedQuery signed_query;
  std::string encrypt;  // the envelope's Encrypt
  std::string plain;    // the decrypted payload
};

// The load generator's events: one sender per event, 2,000 per second of
// event time.
std::string EventXml(int i) {
  return "<xml><ToUserName><![CDATA[" + std::string(scrm::test::kCorpId) +
         "]]></ToUserName><FromUserName><![CDATA[rep" + std::to_string(i) +
         "]]></FromUserName><CreateTime>" + std::to_string(1800000000 + i / 2000) +
         "</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event>"
         "<EventKey><![CDATA[]]></EventKey><AgentID>1000002</AgentID></xml>";
}

std::vector<Callback> Generate(const scrm::test::CallbackBuilder& builder, int n) {
  std::vector<Callback> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Callback c;
    c.plain = EventXml(i);
    c.encrypt = *builder.crypt().Encrypt(c.plain);
    auto post = builder.PostEncrypt(c.encrypt, "1700000000", std::to_string(100000 + i));
    c.query = post.target.substr(post.target.find('?') + 1);
    c.body = std::move(post.body);
    auto signed_values = scrm::bot::QueryValues(c.query, {"msg_signature", "timestamp", "nonce"});
    c.signed_query = {(*signed_values)[0], (*signed_values)[1], (*signed_values)[2]};
    out.push_back(std::move(c));
  }
  return out;
}

// Best of `rounds` passes over every callback, in nanoseconds per callback.
// `sink` keeps the work from being optimised away.
double Measure(const std::vector<Callback>& callbacks, int rounds,
               const std::function<size_t(const Callback&)>& stage) {
  double best = 1e18;
  size_t sink = 0;
  for (int r = 0; r < rounds; ++r) {
    auto start = Clock::now();
    for (const Callback& c : callbacks) sink += stage(c);
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    best = std::min(best, ns / static_cast<double>(callbacks.size()));
  }
  if (sink == 0) std::printf("(nothing was done)\n");
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 20000;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--requests") == 0) requests = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
  }
  if (requests <= 0 || rounds <= 0) {
    std::fprintf(stderr, "usage: intake-bench [--requests N] [--rounds N]\n");
    return 2;
  }
  scrm::test::CallbackBuilder builder;
  const wecom::MsgCrypt* crypt = &builder.crypt();
  std::vector<Callback> callbacks = Generate(builder, requests);
  scrm::bot::Metrics metrics;
  scrm::domain::SystemClock clock;
  scrm::bot::CallbackService service(*crypt, metrics, clock);

  struct Stage {
    const char* name;
    std::function<size_t(const Callback&)> run;
  };
  const std::vector<Stage> stages = {
      {"envelope XML",
       [](const Callback& c) { return wecom::ParseEnvelope(c.body)->encrypt.size(); }},
      {"signature (SHA-1)",
       [&](const Callback& c) {
         auto& q = c.signed_query;
         return wecom::ComputeSignature(scrm::test::kToken, q.timestamp, q.nonce, c.encrypt).size();
       }},
      {"signature, Base64, AES",
       [&](const Callback& c) { return crypt->Decrypt(c.signed_query, c.encrypt)->size(); }},
      {"payload XML, dedup key",
       [](const Callback& c) { return wecom::ReadIntake(c.plain)->dedup_key.size(); }},
      {"all of Accept",
       [&](const Callback& c) {
         auto accepted = service.Accept(c.query, c.body);
         return std::get<scrm::storage::InboxRecord>(accepted).dedup_key.size();
       }},
  };
  std::printf("%d callbacks, best of %d rounds, ns per callback:\n", requests, rounds);
  for (const Stage& s : stages) {
    std::printf("  %-24s %8.0f\n", s.name, Measure(callbacks, rounds, s.run));
  }
  return 0;
}
