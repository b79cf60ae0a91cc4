// SPDX-License-Identifier: Apache-2.0
// Publishing the client directory and the agent totals in the control region (seqlock:
// directory_seq odd while writing, even when consistent), and the numbers derived from clients
// that queries share with it.
#pragma once

#include <cstdint>

#include "context.hpp"

namespace shmon::agent {

// A copy of the client's own statistics with values no honest client can produce clamped.
ClientStatsSnapshot clamped_stats(const Client& client);

struct LiveTotals {
  std::uint64_t events_received = 0;  // live tails + departed
  std::uint64_t events_dropped = 0;   // live drop counters + departed
  std::uint64_t clients_connected = 0;
};
// Call with ctx.mu held.
LiveTotals compute_totals(const AgentContext& ctx);

// Rewrites every directory entry and the derived AgentStats. Call with ctx.mu held, from the
// main thread only (the single writer of the directory).
void publish_directory(AgentContext& ctx);

// p in [0,1] over a log2 wait histogram (bucket i = [2^i, 2^(i+1)) ns), interpolated inside
// the bucket (shmon/wait_histogram.hpp); no maximum to clamp to.
double wait_quantile(const std::uint64_t* hist, double p);

}  // namespace shmon::agent
