#include "tests/support/process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace scrm::test {
namespace {

// The environment without SCRM_* variables: secrets exported for a real
// bot (as the README suggests) would override the tests' configs.
std::vector<char*> TestEnvironment() {
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "SCRM_", 5) != 0) env.push_back(*e);
  }
  env.push_back(nullptr);
  return env;
}

pid_t Spawn(const std::vector<std::string>& args, int& out_fd, const std::string& cwd = "") {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  std::vector<char*> env = TestEnvironment();
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + args[0]);
  }
  out_fd = fds[0];
  return pid;
}

bool ReadChunk(int fd, std::string& into) {
  char buf[4096];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  into.append(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace

BotProcess::BotProcess(const std::string& config_path) {
  pid_ = Spawn({SCRM_BOT_BINARY, "serve", "--config", config_path}, out_fd_);
  // Blocking reads until the "listening on HOST:PORT," line or EOF.
  std::string seen;
  const std::string marker = "listening on ";
  while (ReadChunk(out_fd_, seen)) {
    size_t at = seen.find(marker);
    size_t comma = at == std::string::npos ? at : seen.find(',', at);
    if (comma != std::string::npos) {
      std::string addr = seen.substr(at + marker.size(), comma - at - marker.size());
      port_ = static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
      break;
    }
  }
  {
    std::lock_guard lock(mu_);
    output_ = seen;
  }
  drain_ = std::thread([this] { Drain(); });
}

void BotProcess::Drain() {
  std::string chunk;
  while (ReadChunk(out_fd_, chunk)) {
    std::lock_guard lock(mu_);
    output_ += chunk;
    chunk.clear();
  }
}

BotProcess::~BotProcess() {
  if (!waited_) {
    Signal(SIGKILL);
    Wait();
  }
  if (drain_.joinable()) drain_.join();
  if (out_fd_ >= 0) ::close(out_fd_);
}

void BotProcess::Signal(int sig) {
  if (pid_ > 0 && !waited_) ::kill(pid_, sig);
}

int BotProcess::Wait() {
  if (waited_) return status_;
  while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  waited_ = true;
  if (drain_.joinable()) drain_.join();
  return status_;
}

std::string BotProcess::output() const {
  std::lock_guard lock(mu_);
  return output_;
}

std::pair<int, std::string> RunBot(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> full = {SCRM_BOT_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  int fd = -1;
  pid_t pid = Spawn(full, fd, cwd);
  std::string out;
  while (ReadChunk(fd, out)) {
  }
  ::close(fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace scrm::test
