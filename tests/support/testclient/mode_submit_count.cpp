// SPDX-License-Identifier: Apache-2.0
// submit-count: an honest client beside an attacker. A real probe submits one event record per
// call (acknowledged through the mailbox, 200 us apart) for --wait-ms milliseconds, then prints
// "SUBMITTED accepted=N failed=F max_call_us=U revoked=R timeouts=T not_connected=C" and exits 0
// (R: calls that ended in kRevoked, T: lock or answer timeouts, C: calls made while the session
// dropped after a timeout was not back yet). The agent's total of the event type
// (--variant, default "acked.event") must equal N: every acknowledged record counted exactly once.
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "output.hpp"
#include "probe_testing.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"
#include "shmon/protocol.hpp"

namespace shmon::testclient {

int run_submit_count(const Args& args) {
  ProbeOptions options = probe_options(args);
  Probe probe(options);
  const EventType type = probe.event_type(args.variant.empty() ? "acked.event" : args.variant);
  if (!probe.wait_connected(10000)) {
    say("CONNECT failed " + probe.last_error());
    return 1;
  }
  say("CONNECTED slot=" + std::to_string(probe.slot()));
  SubmitRecord record{};
  record.op = std::uint32_t(SubmitOp::kEvent);
  record.metric = type.id();
  record.level = std::uint16_t(EventLevel::kInfo);
  record.payload_kind = std::uint8_t(PayloadKind::kText);
  record.payload_size = 5;
  std::memcpy(record.payload, "acked", 5);

  std::uint64_t accepted = 0, failed = 0, max_call_ns = 0, revoked = 0, timeouts = 0,
                not_connected = 0;
  const std::uint64_t end = deadline_after_ms(args.wait_ms);
  while (monotonic_ns() < end) {
    record.timestamp_ns = realtime_ns();
    SubmitReply reply{};
    const std::uint64_t start = monotonic_ns();
    const CallStatus status = testing::submit(probe, {&record, 1}, &reply);
    max_call_ns = std::max(max_call_ns, monotonic_ns() - start);
    // Pace the calls (a workload shape, not a synchronization): between two calls the answered
    // request stays in the mailbox, which is what a repeated Exec would execute again.
    ::usleep(200);
    if (status == CallStatus::kOk && reply.accepted == 1) {
      ++accepted;
    } else {
      ++failed;
      if (status == CallStatus::kRevoked) ++revoked;
      if (status == CallStatus::kTimeout || status == CallStatus::kLockTimeout) ++timeouts;
      if (status == CallStatus::kNotConnected) ++not_connected;
      if (!probe.connected()) probe.wait_connected(2000);  // re-attach after a lost session
    }
  }
  say("SUBMITTED accepted=" + std::to_string(accepted) + " failed=" + std::to_string(failed) +
      " max_call_us=" + std::to_string(max_call_ns / 1000) + " revoked=" + std::to_string(revoked) +
      " timeouts=" + std::to_string(timeouts) + " not_connected=" + std::to_string(not_connected));
  return 0;
}

}  // namespace shmon::testclient
