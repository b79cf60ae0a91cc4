// SPDX-License-Identifier: Apache-2.0
// hold-lock: holds the client mutex (inside a ping, through the probe's testing hook) until a
// line arrives on stdin. The tests kill it (dead owner), or stop it past its lease (revocation)
// and then let it go on: it must see the loss, re-attach and ping successfully again.
// --variant late: before holding, registers metrics late and submits (submissions.hpp), so the
// tests can check that nothing acknowledged is lost across the revocation and re-attach.
#include <cstdio>
#include <functional>
#include <string>

#include "output.hpp"
#include "probe_testing.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"
#include "submissions.hpp"

namespace shmon::testclient {
namespace {

void block_until_stdin_line() {
  char line[256];
  if (!std::fgets(line, sizeof line, stdin)) return;  // EOF counts as "go on" too
}

}  // namespace

int run_hold_lock(const Args& args) {
  ProbeOptions options = probe_options(args);
  Probe probe(options);
  if (!probe.wait_connected(10000)) {
    say("CONNECT failed " + probe.last_error());
    return 1;
  }
  say("CONNECTED slot=" + std::to_string(probe.slot()));
  if (args.variant == "late") {
    if (auto failed = register_and_submit(probe); !failed.empty()) {
      say("SUBMIT failed " + failed);
      return 1;
    }
    say("SUBMITTED");
  }

  const CallStatus status = shmon::testing::ping_holding_lock(probe, [] {
    say("HOLDING");
    block_until_stdin_line();
  });
  say(std::string("RESULT ") + to_string(status));
  if (status == CallStatus::kOk) return 0;

  // The session is gone: the probe re-attaches; ping until it answers (bounded).
  const std::uint64_t deadline = deadline_after_ms(10000);
  while (monotonic_ns() < deadline) {
    const std::uint64_t now = monotonic_ns();
    const auto left_ms = std::uint32_t((deadline - now) / 1000000u);
    if (!probe.wait_connected(left_ms)) break;
    if (probe.ping().status == CallStatus::kOk) {
      say("RECONNECTED ok");
      return 0;
    }
  }
  say("RECONNECTED failed " + probe.last_error());
  return 1;
}

}  // namespace shmon::testclient
