// SPDX-License-Identifier: Apache-2.0
// Helpers for the in-process probe tests: a private runtime directory (so no agent is ever found)
// and read access to a probe's data region through layout.hpp's geometry.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "../../probes/src/fast_path.hpp"
#include "../../probes/src/probe_core.hpp"
#include "../../probes/src/probe_testing.hpp"
#include "shmon/probe.hpp"

namespace shmon::probe_test {

// Points SHMON_RUNTIME_DIR at a fresh, empty directory for the test's lifetime.
class ProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shmon-probe-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::setenv("SHMON_RUNTIME_DIR", dir_.c_str(), 1);
    ::unsetenv("SHMON_INSTANCE");
    ::unsetenv("SHMON_CLIENT_NAME");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static ProbeOptions quiet_options() {
    ProbeOptions o;
    o.name = "probe-test";
    o.background_connect = false;
    return o;
  }

  std::string dir_;
};

inline std::uint32_t metric_index(detail::ProbeCore& core, std::string_view name) {
  const MetricDescriptor* d = core.region.descriptor(0);
  const std::uint32_t n = core.header->metric_count.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (name == d[i].name) return i;
  }
  return ~0u;
}

inline std::uint64_t cell_sum(detail::ProbeCore& core, std::uint32_t index) {
  std::uint64_t sum = 0;
  for (std::uint32_t s = 0; s < core.geometry().params.shard_count; ++s) {
    sum += *detail::cell_at(core, s, index);
  }
  return sum;
}

inline const HistogramCellsHeader* histogram_cells(detail::ProbeCore& core, std::uint32_t shard,
                                                   std::uint32_t histogram) {
  return core.region.histogram(shard, histogram);
}

inline const std::uint64_t* histogram_buckets(detail::ProbeCore& core, std::uint32_t shard,
                                              std::uint32_t histogram) {
  return reinterpret_cast<const std::uint64_t*>(histogram_cells(core, shard, histogram) + 1);
}

inline RingHeader* ring(detail::ProbeCore& core, std::uint32_t shard) {
  return core.region.ring(shard);
}

inline const EventRecord* ring_records(detail::ProbeCore& core, std::uint32_t shard) {
  return reinterpret_cast<const EventRecord*>(ring(core, shard) + 1);
}

}  // namespace shmon::probe_test
