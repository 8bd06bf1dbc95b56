// Closed-loop load generator for the callback endpoint.
//
// Pre-generates N distinct, correctly signed and encrypted text-message
// callbacks (so crypto on the client side is not measured), then drives them
// over C keep-alive connections from one io thread and reports throughput and
// latency percentiles. Usage:
//   scrm-loadgen --port P [--connections 32] [--requests 50000] [--path /wecom/callback]
//                [--kind text|event] [--first-event-time UNIX_SECONDS]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "wecom/crypto.h"
#include "wecom/xml.h"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

struct Options {
  unsigned short port = 0;
  int connections = 32;
  int requests = 50000;
  std::string path = "/wecom/callback";
  std::string token = "wecomScrmBotToken";
  std::string aes_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  std::string corp_id = "ww0123456789abcdef";
  // "text": rep messages (each one is answered by the bot); "event": app
  // events that need no answer (enter_agent), to measure intake alone.
  std::string kind = "text";
  // CreateTime of the first event (default: now). Later ones follow at
  // kEventsPerSecond.
  long long first_event_time = 0;
};

// Events per second of event time.
constexpr int kEventsPerSecond = 2000;

struct Shared {
  std::vector<std::string> requests;  // complete HTTP/1.1 request bytes
  std::atomic<size_t> next{0};
  std::vector<double> latencies_ms;
  size_t ok = 0;
  size_t failed = 0;
};

// A rep's text message; MsgId makes it unique.
std::string TextXml(const Options& o, const std::string& msg_id, int i) {
  return "<xml><ToUserName><![CDATA[" + o.corp_id + "]]></ToUserName><FromUserName><![CDATA[rep" +
         std::to_string(i % 500) + "]]></FromUserName><CreateTime>1700000000</CreateTime>" +
         "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[跟进 张三 今天电话沟通，客户对方案"
         "B感兴趣，下周二上门演示]]></Content><MsgId>" +
         msg_id + "</MsgId><AgentID>1000002</AgentID></xml>";
}

// A rep opening the app (enter_agent). Events carry no MsgId: WeCom's
// duplicates are recognised by their fields, so the sender differs per
// event and per run. CreateTime moves on as in real traffic, from
// --first-event-time at kEventsPerSecond.
std::string EventXml(const Options& o, const std::string& run, int i) {
  return "<xml><ToUserName><![CDATA[" + o.corp_id + "]]></ToUserName><FromUserName><![CDATA[rep" +
         run.substr(run.size() - 9) + "-" + std::to_string(i) + "]]></FromUserName><CreateTime>" +
         std::to_string(o.first_event_time + i / kEventsPerSecond) +
         "</CreateTime><MsgType><![CDATA[event]]>"
         "</MsgType><Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey>"
         "<AgentID>1000002</AgentID></xml>";
}

std::vector<std::string> Generate(const Options& o) {
  auto crypt = scrm::wecom::MsgCrypt::Create(o.token, o.aes_key, o.corp_id);
  if (!crypt) {
    std::fprintf(stderr, "bad key\n");
    std::exit(2);
  }
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(o.requests));
  std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  for (int i = 0; i < o.requests; ++i) {
    // MsgIds are unique per run so repeated runs against one database are
    // all new callbacks, never duplicates.
    std::string msg_id = run.substr(run.size() - 9) + std::to_string(1000000 + i);
    std::string xml = o.kind == "event" ? EventXml(o, run, i) : TextXml(o, msg_id, i);
    auto enc = crypt->Encrypt(xml);
    std::string ts = "1700000000";
    std::string nonce = std::to_string(100000 + i);
    std::string sig = scrm::wecom::ComputeSignature(o.token, ts, nonce, *enc);
    std::string body = "<xml><ToUserName>" + scrm::wecom::CData(o.corp_id) +
                       "</ToUserName><Encrypt>" + scrm::wecom::CData(*enc) + "</Encrypt><AgentID>" +
                       scrm::wecom::CData("1000002") + "</AgentID></xml>";
    out.push_back("POST " + o.path + "?msg_signature=" + sig + "&timestamp=" + ts +
                  "&nonce=" + nonce + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n" +
                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  return out;
}

net::awaitable<bool> Connect(beast::tcp_stream& stream, tcp::endpoint endpoint) {
  auto [ec] = co_await stream.async_connect(endpoint, kNoThrow);
  if (ec) {
    std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
    co_return false;
  }
  stream.socket().set_option(tcp::no_delay(true));
  co_return true;
}

// Sends requests until none are left, reconnecting when the server closes a
// keep-alive connection (as it does after keep_alive_requests).
net::awaitable<void> Worker(Shared& s, tcp::endpoint endpoint) {
  beast::tcp_stream stream(co_await net::this_coro::executor);
  if (!co_await Connect(stream, endpoint)) co_return;
  beast::flat_buffer buffer;
  for (;;) {
    size_t i = s.next.fetch_add(1);
    if (i >= s.requests.size()) break;
    auto start = Clock::now();
    auto [wec, w] = co_await net::async_write(stream, net::buffer(s.requests[i]), kNoThrow);
    http::response<http::string_body> res;
    auto [rec, r] = wec ? std::make_tuple(wec, size_t{0})
                        : co_await http::async_read(stream, buffer, res, kNoThrow);
    std::chrono::duration<double, std::milli> ms = Clock::now() - start;
    if (wec || rec) {
      ++s.failed;
      break;
    }
    s.latencies_ms.push_back(ms.count());
    (res.result_int() == 200 ? s.ok : s.failed)++;
    if (!res.keep_alive()) {
      boost::system::error_code ignored;
      stream.socket().close(ignored);
      buffer.clear();
      if (!co_await Connect(stream, endpoint)) break;
    }
  }
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

// User plus system CPU of this process so far.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--port")
      o.port = static_cast<unsigned short>(std::stoi(v));
    else if (k == "--connections")
      o.connections = std::stoi(v);
    else if (k == "--requests")
      o.requests = std::stoi(v);
    else if (k == "--path")
      o.path = v;
    else if (k == "--kind" && (v == "text" || v == "event"))
      o.kind = v;
    else if (k == "--first-event-time")
      o.first_event_time = std::stoll(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (o.first_event_time == 0) {
    o.first_event_time = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  }
  if (o.port == 0 || o.connections < 1 || o.requests < 1) {
    std::fprintf(stderr, "usage: scrm-loadgen --port P [--connections C] [--requests N]\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  Shared s;
  s.requests = Generate(o);
  s.latencies_ms.reserve(s.requests.size());
  net::io_context ioc{1};
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), o.port);
  for (int c = 0; c < o.connections; ++c) net::co_spawn(ioc, Worker(s, endpoint), net::detached);
  double cpu_before = CpuSeconds();
  auto start = Clock::now();
  ioc.run();
  std::chrono::duration<double> elapsed = Clock::now() - start;
  double cpu_us = (CpuSeconds() - cpu_before) * 1e6 / static_cast<double>(s.requests.size());
  double rate = static_cast<double>(s.ok + s.failed) / elapsed.count();
  std::printf(
      "requests=%zu ok=%zu failed=%zu seconds=%.3f rate=%.0f/s p50=%.3fms p99=%.3fms "
      "max=%.3fms client_cpu=%.1fus/req\n",
      s.ok + s.failed, s.ok, s.failed, elapsed.count(), rate, Percentile(s.latencies_ms, 0.50),
      Percentile(s.latencies_ms, 0.99), Percentile(s.latencies_ms, 1.0), cpu_us);
  return s.failed == 0 ? 0 : 1;
}
