// SPDX-License-Identifier: Apache-2.0
// counter-flood: an honest client with many series: --variant N counters (default 4000, at most
// the region's 4096 metric slots) named flood_<name>_<i>, each added to once, then a flush.
// Prints "FLOODED series=N flush=STATUS" and holds on until stdin reaches EOF (exit 0). Several
// of them drive an agent's series table (and its memory) up.
#include <algorithm>
#include <cstdio>
#include <string>

#include "output.hpp"
#include "shmon/layout.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_counter_flood(const Args& args) {
  std::uint32_t n = args.variant.empty() ? 4000u : std::uint32_t(std::stoul(args.variant));
  n = std::min(n, DataLimits::kMaxMetrics);
  ProbeOptions options = probe_options(args);
  // One shard, no histograms: a region of a few hundred KiB however many counters it has.
  options.params = {DataLimits::kMaxMetrics, 1, 1, 8, 64};
  Probe probe(options);
  for (std::uint32_t i = 0; i < n; ++i) {
    probe.counter("flood_" + args.name + "_" + std::to_string(i)).add(1);
  }
  if (!probe.wait_connected(args.wait_ms)) {
    say("ERROR not connected: " + probe.last_error());
    return 1;
  }
  const FlushResult flushed = probe.flush();
  say("FLOODED series=" + std::to_string(n) + " flush=" + to_string(flushed.status));
  char line[64];
  while (std::fgets(line, sizeof line, stdin)) {
  }
  return 0;
}

}  // namespace shmon::testclient
