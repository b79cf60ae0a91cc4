// SPDX-License-Identifier: Apache-2.0
// The StatsD baseline: what users pick instead of shmon. Producers send "name:value|c" text lines
// as unix datagrams without waiting (fire and forget: a full socket buffer loses the line); a
// receiver process parses every line into a name -> value table.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "shmon/fd.hpp"

namespace shmon::bench {

// Lives in shared memory: the receiver child writes it, the parent reads it.
struct StatsdCounts {
  std::atomic<std::uint64_t> lines;      // parsed counter lines
  std::atomic<std::uint64_t> bad_lines;  // lines that did not parse
  std::atomic<std::uint64_t> datagrams;
  std::atomic<std::uint32_t> stopped;  // set when "!stop" arrived
};

// Binds a datagram socket at `path` (removing a stale file) with a large receive buffer.
UniqueFd bind_statsd_socket(const std::string& path);

// Forks a receiver that reads `sock` until the datagram "!stop", counting into `counts`.
pid_t start_statsd_receiver(int sock, StatsdCounts* counts);

class StatsdSender {
 public:
  bool open(const std::string& path);
  // Formats and sends "name:delta|c" without blocking. False when the line was lost (EAGAIN).
  bool count(std::string_view name, std::int64_t delta) noexcept;
  // Blocking send of the stop line (after every producer is done).
  bool send_stop();

 private:
  UniqueFd fd_;
};

}  // namespace shmon::bench
