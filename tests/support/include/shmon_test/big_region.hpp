// SPDX-License-Identifier: Apache-2.0
// The client with the largest data region the agent accepts, shared by the query-bound test's
// client (shmon-testclient big-region) and the query benchmark (shmon_bench_driver --only query).
// Header-only: both link only the probe.
#pragma once

#include <cstdio>

#include "shmon/layout.hpp"
#include "shmon/probe.hpp"

namespace shmon::test {

// `options` with every DataLimits maximum, and small rings: queries read cells, never rings.
inline ProbeOptions with_largest_region(ProbeOptions options) {
  using L = DataLimits;
  options.params = {L::kMaxMetrics, L::kMaxShards, L::kMaxHistograms, L::kMaxBuckets, 64};
  return options;
}

// Uses every metric slot: big_h000.. histograms (each records 1), then big_c0000.. counters (each
// adds 1), about 8.7 million cells for a reader of all values.
inline void fill_every_metric_slot(Probe& probe) {
  using L = DataLimits;
  char name[32];
  for (std::uint32_t i = 0; i < L::kMaxHistograms; ++i) {
    std::snprintf(name, sizeof(name), "big_h%03u", i);
    probe.histogram(name).record(1);
  }
  for (std::uint32_t i = 0; i < L::kMaxMetrics - L::kMaxHistograms; ++i) {
    std::snprintf(name, sizeof(name), "big_c%04u", i);
    probe.counter(name).add(1);
  }
}

}  // namespace shmon::test
