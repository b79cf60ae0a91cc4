// SPDX-License-Identifier: Apache-2.0
// big-region: an honest client with the largest data region the agent accepts, every metric slot
// used: 64 shards, 3840 counters and 256 histograms of 512 buckets (about 70 MB; reading all of
// its values touches about 8.7 million cells). It adds 1 to every counter and records 1 in every
// histogram, flushes, prints READY, then holds on until stdin reaches EOF (exit 0).
#include <cstdio>
#include <string>
#include <vector>

#include "output.hpp"
#include "shmon/probe.hpp"
#include "shmon_test/big_region.hpp"

namespace shmon::testclient {

int run_big_region(const Args& args) {
  Probe probe(test::with_largest_region(probe_options(args)));
  test::fill_every_metric_slot(probe);
  if (!probe.last_error().empty()) {
    say("ERROR " + probe.last_error());
    return 1;
  }
  if (!probe.wait_connected(args.wait_ms)) {
    say("ERROR not connected: " + probe.last_error());
    return 1;
  }
  const FlushResult flushed = probe.flush();
  if (flushed.status != CallStatus::kOk) {
    say(std::string("ERROR flush ") + to_string(flushed.status));
    return 1;
  }
  say("READY");
  char line[64];
  while (std::fgets(line, sizeof line, stdin)) {
  }
  return 0;
}

}  // namespace shmon::testclient
