// SPDX-License-Identifier: Apache-2.0
// clash-metric: a real probe that publishes "shared_hits", a name another client already uses:
//   --variant gauge   the name as a gauge (set to 12345)
//   --variant unit    the name as a counter in "bytes" (adds 777)
//   --variant bounds  the name as a histogram with bounds 1, 2, 3 (records 2)
//   --variant same    the name exactly as the incumbent defines it (adds 777): not a clash
// Prints REGISTERED once connected and published, then waits for EOF on stdin and exits 0
// (the probe says bye, so the agent folds whatever it accepted).
#include <cstdint>
#include <cstdio>
#include <string>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_clash_metric(const Args& args) {
  const std::string metric = "shared_hits";
  ProbeOptions options = probe_options(args);
  Probe probe(options);
  if (args.variant == "gauge") {
    probe.gauge(metric).set(12345);
  } else if (args.variant == "unit") {
    probe.counter(metric, "bytes").add(777);
  } else if (args.variant == "bounds") {
    const std::int64_t bounds[] = {1, 2, 3};
    probe.histogram(metric, bounds).record(2);
  } else if (args.variant == "same") {
    probe.counter(metric).add(777);
  } else {
    say("ERROR unknown --variant '" + args.variant + "' (gauge | unit | bounds | same)");
    return 2;
  }
  if (!probe.wait_connected(10000)) {
    say("CONNECT failed " + probe.last_error());
    return 1;
  }
  say("REGISTERED");
  char line[64];
  while (std::fgets(line, sizeof line, stdin)) {
  }
  say("BYE");
  return 0;
}

}  // namespace shmon::testclient
