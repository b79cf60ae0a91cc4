// SPDX-License-Identifier: Apache-2.0
// The C API: smoke test without an agent, and NULL handles.
#include <cstddef>
#include <cstring>
#include <string>

#include "probe_test_util.hpp"
#include "shmon/probe.h"

namespace shmon::probe_test {
namespace {

using CApiTest = ProbeTest;

TEST_F(CApiTest, Smoke) {
  ::setenv("SHMON_CLIENT_NAME", "c-api", 1);
  shmon_probe* p = shmon_probe_open(nullptr, nullptr);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(shmon_probe_connected(p), 0);
  shmon_counter* c = shmon_counter_get(p, "c_total");
  ASSERT_NE(c, nullptr);
  shmon_counter_add(c, 3);
  shmon_counter_add(shmon_counter_get(p, "c_total"), 4);
  shmon_gauge* g = shmon_gauge_get(p, "g");
  shmon_gauge_set(g, 1.5);
  shmon_histogram* h = shmon_histogram_get(p, "h");
  shmon_histogram_record(h, 12);
  shmon_event_type* e = shmon_event_type_get(p, "e");
  EXPECT_EQ(shmon_event_emit(p, e, SHMON_INFO, "hello"), SHMON_OK);
  EXPECT_EQ(shmon_event_emit(p, e, 99, "bad level"), SHMON_E_ARGUMENT);
  EXPECT_EQ(shmon_event_emit(p, nullptr, SHMON_INFO, "x"), SHMON_E_ARGUMENT);
  uint64_t rtt = 1;
  EXPECT_EQ(shmon_ping(p, &rtt), SHMON_E_NOT_CONNECTED);
  EXPECT_EQ(rtt, 0u);
  EXPECT_EQ(shmon_flush(p), SHMON_E_NOT_CONNECTED);

  // Reach the C++ probe through the struct layout only via its own API: counts land in cells.
  shmon_probe_close(p);

  // NULL handles are ignored.
  shmon_counter_add(nullptr, 1);
  shmon_gauge_set(nullptr, 1);
  shmon_histogram_record(nullptr, 1);
  EXPECT_EQ(shmon_counter_get(nullptr, "x"), nullptr);
  EXPECT_EQ(shmon_probe_connected(nullptr), 0);
  EXPECT_EQ(shmon_ping(nullptr, nullptr), SHMON_E_ARGUMENT);
  shmon_probe_close(nullptr);
  ::unsetenv("SHMON_CLIENT_NAME");
}

// What the C++ API has, the C API reaches: the options struct, histogram bounds and units,
// emit_bytes and last_error.
TEST_F(CApiTest, OptionsBoundsUnitsBytesAndLastError) {
  shmon_probe_options o;
  shmon_probe_options_init(&o);
  EXPECT_EQ(o.size, sizeof(o));
  EXPECT_EQ(o.ring_capacity, DataParams{}.ring_capacity);
  EXPECT_EQ(o.background_connect, 1);
  o.name = "c-options";
  o.background_connect = 0;
  o.ring_capacity = 3;  // not a power of two: the probe falls back to the defaults and says why
  shmon_probe* p = shmon_probe_open_with(&o);
  ASSERT_NE(p, nullptr);
  char err[256];
  const size_t n = shmon_probe_last_error(p, err, sizeof err);
  EXPECT_GT(n, 0u);
  EXPECT_NE(std::string(err).find("ring_capacity"), std::string::npos) << err;
  char tiny[4];
  EXPECT_EQ(shmon_probe_last_error(p, tiny, sizeof tiny), n);
  EXPECT_EQ(std::strlen(tiny), 3u);

  const int64_t bounds[] = {10, 100, 1000};
  shmon_histogram* h = shmon_histogram_get_bounds(p, "latency", bounds, 3, "us");
  ASSERT_NE(h, nullptr);
  shmon_histogram_record(h, 50);
  const int64_t descending[] = {100, 10};
  ASSERT_NE(shmon_histogram_get_bounds(p, "bad_bounds", descending, 2, "us"), nullptr);
  shmon_probe_last_error(p, err, sizeof err);
  EXPECT_NE(std::string(err).find("bad_bounds"), std::string::npos) << err;
  EXPECT_EQ(shmon_histogram_get_bounds(p, "null_bounds", nullptr, 2, nullptr), nullptr);
  ASSERT_NE(shmon_counter_get_unit(p, "bytes_total", "bytes"), nullptr);
  ASSERT_NE(shmon_gauge_get_unit(p, "temperature", "C"), nullptr);

  shmon_event_type* e = shmon_event_type_get(p, "blob");
  const unsigned char payload[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(shmon_event_emit_bytes(p, e, SHMON_INFO, payload, sizeof payload), SHMON_OK);
  unsigned char big[41] = {};
  EXPECT_EQ(shmon_event_emit_bytes(p, e, SHMON_INFO, big, sizeof big), SHMON_E_DROPPED);
  EXPECT_EQ(shmon_event_emit_bytes(p, e, SHMON_INFO, nullptr, 3), SHMON_E_ARGUMENT);
  EXPECT_EQ(shmon_probe_poll(p), 0);  // no agent in this test's runtime directory
  EXPECT_EQ(shmon_probe_wait_connected(p, 0), 0);
  shmon_probe_close(p);

  // An older, smaller options struct: fields past its size keep their defaults.
  shmon_probe_options old{};
  old.size = offsetof(shmon_probe_options, metric_capacity);
  old.name = "c-old";
  old.ring_capacity = 3;  // past `size`: must not be read
  shmon_probe* q = shmon_probe_open_with(&old);
  ASSERT_NE(q, nullptr);
  shmon_probe_last_error(q, err, sizeof err);
  EXPECT_EQ(std::string(err).find("ring_capacity"), std::string::npos) << err;
  shmon_probe_close(q);
  EXPECT_EQ(shmon_probe_last_error(nullptr, err, sizeof err), 0u);
}

}  // namespace
}  // namespace shmon::probe_test
