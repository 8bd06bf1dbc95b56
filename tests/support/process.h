// Runs the real scrm-bot binary as a child process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace scrm::test {

class BotProcess {
 public:
  // Starts `scrm-bot serve --config config_path` and waits until it logs the
  // port it listens on. port() is 0 if it exited before that.
  explicit BotProcess(const std::string& config_path);
  ~BotProcess();  // SIGKILL if still running
  BotProcess(const BotProcess&) = delete;
  BotProcess& operator=(const BotProcess&) = delete;

  std::uint16_t port() const { return port_; }
  void Signal(int sig);
  // Waits for exit; returns the exit status as from waitpid.
  int Wait();
  std::string output() const;

 private:
  void Drain();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::uint16_t port_ = 0;
  bool waited_ = false;
  int status_ = 0;
  mutable std::mutex mu_;
  std::string output_;  // guarded by mu_
  std::thread drain_;
};

// Runs the binary with `args` to completion, in `cwd` when given; returns
// {exit code, stdout+stderr}.
std::pair<int, std::string> RunBot(const std::vector<std::string>& args,
                                   const std::string& cwd = "");

}  // namespace scrm::test
