// SPDX-License-Identifier: Apache-2.0
// main() of shmon_bench_probe: starts the StatsD receiver and the agent, attaches the probe,
// runs the benchmarks, stops everything.
#include "bench_env.hpp"

#include <cstdio>

#include "shmon/clock.hpp"

namespace shmon::bench {

BenchEnv& env() {
  static BenchEnv instance;
  return instance;
}

namespace {

bool set_up(BenchEnv& e) {
  // Fork the receiver before any thread exists (the probe starts a connector thread).
  e.statsd_path = "/tmp/shmon-bench-statsd-" + std::to_string(::getpid()) + ".sock";
  e.statsd_socket = bind_statsd_socket(e.statsd_path);
  if (!e.statsd_socket || !e.statsd_counts.ok()) {
    std::fprintf(stderr, "bench: cannot bind %s\n", e.statsd_path.c_str());
    return false;
  }
  e.statsd_receiver = start_statsd_receiver(e.statsd_socket.get(), &*e.statsd_counts);
  if (!e.statsd.open(e.statsd_path)) {
    std::fprintf(stderr, "bench: cannot connect to %s\n", e.statsd_path.c_str());
    return false;
  }
  if (!e.agent.start("bench-probe", {"--log-level", "warn"})) {
    std::fprintf(stderr, "bench: %s\n", e.agent.error().c_str());
    return false;
  }
  ProbeOptions options;
  options.name = "bench-probe";
  e.probe = std::make_unique<Probe>(options);
  if (!e.probe->wait_connected(5000)) {
    std::fprintf(stderr, "bench: probe not connected: %s\n", e.probe->last_error().c_str());
    return false;
  }
  e.counter = e.probe->counter("bench.counter");
  e.labelled_counter = e.probe->counter("bench.counter", {{"method", "GET"}, {"code", "200"}});
  e.gauge = e.probe->gauge("bench.gauge");
  e.histogram = e.probe->histogram("bench.histogram", {}, "ns");
  e.event = e.probe->event_type("bench.event");
  e.event_metric = e.event.id();
  return true;
}

void tear_down(BenchEnv& e) {
  e.probe.reset();
  e.agent.stop();
  if (e.statsd_receiver > 0) {
    e.statsd.send_stop();
    wait_child(e.statsd_receiver, 3000);
  }
  ::unlink(e.statsd_path.c_str());
}

}  // namespace
}  // namespace shmon::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  auto& e = shmon::bench::env();
  if (!shmon::bench::set_up(e)) {
    shmon::bench::tear_down(e);
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  shmon::bench::tear_down(e);
  benchmark::Shutdown();
  return 0;
}
