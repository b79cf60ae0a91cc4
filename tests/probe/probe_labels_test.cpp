// SPDX-License-Identifier: Apache-2.0
// Labelled metrics in the probe: each label set is its own descriptor with canonical label text,
// registration in any label order finds the same series, updates land in that series' cell, and
// bad labels and the label-set bounds give inert handles that are counted and explained.
#include <string>
#include <vector>

#include "probe_test_util.hpp"
#include "shmon/probe.h"

namespace shmon::probe_test {
namespace {

using LabelsTest = ProbeTest;

std::string labels_of(detail::ProbeCore& core, std::uint32_t index) {
  return core.region.descriptor(index)->labels;
}

TEST_F(LabelsTest, EachLabelSetIsItsOwnSeriesInCanonicalForm) {
  Probe probe(quiet_options());
  Counter get = probe.counter("http_requests", {{"method", "GET"}, {"code", "200"}});
  Counter same = probe.counter("http_requests", {{"code", "200"}, {"method", "GET"}});
  Counter post = probe.counter("http_requests", {{"method", "POST"}, {"code", "200"}});
  Counter bare = probe.counter("http_requests");
  Gauge temp = probe.gauge("temperature", {{"room", "Zürich"}}, "C");
  const std::int64_t bounds[] = {10, 100};
  Histogram lat = probe.histogram("latency", {{"op", "read"}}, bounds, "us");
  ASSERT_TRUE(get.registered() && post.registered() && bare.registered());
  ASSERT_TRUE(temp.registered() && lat.registered());
  get.add(2);
  same.add(3);
  post.add(7);
  bare.add(1);
  lat.record(50);

  detail::ProbeCore& core = *testing::core_of(probe);
  ASSERT_EQ(core.header->metric_count.load(), 5u);  // same == get
  EXPECT_EQ(labels_of(core, 0), R"(code="200",method="GET")");
  EXPECT_EQ(labels_of(core, 1), R"(code="200",method="POST")");
  EXPECT_EQ(labels_of(core, 2), "");
  EXPECT_EQ(labels_of(core, 3), R"(room="Zürich")");
  EXPECT_EQ(labels_of(core, 4), R"(op="read")");
  EXPECT_EQ(cell_sum(core, 0), 5u);
  EXPECT_EQ(cell_sum(core, 1), 7u);
  EXPECT_EQ(cell_sum(core, 2), 1u);
  EXPECT_EQ(probe.stats().label_sets_refused, 0u);

  // A dynamic label set (a span) finds the same series.
  const std::vector<Label> dynamic{{"method", "GET"}, {"code", "200"}};
  probe.counter("http_requests", std::span<const Label>(dynamic)).add(10);
  EXPECT_EQ(cell_sum(core, 0), 15u);
}

TEST_F(LabelsTest, BadLabelsGiveInertCountedHandles) {
  Probe probe(quiet_options());
  std::uint64_t refused = 0;
  for (auto labels : std::vector<std::vector<Label>>{{{"le", "1"}},
                                                     {{"__x", "1"}},
                                                     {{"a", ""}},
                                                     {{"a", "\x1b[2J"}},
                                                     {{"a", "1"}, {"a", "2"}},
                                                     {{"9a", "1"}}}) {
    Counter c = probe.counter("m", std::span<const Label>(labels));
    EXPECT_FALSE(c.registered());
    c.add(1);  // ignored, no crash
    EXPECT_EQ(probe.stats().label_sets_refused, ++refused);
  }
  EXPECT_NE(probe.last_error().find("refused"), std::string::npos) << probe.last_error();
  probe.event_type("ev");  // event types take no labels: the C++ API offers none
  // Every series of a name has one kind.
  ASSERT_TRUE(probe.counter("jobs", {{"queue", "a"}}).registered());
  EXPECT_FALSE(probe.gauge("jobs", {{"queue", "b"}}).registered());
  EXPECT_NE(probe.last_error().find("already registered as a counter"), std::string::npos)
      << probe.last_error();
  // ev with its 6 level descriptors, then jobs{queue="a"}
  EXPECT_EQ(testing::core_of(probe)->header->metric_count.load(), 8u);
}

TEST_F(LabelsTest, LabelSetBoundsPerMetricAndPerProbe) {
  ProbeOptions o = quiet_options();
  o.max_label_sets_per_metric = 3;
  o.max_labelled_series = 5;
  Probe probe(o);
  const auto user = [&](const char* metric, int i) {
    const std::string v = std::to_string(i);
    return probe.counter(metric, {{"user", v}});
  };
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(user("a", i).registered());
  EXPECT_FALSE(user("a", 3).registered());  // per metric
  EXPECT_NE(probe.last_error().find("max_label_sets_per_metric"), std::string::npos);
  EXPECT_TRUE(user("a", 0).registered());  // an existing set is not a new one
  EXPECT_TRUE(user("b", 0).registered());
  EXPECT_TRUE(user("b", 1).registered());
  EXPECT_FALSE(user("c", 0).registered());  // per probe: 5 labelled series exist
  EXPECT_NE(probe.last_error().find("max_labelled_series"), std::string::npos);
  EXPECT_TRUE(probe.counter("c").registered());  // unlabelled series are not bounded by it
  EXPECT_EQ(probe.stats().label_sets_refused, 2u);
}

TEST_F(LabelsTest, TheCApiRegistersLabelledSeries) {
  shmon_probe_options o;
  shmon_probe_options_init(&o);
  o.name = "probe-test";
  o.background_connect = 0;
  o.max_label_sets_per_metric = 1;
  shmon_probe* p = shmon_probe_open_with(&o);
  ASSERT_NE(p, nullptr);
  const shmon_label get[] = {{"method", "GET"}, {"code", "200"}};
  const shmon_label put[] = {{"method", "PUT"}};
  const shmon_label bad[] = {{"method", nullptr}};
  shmon_counter* c = shmon_counter_get_labels(p, "req", get, 2, nullptr);
  ASSERT_NE(c, nullptr);
  shmon_counter_add(c, 4);
  EXPECT_EQ(shmon_counter_get_labels(p, "req", put, 1, nullptr), nullptr);  // bound of 1
  EXPECT_EQ(shmon_counter_get_labels(p, "req", bad, 1, nullptr), nullptr);
  EXPECT_EQ(shmon_counter_get_labels(p, "req", nullptr, 1, nullptr), nullptr);
  EXPECT_NE(shmon_gauge_get_labels(p, "g", put, 1, "bytes"), nullptr);
  const int64_t bounds[] = {1, 2, 3};
  EXPECT_NE(shmon_histogram_get_labels(p, "h", put, 1, bounds, 3, "ms"), nullptr);
  char why[256];
  EXPECT_GT(shmon_probe_last_error(p, why, sizeof why), 0u);
  shmon_probe_close(p);
}

}  // namespace
}  // namespace shmon::probe_test
