// Awaiting Writer jobs from coroutines. Internal to bot/: include only from
// .cpp files that already use Asio.
#pragma once

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "storage/writer.h"

namespace scrm::bot {

namespace net = boost::asio;

// Awaits writer jobs from the io thread.
//
// Each waiting request parks on a timer that expires at the handler
// deadline. The writer thread reports completions into a batch, and one post
// per batch hands them to the io thread, which stores each result and cancels
// its timer. A write still unfinished at the deadline is answered with an
// error so WeCom retries (the row may still land: the retry is then a
// duplicate). Everything except Complete() runs on the io thread.
class AsyncWriter : public std::enable_shared_from_this<AsyncWriter> {
 public:
  AsyncWriter(net::io_context& io, storage::Writer& writer, std::chrono::milliseconds timeout)
      : io_(io), writer_(writer), timeout_(timeout) {}

  // `late`, if any, gets the result of a job that finished after its
  // deadline (the caller had its error by then), on the io thread.
  using Late = std::function<void(const storage::Result<int>&)>;

  net::awaitable<storage::Result<int>> Run(
      storage::Writer::Job job,
      storage::Writer::Atomicity atomicity = storage::Writer::Atomicity::kSavepoint,
      Late late = {}) {
    auto wait = std::make_shared<Wait>(io_);
    wait->late = std::move(late);
    wait->timer.expires_after(timeout_);
    outgoing_.push_back(
        {std::move(job),
         [self = shared_from_this(), wait](storage::Result<int> r) { self->Complete(wait, r); },
         atomicity});
    // Jobs from the handlers that are ready now go to the writer together,
    // so a burst of callbacks becomes one commit rather than several.
    if (outgoing_.size() == 1) net::post(io_, [self = shared_from_this()] { self->Flush(); });
    co_await wait->timer.async_wait(net::as_tuple(net::use_awaitable));
    if (!wait->result) {
      spdlog::error("database write did not finish within {} ms", timeout_.count());
      wait->abandoned = true;
      co_return storage::Errc::kQueryFailed;
    }
    co_return *wait->result;
  }

 private:
  struct Wait {
    explicit Wait(net::io_context& io) : timer(io) {}
    net::steady_timer timer;
    std::optional<storage::Result<int>> result;
    bool abandoned = false;  // the caller returned at the deadline
    Late late;
  };
  using WaitPtr = std::shared_ptr<Wait>;

  void Flush() {
    std::vector<storage::Writer::Request> batch;
    batch.swap(outgoing_);
    writer_.SubmitBatch(std::move(batch));
  }

  // Writer thread. One wake-up of the io thread per group of jobs: the post
  // waits for the group's last completion.
  void Complete(const WaitPtr& wait, storage::Result<int> result) {
    std::lock_guard lock(mu_);
    batch_.emplace_back(wait, result);
    if (batch_.size() > 1) return;
    storage::AtGroupEnd(
        [self = shared_from_this()] { net::post(self->io_, [self] { self->Drain(); }); });
  }

  void Drain() {
    std::vector<std::pair<WaitPtr, storage::Result<int>>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(batch_);
    }
    for (auto& [wait, result] : batch) {
      wait->result = result;
      if (wait->abandoned) {
        if (wait->late) wait->late(result);
      } else {
        wait->timer.cancel();
      }
    }
  }

  net::io_context& io_;
  storage::Writer& writer_;
  const std::chrono::milliseconds timeout_;
  std::vector<storage::Writer::Request> outgoing_;  // io thread only
  std::mutex mu_;
  std::vector<std::pair<WaitPtr, storage::Result<int>>> batch_;  // guarded by mu_
};

}  // namespace scrm::bot
