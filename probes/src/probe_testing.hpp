// SPDX-License-Identifier: Apache-2.0
// Test-only hooks into a probe: internal, not installed, not exported from libshmon_probe.so.
// Used by the probe's tests and the misbehaving test client, which link shmon_probe_static and add
// probes/src to their include path.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "shmon/probe.hpp"
#include "shmon/protocol.hpp"

namespace shmon::detail {
// The one door from a Probe to its core (Probe befriends it).
struct ProbeAccess {
  static ProbeCore* core(const Probe& probe) { return probe.core_.get(); }
};
}  // namespace shmon::detail

namespace shmon::testing {

inline detail::ProbeCore* core_of(const Probe& probe) {
  return detail::ProbeAccess::core(probe);
}

// Submits records through the mailbox (kSubmit), in as many sessions as the request buffer needs.
CallStatus submit(Probe& probe, std::span<const SubmitRecord> records,
                  SubmitReply* reply = nullptr) noexcept;

// Runs a ping session exactly like Probe::ping(), but calls `while_holding` right after the client
// mutex is acquired and before the request is written (to simulate a client that dies or stops
// while holding the lock).
CallStatus ping_holding_lock(Probe& probe, const std::function<void()>& while_holding);

// The owner token of the current session (0 when not attached).
std::uint32_t owner_token(const Probe& probe);

}  // namespace shmon::testing
