// SPDX-License-Identifier: Apache-2.0
// The lock-free reader of the directory the agent publishes in the control region: agent
// state, its totals and every client with its statistics, without taking the client mutex.
//
// The agent is the only writer (its main thread, every housekeeping tick). It makes
// directory_seq odd, rewrites the entries, makes it even again. A reader copies the header and
// the entries into private memory and keeps the copy only if directory_seq was the same even
// value before and after: a seqlock. The copy is then checked like any other input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shmon/layout.hpp"
#include "shmon/result.hpp"

namespace shmon::client {

// The control header's values, copied (plain values, names NUL-terminated).
struct AgentHeader {
  std::string instance;
  std::int32_t pid = 0;
  std::uint32_t abi_version = 0;
  std::uint64_t generation = 0;
  std::uint32_t lease_ms = 0, max_app_clients = 0, directory_capacity = 0;
  std::uint64_t region_size = 0;
  std::uint64_t start_realtime_ns = 0, start_monotonic_ns = 0, heartbeat_monotonic_ns = 0;
  std::uint64_t requests = 0, request_errors = 0, torn_requests = 0, lease_revocations = 0,
                dead_owner_releases = 0, clients_connected = 0, clients_total = 0,
                clients_refused = 0, events_received = 0, events_dropped = 0, bad_records = 0,
                drain_batches = 0, lock_holder_since_ns = 0;
  double requests_per_s = 0, events_per_s = 0;  // the agent's rates over its last second
};

struct Directory {
  AgentHeader agent;
  std::vector<DirectoryEntry> clients;  // occupied entries only, by slot, names NUL-terminated
  std::uint64_t read_monotonic_ns = 0;  // when the copy was taken
};

// Reads a consistent copy from a mapped, validated control region (`control`, its whole size).
// Retries while the agent writes; gives up with an error after `max_tries` torn reads.
Result<Directory> read_directory(std::span<const std::byte> control, int max_tries = 1000);

}  // namespace shmon::client
