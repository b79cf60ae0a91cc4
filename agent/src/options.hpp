// SPDX-License-Identifier: Apache-2.0
// Command line of shmon-agent.
#pragma once

#include <cstdint>
#include <string>

#include "shmon/limits.hpp"

namespace shmon::agent {

struct Options {
  std::string instance = kDefaultInstance;
  std::uint32_t max_clients = kDefaultMaxClients;
  std::uint32_t lease_ms = kDefaultLeaseMs;
  std::string log_level = "info";
  // State store (state_store.hpp). Location: --state-dir, else $SHMON_STATE_DIR, else
  // $XDG_STATE_HOME/shmon, else ~/.local/state/shmon; one subdirectory per instance.
  bool no_state = false;
  std::string state_dir;
  std::uint64_t event_log_records = 65536;  // event log capacity (64 bytes each)
  std::uint32_t state_sync_ms = 5000;       // how often commits are made power-cut durable
  // At start, how long a state store that fails for its storage (full disk, I/O error) is
  // retried (with backoff) before the agent gives up with exit code 15.
  std::uint32_t state_wait_ms = 30000;
  // Prometheus endpoint (docs/PROMETHEUS.md): HOST:PORT, empty = off. 9077 lies outside the
  // ports Prometheus's own components (9090-9094) and its exporter allocations (9100-9999) use.
  std::string metrics_listen = "127.0.0.1:9077";
  bool metrics_per_client = false;  // adds <name>_by_client series with a client label
  // Distinct series (metric name + label set) the agent keeps for its life; a series past the
  // bound is refused for the client that publishes it, counted and logged (metric_identity.hpp).
  // Each series costs about 10 KB of history (600 one-second points), so the bound is also the
  // agent's memory bound for them: 10,000 series, about 100 MB.
  std::uint32_t max_series = 10000;
};

// Parses argv. Returns the exit code to leave with (0 after --help, 2 on a usage error, having
// printed a one-line message), or -1 to go on with `out` filled.
int parse_options(int argc, char** argv, Options& out);

}  // namespace shmon::agent
