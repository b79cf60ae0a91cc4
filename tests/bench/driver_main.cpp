// SPDX-License-Identifier: Apache-2.0
// shmon_bench_driver [--out FILE] [--events N]
//                    [--only
//                    e2e|seed|statsd|ping|commands|scrape-drain|slow-scrapers|tool-trickle|rest|query|
//                    fork-storm]
//                    [--big-clients N] [--quick]
//                    [--reps N]
// (query and fork-storm are not part of the default run: --only query, --only fork-storm.)
// Runs the multi-process benchmarks once and writes their measurements as one JSON object.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "driver.hpp"

using shmon::bench::DriverConfig;
using shmon::bench::Json;

int main(int argc, char** argv) {
  DriverConfig config;
  std::string out, only;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--out" && has_value) {
      out = argv[++i];
    } else if (arg == "--events" && has_value) {
      config.events_per_producer = std::stoull(argv[++i]);
    } else if (arg == "--only" && has_value) {
      only = argv[++i];
    } else if (arg == "--reps" && has_value) {
      config.fork_storm_reps = std::uint32_t(std::stoul(argv[++i]));
    } else if (arg == "--big-clients" && has_value) {
      config.big_clients = std::uint32_t(std::stoul(argv[++i]));
    } else if (arg == "--quick") {
      config.events_per_producer = 1'000'000;
      config.seed_records_per_producer = 5'000;
      config.statsd_lines_per_producer = 100'000;
      config.pings = 5'000;
      config.contend_ms = 1000;
      config.idle_seconds = 3;
      config.scrape_window_events = 1'000'000;
      config.scrape_windows = 4;
      config.slow_scrapes = 15;
      config.trickle_samples = 15;
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--out FILE] [--events N] "
          "[--only "
          "e2e|seed|statsd|ping|commands|scrape-drain|slow-scrapers|tool-trickle|rest|query|"
          "fork-storm] "
          "[--big-clients N] [--reps N] "
          "[--quick]\n",
          argv[0]);
      return 2;
    }
  }
  Json result;
  const auto want = [&](const char* step) { return only.empty() || only == step; };
  if (want("e2e")) result["e2e"] = shmon::bench::run_e2e(config);
  if (want("seed")) result["seed_e2e"] = shmon::bench::run_seed_e2e(config);
  if (want("statsd")) result["statsd_e2e"] = shmon::bench::run_statsd_e2e(config);
  if (want("ping")) result["ping"] = shmon::bench::run_ping(config);
  if (want("commands")) result["commands"] = shmon::bench::run_commands(config);
  if (want("scrape-drain")) result["scrape_drain"] = shmon::bench::run_scrape_drain(config);
  if (want("slow-scrapers")) result["slow_scrapers"] = shmon::bench::run_slow_scrapers(config);
  if (want("tool-trickle")) result["tool_trickle"] = shmon::bench::run_tool_trickle(config);
  if (want("rest")) result["rest"] = shmon::bench::run_rest(config);
  if (only == "query") result["query"] = shmon::bench::run_query(config);
  if (only == "fork-storm") result["fork_storm"] = shmon::bench::run_fork_storm(config);
  const std::string text = result.dump(2);
  if (out.empty()) {
    std::puts(text.c_str());
  } else {
    std::ofstream(out) << text << "\n";
  }
  return 0;
}
