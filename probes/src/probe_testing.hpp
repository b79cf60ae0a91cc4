// Test-only hooks into a probe (not installed). Used by the misbehaving test client, which links
// shmon_probe_static and adds probes/src to its include path.
#pragma once

#include <cstdint>
#include <functional>

#include "shmon/probe.hpp"

namespace shmon::testing {

// Runs a ping session exactly like Probe::ping(), but calls `while_holding` right after the client
// mutex is acquired and before the request is written (to simulate a client that dies or stops
// while holding the lock).
CallStatus ping_holding_lock(Probe& probe, const std::function<void()>& while_holding);

// The owner token of the current session (0 when not attached).
std::uint32_t owner_token(const Probe& probe);

}  // namespace shmon::testing
