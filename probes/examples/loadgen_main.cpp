// SPDX-License-Identifier: Apache-2.0
// shmon-loadgen: adds exactly K to a counter from T threads, emits N events, then waits until
// the agent itself reports K for this client and has drained every event written. Prints one
// machine-friendly summary line; exit 0 only when acknowledged (1 otherwise, 2 on usage errors).
#include <poll.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "example_support.hpp"
#include "loadgen_ack.hpp"
#include "loadgen_work.hpp"

namespace {

struct Options {
  std::string instance;
  std::string name;
  std::uint32_t threads = 1;
  std::string counter;
  std::uint64_t increments = 0;
  std::uint64_t events = 0;
  std::uint32_t payload = 16;
  std::string policy = "drop";
  std::uint32_t wait_ms = 30000;
  std::uint32_t overflow_wait_ms = 1000;
  std::string event_name;
  std::string histogram;
  std::string gauge;
  bool hold_open = false;
};

std::optional<std::string> problem_of(shmon::NameKind kind, const std::string& name) {
  std::string problem = shmon::name_problem(kind, name);
  if (problem.empty()) return std::nullopt;
  return problem;
}

// Every name that reaches the probe, checked up front so a typo is a usage error, not a handle
// that silently ignores updates.
std::optional<std::string> check_names(const Options& o) {
  if (!o.instance.empty()) {
    if (auto p = problem_of(shmon::NameKind::kInstance, o.instance)) return "--instance: " + *p;
  }
  if (!o.name.empty()) {
    if (auto p = problem_of(shmon::NameKind::kClient, o.name)) return "--name: " + *p;
  }
  const std::pair<const char*, const std::string*> metrics[] = {
      {"--counter", &o.counter},
      {"--event-name (default: COUNTER.event)", &o.event_name},
      {"--histogram", &o.histogram},
      {"--gauge", &o.gauge}};
  for (const auto& [flag, value] : metrics) {
    if (value->empty()) continue;
    if (auto p = problem_of(shmon::NameKind::kMetric, *value)) return std::string(flag) + ": " + *p;
  }
  return std::nullopt;
}

// Stays attached until stdin reaches EOF or SIGINT/SIGTERM arrives.
void hold_open() {
  example::install_stop_handlers();
  char buffer[256];
  while (!example::stop_requested()) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    if ((p.revents & POLLIN) != 0 && ::read(STDIN_FILENO, buffer, sizeof buffer) > 0) continue;
    return;  // EOF, hang-up or error: stdin is closed
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Adds a known total to a counter and waits until the agent acknowledges it.",
               "shmon-loadgen"};
  app.add_option("--instance", o.instance, "agent instance (default: $SHMON_INSTANCE or default)");
  app.add_option("--name", o.name, "client name (default: the program name)");
  app.add_option("--threads", o.threads, "writer threads")->check(CLI::Range(1u, 1024u));
  app.add_option("--counter", o.counter, "counter metric to add to")->required();
  app.add_option("--increments", o.increments, "total added by the process, split over threads")
      ->required();
  app.add_option("--events", o.events, "total events emitted, split over threads");
  app.add_option("--payload", o.payload, "text bytes per event (over 40 are dropped and counted)")
      ->check(CLI::Range(0u, 4096u));
  app.add_option("--policy", o.policy, "ring overflow: drop (count) or wait (for space)")
      ->check(CLI::IsMember({"drop", "wait"}));
  app.add_option("--wait-ms", o.wait_ms, "how long to wait for the acknowledgement");
  app.add_option("--overflow-wait-ms", o.overflow_wait_ms,
                 "with --policy wait: how long an event waits for ring space before it is dropped");
  app.add_option("--event-name", o.event_name, "event type name (default: COUNTER.event)");
  app.add_option("--histogram", o.histogram, "histogram of each 1024-increment batch's duration");
  app.add_option("--gauge", o.gauge, "gauge of the last batch's increments per second");
  app.add_flag("--hold-open", o.hold_open,
               "after acknowledgement, stay attached until stdin closes");
  app.set_version_flag("--version", std::string("shmon-loadgen ") + SHMON_EXAMPLES_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "shmon-loadgen: " << e.what() << " (see --help)\n";
    return example::kExitUsage;
  }
  if (o.event_name.empty()) o.event_name = o.counter + ".event";
  if (auto problem = check_names(o)) {
    std::cerr << "shmon-loadgen: " << *problem << '\n';
    return example::kExitUsage;
  }

  shmon::ProbeOptions po;
  po.instance = o.instance;
  po.name = o.name;
  if (o.policy == "wait") {
    po.overflow = shmon::OverflowPolicy::kWait;
    po.overflow_wait_ms = o.overflow_wait_ms;
  }
  shmon::Probe probe(po);

  loadgen::WorkHandles handles{probe.counter(o.counter), probe.event_type(o.event_name), {}, {}};
  if (!o.histogram.empty()) handles.batch_ns = probe.histogram(o.histogram, {}, "ns");
  if (!o.gauge.empty()) handles.batch_rate = probe.gauge(o.gauge, "1/s");
  loadgen::run_workers(probe, {o.threads, o.increments, o.events, o.payload}, handles);

  const loadgen::AckOutcome ack =
      loadgen::wait_for_ack(probe, {o.counter, o.increments, o.events}, o.wait_ms);
  const shmon::ClientStatsSnapshot stats = probe.stats();
  std::cout << "loadgen " << probe.name() << ": counter=" << o.counter
            << " submitted=" << o.increments << " acknowledged=" << ack.reported
            << " events=" << o.events << " delivered=" << ack.delivered
            << " dropped=" << loadgen::dropped_events(stats)
            << " lock_wait_max_ns=" << stats.lock_wait_max_ns
            << " timeouts=" << stats.lock_timeouts + stats.done_timeouts
            << " reconnects=" << stats.reconnects
            << " status=" << (ack.acknowledged ? "ok" : "unacknowledged") << std::endl;
  if (!ack.acknowledged) {
    std::cerr << "shmon-loadgen: not acknowledged within " << o.wait_ms << " ms: " << ack.reason
              << '\n';
    return example::kExitFailure;
  }
  if (o.hold_open) hold_open();
  return example::kExitOk;
}
