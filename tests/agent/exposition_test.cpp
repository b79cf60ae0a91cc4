// SPDX-License-Identifier: Apache-2.0
// The Prometheus naming rules (docs/PROMETHEUS.md) and the rendering of a hand-made snapshot:
// collisions and invalid names are skipped and reported once, histograms carry real bounds.
#include "exposition.hpp"

#include <gtest/gtest.h>

namespace shmon::agent {
namespace {

TEST(ExportName, MapsPunctuationUnitsAndSuffixes) {
  EXPECT_EQ(export_name("a.b-c", MetricKind::kGauge, "").base, "a_b_c");
  EXPECT_EQ(export_name("http.requests_total", MetricKind::kCounter, "").base, "http_requests");
  EXPECT_EQ(export_name("ns:x/y", MetricKind::kGauge, "").base, "ns_x_y");
  const ExportName lat = export_name("latency_ns", MetricKind::kHistogram, "ns");
  EXPECT_EQ(lat.base, "latency_seconds");
  EXPECT_EQ(lat.unit, "seconds");
  EXPECT_EQ(1000 * lat.mul / lat.div, 1e-6);
  EXPECT_EQ(export_name("wait", MetricKind::kGauge, "ms").base, "wait_seconds");
  EXPECT_EQ(export_name("rx", MetricKind::kCounter, "B").base, "rx_bytes");
  EXPECT_EQ(export_name("rx_bytes", MetricKind::kCounter, "bytes").base, "rx_bytes");
  EXPECT_EQ(export_name("heap", MetricKind::kGauge, "KiB").mul, 1024);
  EXPECT_EQ(export_name("temp", MetricKind::kGauge, "celsius").base, "temp");
  EXPECT_EQ(export_name("job.done", MetricKind::kEvent, "").base, "job_done_events");
}

TEST(ExportName, RefusesWhatPrometheusCannotName) {
  EXPECT_FALSE(export_name("", MetricKind::kGauge, "").error.empty());
  EXPECT_FALSE(export_name("__x", MetricKind::kGauge, "").error.empty());
  EXPECT_FALSE(export_name("9lives", MetricKind::kGauge, "").error.empty());
  EXPECT_FALSE(export_name("caf\xC3\xA9", MetricKind::kGauge, "").error.empty());
  EXPECT_FALSE(export_name("tab\there", MetricKind::kGauge, "").error.empty());
}

MetricAggregate counter(std::uint64_t total) {
  MetricAggregate m;
  m.kind = MetricKind::kCounter;
  m.total = total;
  return m;
}

TEST(Exposition, CollisionsAreSkippedAndReportedOnce) {
  MetricsSnapshot snap;
  snap.metrics["a.b"] = counter(2);
  snap.metrics["a_b"] = counter(1);
  snap.metrics["a_b_total"] = counter(7);       // also a_b_total
  snap.metrics["shmon_requests"] = counter(3);  // the agent's own name
  Exposition e;
  std::vector<std::string> skipped;
  const std::string first = e.render(snap, ExpositionFormat::kText004, false, {}, &skipped);
  EXPECT_EQ(skipped.size(), 3u);
  EXPECT_NE(first.find("\na_b_total 2\n"), std::string::npos) << first;
  EXPECT_NE(first.find("shmon_exposition_skipped_metrics_total 3\n"), std::string::npos);
  skipped.clear();
  const std::string second = e.render(snap, ExpositionFormat::kText004, false, {}, &skipped);
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(second.find("a_b_total 1\n"), std::string::npos);
  EXPECT_EQ(second.find("a_b_total 7\n"), std::string::npos);
}

TEST(Exposition, HistogramHasRealBoundsAndTheLastBucketIsInf) {
  MetricsSnapshot snap;
  MetricAggregate h;
  h.kind = MetricKind::kHistogram;
  h.unit = "ms";
  h.hist.bounds = {1, 10, 100};  // the last bucket also holds everything past 10
  h.hist.buckets = {1, 2, 3};
  h.hist.count = 6;
  h.hist.sum = 500;
  snap.metrics["rpc"] = h;
  Exposition e;
  const std::string t = e.render(snap, ExpositionFormat::kOpenMetrics, false, {}, nullptr);
  EXPECT_NE(t.find("# TYPE rpc_seconds histogram\n# UNIT rpc_seconds seconds\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find("rpc_seconds_bucket{le=\"0.001\"} 1\nrpc_seconds_bucket{le=\"0.01\"} 3\n"
                   "rpc_seconds_bucket{le=\"+Inf\"} 6\nrpc_seconds_sum 0.5\nrpc_seconds_count 6\n"),
            std::string::npos)
      << t;
  EXPECT_TRUE(t.ends_with("# EOF\n"));
}

TEST(Exposition, PaddedBoundsAreNotRepeated) {
  MetricsSnapshot snap;
  MetricAggregate h;
  h.kind = MetricKind::kHistogram;
  h.hist.bounds = {10, 20, INT64_MAX, INT64_MAX, INT64_MAX};  // registered {10, 20}, padded
  h.hist.buckets = {1, 1, 5, 0, 0};
  h.hist.count = 7;
  snap.metrics["padded"] = h;
  Exposition e;
  const std::string t = e.render(snap, ExpositionFormat::kText004, false, {}, nullptr);
  EXPECT_NE(t.find("padded_bucket{le=\"10\"} 1\npadded_bucket{le=\"20\"} 2\n"
                   "padded_bucket{le=\"+Inf\"} 7\n"),
            std::string::npos)
      << t;
}

TEST(Exposition, NegotiatesTheFormat) {
  EXPECT_EQ(negotiate_format(""), ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            ExpositionFormat::kText004);
  EXPECT_EQ(negotiate_format("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"),
            ExpositionFormat::kOpenMetrics);
}

}  // namespace
}  // namespace shmon::agent
