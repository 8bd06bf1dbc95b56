#include "bot/metrics.h"

#include <catch2/catch.hpp>

#include "tests/support/catch_result.h"

using namespace scrm::bot;

TEST_CASE("metrics render in Prometheus text format", "[metrics]") {
  Metrics m;
  m.Accepted();
  m.Accepted();
  m.Duplicate();
  m.Rejected(Reject::kBadSignature);
  m.ObserveLatency(0.0004);
  m.ObserveLatency(0.003);
  m.ObserveLatency(10);
  m.SetInboxRows(41);
  m.AddInboxRows(1);
  std::string text = m.Render();
  CHECK(text.find("scrm_callbacks_total{result=\"accepted\"} 2\n") != std::string::npos);
  CHECK(text.find("scrm_callbacks_total{result=\"duplicate\"} 1\n") != std::string::npos);
  CHECK(text.find("scrm_callbacks_total{result=\"rejected\"} 1\n") != std::string::npos);
  CHECK(text.find("scrm_callback_rejections_total{reason=\"bad_signature\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("scrm_callback_latency_seconds_bucket{le=\"0.0005\"} 1\n") != std::string::npos);
  CHECK(text.find("scrm_callback_latency_seconds_bucket{le=\"0.005\"} 2\n") != std::string::npos);
  CHECK(text.find("scrm_callback_latency_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("scrm_callback_latency_seconds_count 3\n") != std::string::npos);
  CHECK(text.find("scrm_inbox_rows 42\n") != std::string::npos);
}
