// Process metrics in Prometheus text format (names prefixed scrm_).
// All counters are atomics: safe to update from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>

namespace scrm::bot {

enum class Reject {
  kBadRequest,    // missing or malformed query parameters
  kBadSignature,  // -40001
  kBadXml,        // -40002, envelope
  kBadBase64,     // -40010
  kBadPadding,    // -40007
  kBadFraming,    // -40008
  kWrongCorpId,   // -40005
  kBadPayload,    // decrypted XML malformed or with a DOCTYPE
  kTooLarge,      // body over max_body_bytes
  kBadHttp,       // a malformed HTTP request, or header fields over their limit
  kStorage,       // the inbox write failed or timed out
  kCount,
};

const char* RejectName(Reject reason);

// A Prometheus histogram over fixed upper bounds, in seconds. Thread-safe.
template <std::size_t N>
class Histogram {
 public:
  explicit Histogram(const std::array<double, N>& bounds) : bounds_(bounds) {}

  // The count goes up before the bucket: Render reads the buckets first, so
  // a scrape from another thread never shows +Inf below a bucket.
  void Observe(double seconds) {
    count_++;
    sum_ns_ += static_cast<std::uint64_t>(seconds * 1e9);
    for (std::size_t i = 0; i < N; ++i) {
      if (seconds <= bounds_[i]) {
        counts_[i]++;
        break;
      }
    }
  }

  std::uint64_t count() const { return count_; }

  // Appends the _bucket, _sum and _count series of `name` to `out`.
  void Render(std::string& out, const char* name, const char* help) const {
    char line[256];
    std::snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    out += line;
    unsigned long long cumulative = 0;
    for (std::size_t i = 0; i < N; ++i) {
      cumulative += counts_[i].load();
      std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name, bounds_[i], cumulative);
      out += line;
    }
    unsigned long long count = count_.load();
    std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n",
                  name, count, name, sum_ns_.load() / 1e9, name, count);
    out += line;
  }

 private:
  std::array<double, N> bounds_;
  std::array<std::atomic<std::uint64_t>, N> counts_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  static constexpr std::array<double, 8> kDeliveryBuckets = {0.5, 1, 2, 5, 10, 30, 60, 300};

  void Accepted() { accepted_++; }
  void Duplicate() { duplicate_++; }
  void Rejected(Reject reason) {
    rejected_++;
    reasons_[static_cast<size_t>(reason)]++;
  }
  void UrlVerified(bool ok) { (ok ? verify_ok_ : verify_failed_)++; }
  void ObserveLatency(double seconds) { latency_.Observe(seconds); }
  void SetInboxRows(std::int64_t rows) { inbox_rows_ = rows; }
  void SetOutbox(std::int64_t pending, std::int64_t sent, std::int64_t dead) {
    outbox_pending_ = pending;
    outbox_sent_rows_ = sent;
    outbox_dead_rows_ = dead;
  }
  void SetOutboxWaiting(std::int64_t pending, std::int64_t dead) {
    outbox_pending_ = pending;
    outbox_dead_rows_ = dead;
  }
  // One outbox row acknowledged by WeCom, `seconds` after it was written.
  void OutboxSent(double seconds) {
    delivery_.Observe(seconds);
    outbox_sent_rows_++;  // between full counts
  }
  void OutboxRetried() { outbox_retried_++; }
  void OutboxDead(bool config_error) {
    outbox_dead_++;
    if (config_error) outbox_config_errors_++;
  }
  // A call held back by the app's setup (its secret, corp id or server IP):
  // the row stays pending.
  void SetupError() { outbox_config_errors_++; }
  void AddInboxRows(std::int64_t rows) { inbox_rows_ += rows; }
  // A callback answered 503 at its deadline whose row committed afterwards
  // (WeCom's retry of it then counts as a duplicate).
  void StoredLate() { stored_late_++; }
  // A callback whose handling failed and was skipped (see the log).
  void DispatchFailed() { dispatch_failures_++; }
  // The listening socket refused to hand over a connection (out of file
  // descriptors, say).
  void AcceptFailed() { accept_failures_++; }

  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t duplicate() const { return duplicate_; }
  std::uint64_t rejected() const { return rejected_; }
  std::uint64_t rejected(Reject reason) const { return reasons_[static_cast<size_t>(reason)]; }

  std::string Render() const;

 private:
  std::atomic<std::uint64_t> accepted_{0}, duplicate_{0}, rejected_{0}, stored_late_{0};
  std::array<std::atomic<std::uint64_t>, static_cast<size_t>(Reject::kCount)> reasons_{};
  std::atomic<std::uint64_t> verify_ok_{0}, verify_failed_{0};
  Histogram<kBuckets.size()> latency_{kBuckets};
  std::atomic<std::int64_t> inbox_rows_{0};
  std::atomic<std::int64_t> outbox_pending_{0}, outbox_sent_rows_{0}, outbox_dead_rows_{0};
  std::atomic<std::uint64_t> outbox_retried_{0}, outbox_dead_{0};
  std::atomic<std::uint64_t> outbox_config_errors_{0};
  std::atomic<std::uint64_t> dispatch_failures_{0};
  std::atomic<std::uint64_t> accept_failures_{0};
  Histogram<kDeliveryBuckets.size()> delivery_{kDeliveryBuckets};  // its count = rows sent
};

}  // namespace scrm::bot
