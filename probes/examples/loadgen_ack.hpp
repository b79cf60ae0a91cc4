// SPDX-License-Identifier: Apache-2.0
// shmon-loadgen's acknowledgement: the run counts only when the agent itself reports our
// counter value and has drained every event we wrote. Retries through agent restarts, timeouts
// and revoked leases until the deadline.
#pragma once

#include <cstdint>
#include <string>

#include "shmon/probe.hpp"

namespace loadgen {

struct AckTarget {
  std::string counter;
  std::uint64_t increments = 0;  // K: the value the agent must report for this client
  std::uint64_t events = 0;      // N: written + dropped must add up to it
};

struct AckOutcome {
  bool acknowledged = false;
  std::uint64_t reported = 0;   // counter value the agent last reported for us
  std::uint64_t delivered = 0;  // events the agent drained (FlushResult.events_received)
  std::uint64_t dropped = 0;    // events the probe dropped, by the probe's own count
  std::string reason;           // why not acknowledged (the last failure seen)
};

// Events the probe dropped: ring full, payload too large, ring full with no agent.
std::uint64_t dropped_events(const shmon::ClientStatsSnapshot& stats);

AckOutcome wait_for_ack(shmon::Probe& probe, const AckTarget& target, std::uint32_t wait_ms);

}  // namespace loadgen
