// A fake WeCom API server for tests: a real HTTP server (Beast, on
// 127.0.0.1, its own thread) that speaks WeCom's wire format, records every
// call and injects faults on request. All methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/fake_state.h"

namespace scrm::test {

// The one group-robot webhook key the fake accepts.
inline constexpr const char* kWebhookKey = "fake-robot-key";

class FakeWeCom {
 public:
  struct Call {
    std::string path;   // "/cgi-bin/message/send"
    std::string query;  // raw query string
    std::string body;   // request body (JSON for POST)
    int errcode = 0;    // what the fake answered (-2: no JSON answer)
  };

  FakeWeCom(std::string corp_id = "ww0123456789abcdef", std::string secret = "fake-secret");
  ~FakeWeCom();
  FakeWeCom(const FakeWeCom&) = delete;
  FakeWeCom& operator=(const FakeWeCom&) = delete;

  // "http://127.0.0.1:PORT", for api_base.
  std::string base_url() const;

  std::vector<Call> calls(const std::string& path = "") const;
  int count(const std::string& path) const;
  // Calls to `path` that the fake answered with errcode 0.
  int succeeded(const std::string& path) const;
  // Blocks until `path` has been called at least `n` times, or `cap` passed
  // (a safety limit, not a timing assumption). Returns whether it was.
  bool WaitForCount(const std::string& path, int n,
                    std::chrono::milliseconds cap = std::chrono::seconds(60)) const;

  // Tokens issued so far are answered 42001 from now on.
  void ExpireTokens();
  // The next `n` calls to `path` answer errcode (-1, 45009, 40003, ...).
  void FailNext(const std::string& path, int n, int errcode);
  // The next `n` calls to `path` answer this HTTP status with no JSON.
  void HttpErrorNext(const std::string& path, int n, int status);
  // The next `n` calls to `path` are read, then the connection is closed
  // without an answer.
  void DropNext(const std::string& path, int n);
  // The next `n` calls to `path` are carried out, then the connection is
  // closed without the answer (the caller cannot know it worked).
  void LoseAnswerNext(const std::string& path, int n);
  // Closes every connection that waits for its next request, as a server
  // ends idle keep-alive connections; returns once they are closed.
  void CloseIdleConnections();
  // Every answer waits this long first.
  void SetDelay(std::chrono::milliseconds delay);
  // While down, every connection is closed as soon as a request arrives.
  void SetDown(bool down);
  // The next answer to `path` carries a body of `bytes` bytes of padding.
  void PadNext(const std::string& path, std::size_t bytes);
  // expires_in of issued tokens.
  void SetTokenTtl(int seconds);

  // State behind the APIs (externalcontact/*, user/*, department/list,
  // oa/*, update_template_card): see fake_state.h.
  void AddCustomer(FakeCustomer customer);
  std::optional<FakeCustomer> customer(const std::string& external_userid) const;
  void AddMember(FakeMember member);  // once members exist, applyevent checks the creator
  void AddDepartment(FakeDepartment department);
  void AddUnlicensed(const std::string& userid);  // message/send does not reach them
  std::vector<FakeApproval> approvals() const;    // submitted with oa/applyevent
  // An approver decides (status 2 approved, 3 rejected); false if unknown.
  bool Decide(const std::string& sp_no, int status, const std::string& speech = "");
  void IssueResponseCode(const std::string& code);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace scrm::test
