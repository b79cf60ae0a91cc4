// SPDX-License-Identifier: Apache-2.0
// submit: attaches (connector thread, so it re-attaches after an agent restart), registers the
// late_* metrics, submits and flushes (submissions.hpp), prints SUBMITTED, then waits for EOF on
// stdin and flushes again (retrying, bounded by --wait-ms, while the agent restarts) before it
// exits 0.
#include <unistd.h>

#include <cstdio>

#include "output.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"
#include "submissions.hpp"

namespace shmon::testclient {

int run_submit(const Args& args) {
  Probe probe(probe_options(args));
  if (!await_attach(probe, args)) return 1;
  if (auto failed = register_and_submit(probe); !failed.empty()) {
    say("SUBMIT failed " + failed);
    return 1;
  }
  say("SUBMITTED");
  char line[256];
  while (std::fgets(line, sizeof line, stdin)) {
  }
  const std::uint64_t deadline = deadline_after_ms(args.wait_ms);
  while (monotonic_ns() < deadline) {
    probe.wait_connected(100);
    if (probe.flush().status == CallStatus::kOk) {
      say("FLUSHED");
      return 0;
    }
    usleep(10000);  // retry interval of a bounded loop while the agent restarts
  }
  say("FLUSH failed " + probe.last_error());
  return 1;
}

}  // namespace shmon::testclient
