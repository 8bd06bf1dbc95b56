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
    case Reject::kBadHttp:
      return "bad_http";
    case Reject::kStorage:
      return "storage";
    case Reject::kCount:
      break;
  }
  return "unknown";
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
  out +=
      "# HELP scrm_callbacks_stored_late_total Callbacks answered 503 at their deadline "
      "whose row committed afterwards.\n";
  out += "# TYPE scrm_callbacks_stored_late_total counter\n";
  add("scrm_callbacks_stored_late_total %llu\n", (unsigned long long)stored_late_.load());
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
  latency_.Render(out, "scrm_callback_latency_seconds",
                  "Time from request read to response ready.");
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
      (unsigned long long)delivery_.count());
  add("scrm_outbox_deliveries_total{result=\"retried\"} %llu\n",
      (unsigned long long)outbox_retried_.load());
  add("scrm_outbox_deliveries_total{result=\"dead\"} %llu\n",
      (unsigned long long)outbox_dead_.load());
  out += "# HELP scrm_wecom_config_errors_total API calls refused for a configuration error.\n";
  out += "# TYPE scrm_wecom_config_errors_total counter\n";
  add("scrm_wecom_config_errors_total %llu\n", (unsigned long long)outbox_config_errors_.load());
  out += "# HELP scrm_dispatch_failures_total Callbacks whose handling failed and was skipped.\n";
  out += "# TYPE scrm_dispatch_failures_total counter\n";
  add("scrm_dispatch_failures_total %llu\n", (unsigned long long)dispatch_failures_.load());
  out +=
      "# HELP scrm_http_accept_failures_total Connections the listening socket failed to accept.\n";
  out += "# TYPE scrm_http_accept_failures_total counter\n";
  add("scrm_http_accept_failures_total %llu\n", (unsigned long long)accept_failures_.load());
  delivery_.Render(out, "scrm_outbox_delivery_seconds",
                   "Time from outbox row to WeCom's acknowledgement.");
  return out;
}

}  // namespace scrm::bot
