// SPDX-License-Identifier: Apache-2.0
// shmon_bench_driver: the multi-process benchmarks. Each step starts its own agent (a real
// shmon-agent child in a private runtime dir), forks its clients, bounds every wait and returns
// its measurements as JSON.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace shmon::bench {

using Json = nlohmann::json;

struct DriverConfig {
  std::uint32_t producers = 4;
  std::uint64_t events_per_producer = 10'000'000;
  std::uint64_t seed_records_per_producer = 20'000;  // the seed handshake is ~1000x slower
  std::uint64_t statsd_lines_per_producer = 500'000;
  std::uint32_t pings = 20'000;
  std::uint32_t contend_ms = 2000;
  std::uint32_t idle_seconds = 10;
  std::uint32_t idle_clients = 10;
  std::uint32_t rss_clients = 256;
  int child_timeout_ms = 180'000;
  std::uint32_t big_clients = 4;     // query: clients with the largest legal region
  std::uint32_t query_samples = 40;  // query: timed queries per kind (a quarter for the full list)
  std::uint32_t scrape_clients = 256;              // scrape-drain: clients of 100 metrics each
  std::uint32_t scrape_client_processes = 8;       // ... in this many processes
  std::uint32_t scrape_producers = 2;              // event producers (wait policy)
  std::uint64_t scrape_window_events = 4'000'000;  // per producer and window
  std::uint32_t scrape_windows = 16;               // per phase (A B B A blocks), half with scrapes
  std::uint32_t slow_peers = 300;                  // slow-scrapers: slowloris peers in the B phases
  std::uint32_t slow_scrapes = 40;                 // ... timed scrapes per phase (8 phases)
  std::uint32_t trickle_tools = 2;     // tool-trickle: tools trickling requests in the B phases
  std::uint32_t trickle_samples = 40;  // ... one-shot tool pings per phase (8 phases)
  std::uint32_t fork_storm_reps = 5;   // fork-storm: repetitions per table size
};

// End to end: N producers x M events into one agent (wait policy), and the same through the
// seed handshake (one record per submit) and StatsD lines.
Json run_e2e(const DriverConfig& config);
Json run_seed_e2e(const DriverConfig& config);
Json run_statsd_e2e(const DriverConfig& config);

// Control calls: ping with the agent idle and busy, 4 clients contending, unix-socket echo.
Json run_ping(const DriverConfig& config);

// Commands: echo round trip to an idle app beside the tool's ping, alternating, same run.
Json run_commands(const DriverConfig& config);

// Cost at rest: agent CPU with idle clients, agent RSS with many clients, region sizes.
Json run_rest(const DriverConfig& config);

// The agent's drain rate with and without /metrics scrapes (256 clients x 100 metrics),
// alternating windows in one run.
Json run_scrape_drain(const DriverConfig& config);

// Scrape time with and without `slow_peers` slowloris peers, alternating phases in one run.
Json run_slow_scrapers(const DriverConfig& config);

// One-shot tool calls (attach, ping, bye) with and without tools that trickle their requests,
// alternating phases in one run.
Json run_tool_trickle(const DriverConfig& config);

// Fork storm: 1000 children that add and exit without a call; time from the last exit until a
// query shows the exact total, median over `fork_storm_reps` at --max-clients 64 and 1024.
Json run_fork_storm(const DriverConfig& config);

// Query latency with `big_clients` maximal clients and one small client.
Json run_query(const DriverConfig& config);
// {"n", "p50_ns", "p99_ns", "mean_ns"} of latency samples.
Json latency_summary(std::vector<std::uint64_t> samples);

}  // namespace shmon::bench
