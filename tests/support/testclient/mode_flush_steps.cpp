// SPDX-License-Identifier: Apache-2.0
// flush-steps: one step per stdin line. Step k adds 1000 to counter "steps", registers ten new
// counters "pad_k_0".."pad_k_9" (1 each) and flushes, then says "STEP k <status> acked=A added=B":
// `status` is the flush's (to_string: "ok", "not durable", ...), A what "steps" held at the last
// flush answered "ok", B what it holds now. The new counters make every acknowledgement need more
// room in the agent's state store (the client's snapshot grows), so a store on a full disk cannot
// absorb it in space it already holds. Exits 0 at stdin EOF.
#include <cstdio>
#include <string>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_flush_steps(const Args& args) {
  ProbeOptions options = probe_options(args);
  options.params.metric_capacity = 4096;  // room for ten new counters a step
  Probe probe(options);
  Counter steps = probe.counter("steps");
  if (!probe.wait_connected(args.wait_ms)) {
    say("ERROR not connected: " + probe.last_error());
    return 1;
  }
  say("READY");
  std::uint64_t acked = 0;
  std::uint64_t added = 0;
  char line[64];
  for (int k = 0; std::fgets(line, sizeof line, stdin); ++k) {
    for (int j = 0; j < 10; ++j)
      probe.counter("pad_" + std::to_string(k) + "_" + std::to_string(j)).add(1);
    steps.add(1000);
    added += 1000;
    const FlushResult r = probe.flush();
    // Everything added so far is acknowledged by an "ok" (a flush covers the whole region).
    if (r.status == CallStatus::kOk) acked = added;
    say("STEP " + std::to_string(k) + " " + to_string(r.status) +
        " acked=" + std::to_string(acked) + " added=" + std::to_string(added));
  }
  return 0;
}

}  // namespace shmon::testclient
