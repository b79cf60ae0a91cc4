// The C API: smoke test without an agent, and NULL handles.
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

}  // namespace
}  // namespace shmon::probe_test
