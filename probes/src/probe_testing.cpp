// SPDX-License-Identifier: Apache-2.0
// Test-only hooks (probe_testing.hpp).
#include "probe_testing.hpp"

#include "probe_core.hpp"
#include "shmon/clock.hpp"

namespace shmon::testing {

CallStatus ping_holding_lock(Probe& probe, const std::function<void()>& while_holding) {
  detail::ProbeCore& core = *core_of(probe);
  std::unique_lock<detail::TimedMutex> lock;
  if (auto st = core.begin_call(lock); st != CallStatus::kOk) return st;
  PingBody body{monotonic_ns(), 0};
  detail::ProbeCore::Reply reply;
  return core.session_locked(RequestType::kPing, std::as_bytes(std::span(&body, 1)), reply,
                             &while_holding);
}

std::uint32_t owner_token(const Probe& probe) {
  detail::ProbeCore& core = *core_of(probe);
  std::lock_guard lock(core.call_mutex);
  return core.connected.load() ? core.session.owner_token : 0;
}

}  // namespace shmon::testing
