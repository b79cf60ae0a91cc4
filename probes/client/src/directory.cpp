// SPDX-License-Identifier: Apache-2.0
#include "shmon/client/directory.hpp"

#include <sched.h>

#include <atomic>
#include <cstring>

#include "shmon/clock.hpp"
#include "shmon/seqlock.hpp"

namespace shmon::client {
namespace {

// A directory entry as the agent wrote it; anything else is dropped from the copy.
bool plausible(DirectoryEntry& e, std::uint32_t index) {
  e.name[sizeof(e.name) - 1] = '\0';
  return e.state != std::uint32_t(ClientState::kFree) &&
         e.state <= std::uint32_t(ClientState::kLeaving) && e.slot == index &&
         e.kind >= std::uint32_t(ClientKind::kApp) &&
         e.kind <= std::uint32_t(ClientKind::kInspector);
}

AgentHeader copy_header(const ControlHeader& h) {
  constexpr auto r = std::memory_order_relaxed;
  AgentHeader a;
  char instance[sizeof h.instance];
  std::memcpy(instance, h.instance, sizeof instance);
  instance[sizeof instance - 1] = '\0';
  a.instance = instance;
  a.pid = h.agent_pid;
  a.abi_version = h.abi_version;
  a.generation = h.agent_generation;
  a.lease_ms = h.lease_ms;
  a.max_app_clients = h.max_app_clients;
  a.directory_capacity = h.directory_capacity;
  a.region_size = h.region_size;
  a.start_realtime_ns = h.agent_start_realtime_ns;
  a.start_monotonic_ns = h.agent_start_monotonic_ns;
  a.heartbeat_monotonic_ns = h.heartbeat_monotonic_ns.load(r);
  const AgentStats& s = h.stats;
  a.requests = s.requests.load(r);
  a.request_errors = s.request_errors.load(r);
  a.torn_requests = s.torn_requests.load(r);
  a.lease_revocations = s.lease_revocations.load(r);
  a.dead_owner_releases = s.dead_owner_releases.load(r);
  a.clients_connected = s.clients_connected.load(r);
  a.clients_total = s.clients_total.load(r);
  a.clients_refused = s.clients_refused.load(r);
  a.events_received = s.events_received.load(r);
  a.events_dropped = s.events_dropped.load(r);
  a.bad_records = s.bad_records.load(r);
  a.drain_batches = s.drain_batches.load(r);
  a.lock_holder_since_ns = s.lock_holder_since_ns.load(r);
  a.requests_per_s = double(s.requests_per_s_milli.load(r)) / 1000.0;
  a.events_per_s = double(s.events_per_s_milli.load(r)) / 1000.0;
  return a;
}

}  // namespace

Result<Directory> read_directory(std::span<const std::byte> control, int max_tries) {
  if (control.size() < sizeof(ControlHeader)) return Error{"the control region is too small"};
  const auto* live = reinterpret_cast<const ControlHeader*>(control.data());
  // The geometry was validated at attach and the region is sealed: these do not change.
  const std::uint64_t offset = live->directory_offset;
  const std::uint64_t capacity = live->directory_capacity;
  if (live->directory_entry_size != sizeof(DirectoryEntry) || offset < sizeof(ControlHeader) ||
      offset + capacity * sizeof(DirectoryEntry) > control.size()) {
    return Error{"the control region's directory does not fit the region"};
  }
  Directory d;
  std::vector<DirectoryEntry> entries(capacity);
  const std::atomic<std::uint64_t>& seq = live->directory_seq;
  for (int attempt = 0; attempt < max_tries; ++attempt) {
    const std::uint64_t before = seq.load(std::memory_order_acquire);
    if (before % 2 != 0) {
      sched_yield();
      continue;
    }
    std::memcpy(static_cast<void*>(entries.data()), control.data() + offset,
                capacity * sizeof(DirectoryEntry));
    // Seqlock reader: the copy must complete before seq is read again.
    if (seqlock_recheck(seq) != before) continue;
    d.agent = copy_header(*live);
    d.read_monotonic_ns = monotonic_ns();
    for (std::uint32_t i = 0; i < capacity; ++i) {
      if (plausible(entries[i], i)) d.clients.push_back(entries[i]);
    }
    return d;
  }
  return Error{"the directory kept changing while it was read"};
}

}  // namespace shmon::client
