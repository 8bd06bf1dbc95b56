#include "bot/metrics.h"

#include <cstdio>

namespace scrm::bot {

const char* RejectName(Reject reason) {
  switch (reason) {
    case Reject::kBadRequest:
      return "bad_request";
    case Reject::kBadSignature:
      return "bad_signature";
    case Reject::kBadXml:
      return "bad_xml";
    case Reject::kBadBase64:
      return "bad_base64";
    case Reject::kBadPadding:
      return "bad_padding";
    case Reject::kBadFraming:
      return "bad_framing";
    case Reject::kWrongCorpId:
      return "wrong_corp_id";
    case Reject::kBadPayload:
      return "bad_payload";
    case Reject::kTooLarge:
      return "too_large";
    case Reject::kStorage:
      return "storage";
    case Reject::kCount:
      break;
  }
  return "unknown";
}

void Metrics::ObserveLatency(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      buckets_[i]++;
      break;
    }
  }
  latency_count_++;
  latency_sum_ns_ += static_cast<std::uint64_t>(seconds * 1e9);
}

void Metrics::OutboxSent(double seconds) {
  for (size_t i = 0; i < kDeliveryBuckets.size(); ++i) {
    if (seconds <= kDeliveryBuckets[i]) {
      delivery_buckets_[i]++;
      break;
    }
  }
  outbox_sent_++;
  delivery_sum_ms_ += static_cast<std::uint64_t>(seconds * 1000);
}

std::string Metrics::Render() const {
  std::string out;
  char line[256];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(line, sizeof line, fmt, args...);
    out += line;
  };
  out += "# HELP scrm_callbacks_total WeCom POST callbacks by result.\n";
  out += "# TYPE scrm_callbacks_total counter\n";
  add("scrm_callbacks_total{result=\"accepted\"} %llu\n", (unsigned long long)accepted_.load());
  add("scrm_callbacks_total{result=\"duplicate\"} %llu\n", (unsigned long long)duplicate_.load());
  add("scrm_callbacks_total{result=\"rejected\"} %llu\n", (unsigned long long)rejected_.load());
  out += "# HELP scrm_callback_rejections_total Rejected callbacks by reason.\n";
  out += "# TYPE scrm_callback_rejections_total counter\n";
  for (size_t i = 0; i < reasons_.size(); ++i) {
    add("scrm_callback_rejections_total{reason=\"%s\"} %llu\n", RejectName(static_cast<Reject>(i)),
        (unsigned long long)reasons_[i].load());
  }
  out += "# HELP scrm_url_verifications_total Callback URL verifications (GET).\n";
  out += "# TYPE scrm_url_verifications_total counter\n";
  add("scrm_url_verifications_total{result=\"ok\"} %llu\n", (unsigned long long)verify_ok_.load());
  add("scrm_url_verifications_total{result=\"failed\"} %llu\n",
      (unsigned long long)verify_failed_.load());
  out += "# HELP scrm_callback_latency_seconds Time from request read to response ready.\n";
  out += "# TYPE scrm_callback_latency_seconds histogram\n";
  unsigned long long cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i].load();
    add("scrm_callback_latency_seconds_bucket{le=\"%g\"} %llu\n", kBuckets[i], cumulative);
  }
  unsigned long long count = latency_count_.load();
  add("scrm_callback_latency_seconds_bucket{le=\"+Inf\"} %llu\n", count);
  add("scrm_callback_latency_seconds_sum %.9f\n", latency_sum_ns_.load() / 1e9);
  add("scrm_callback_latency_seconds_count %llu\n", count);
  out += "# HELP scrm_inbox_rows Rows in the durable inbox.\n";
  out += "# TYPE scrm_inbox_rows gauge\n";
  add("scrm_inbox_rows %lld\n", (long long)inbox_rows_.load());
  out += "# HELP scrm_outbox_rows Outbox rows by state.\n";
  out += "# TYPE scrm_outbox_rows gauge\n";
  add("scrm_outbox_rows{state=\"pending\"} %lld\n", (long long)outbox_pending_.load());
  add("scrm_outbox_rows{state=\"sent\"} %lld\n", (long long)outbox_sent_rows_.load());
  add("scrm_outbox_rows{state=\"dead\"} %lld\n", (long long)outbox_dead_rows_.load());
  out += "# HELP scrm_outbox_deliveries_total Outbox send attempts by outcome.\n";
  out += "# TYPE scrm_outbox_deliveries_total counter\n";
  add("scrm_outbox_deliveries_total{result=\"sent\"} %llu\n",
      (unsigned long long)outbox_sent_.load());
  add("scrm_outbox_deliveries_total{result=\"retried\"} %llu\n",
      (unsigned long long)outbox_retried_.load());
  add("scrm_outbox_deliveries_total{result=\"dead\"} %llu\n",
      (unsigned long long)outbox_dead_.load());
  out += "# HELP scrm_wecom_config_errors_total API calls refused for a configuration error.\n";
  out += "# TYPE scrm_wecom_config_errors_total counter\n";
  add("scrm_wecom_config_errors_total %llu\n", (unsigned long long)outbox_config_errors_.load());
  out += "# HELP scrm_outbox_delivery_seconds Time from outbox row to WeCom's acknowledgement.\n";
  out += "# TYPE scrm_outbox_delivery_seconds histogram\n";
  unsigned long long delivered = 0;
  for (size_t i = 0; i < kDeliveryBuckets.size(); ++i) {
    delivered += delivery_buckets_[i].load();
    add("scrm_outbox_delivery_seconds_bucket{le=\"%g\"} %llu\n", kDeliveryBuckets[i], delivered);
  }
  add("scrm_outbox_delivery_seconds_bucket{le=\"+Inf\"} %llu\n",
      (unsigned long long)outbox_sent_.load());
  add("scrm_outbox_delivery_seconds_sum %.3f\n", delivery_sum_ms_.load() / 1e3);
  add("scrm_outbox_delivery_seconds_count %llu\n", (unsigned long long)outbox_sent_.load());
  return out;
}

}  // namespace scrm::bot
