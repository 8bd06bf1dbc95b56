// The fake WeCom of the tests as a process, for benchmarks: prints
// "listening on 127.0.0.1:PORT", answers WeCom's API wire format (gettoken,
// message/send, ...) until SIGTERM or SIGINT.
//   fake-wecom-server [corp_id] [secret]
#include <csignal>
#include <cstdio>
#include <string>

#include "tests/support/fake_wecom.h"

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // the server thread inherits the mask
  std::string corp = argc > 1 ? argv[1] : "ww0123456789abcdef";
  std::string secret = argc > 2 ? argv[2] : "fake-secret";
  scrm::test::FakeWeCom fake(corp, secret);
  std::printf("listening on %s\n", fake.base_url().substr(std::string("http://").size()).c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  std::printf("calls: %d\n", static_cast<int>(fake.calls().size()));
  return 0;
}
