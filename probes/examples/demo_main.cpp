// SPDX-License-Identifier: Apache-2.0
// shmon-demo: a small pretend service that keeps the agent's views busy. Counters (requests,
// errors, and responses labelled by route and status code), gauges (queue_depth, in_flight), a
// latency histogram (latency_us) and events (info "request served", warn "slow request", error
// "request failed") at --rate requests per second, plus a ping every few seconds. Runs until
// SIGINT/SIGTERM, --duration-s or the `stop` command. Commands (shmonctl send demo ...): echo
// (replies with its payload), stats (a one-line summary) and stop (ends the demo with exit 0).
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "demo_traffic.hpp"
#include "example_support.hpp"
#include "shmon/probe.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kSlowUs = 20000;   // a warning above this
constexpr std::uint64_t kInfoEvery = 20;  // one info event per this many served requests
constexpr double kWorkers = 8;            // pretend worker pool: the rest waits in the queue
constexpr auto kPingEvery = std::chrono::seconds(5);
constexpr auto kMaxSleep = std::chrono::milliseconds(20);

constexpr const char* kRoutes[] = {"/api", "/login", "/static"};

struct Instruments {
  shmon::Counter requests, errors;
  shmon::Gauge queue_depth, in_flight;
  shmon::Histogram latency_us;
  shmon::EventType served, slow, failed;
  shmon::Counter responses[3][2] = {};  // [route][ok, failed]: labels resolved once, at start
};

Instruments register_all(shmon::Probe& p) {
  Instruments m{p.counter("requests"),
                p.counter("errors"),
                p.gauge("queue_depth"),
                p.gauge("in_flight"),
                p.histogram("latency_us", {}, "us"),
                p.event_type("request"),
                p.event_type("slow_request"),
                p.event_type("request_error")};
  for (int route = 0; route < 3; ++route) {
    for (int failed = 0; failed < 2; ++failed) {
      m.responses[route][failed] =
          p.counter("responses", {{"route", kRoutes[route]}, {"code", failed ? "503" : "200"}});
    }
  }
  return m;
}

// Returns true when the request failed.
bool serve_one(shmon::Probe& probe, Instruments& m, demo::Traffic& traffic, std::uint64_t index) {
  const demo::Request r = traffic.next();
  char text[48];
  m.requests.add();
  m.responses[index % 3][r.failed ? 1 : 0].add();
  m.latency_us.record(r.latency_us);
  if (r.failed) {
    m.errors.add();
    std::snprintf(text, sizeof text, "request failed: upstream 503");
    probe.emit(m.failed, shmon::EventLevel::kError, text);
  } else if (r.latency_us > kSlowUs) {
    std::snprintf(text, sizeof text, "slow request: %lld us", static_cast<long long>(r.latency_us));
    probe.emit(m.slow, shmon::EventLevel::kWarn, text);
  } else if (index % kInfoEvery == 0) {
    std::snprintf(text, sizeof text, "request served in %lld us",
                  static_cast<long long>(r.latency_us));
    probe.emit(m.served, shmon::EventLevel::kInfo, text);
  }
  return r.failed;
}

// The demo's commands. The handlers run on the probe's connector thread: they read atomics the
// main loop writes and tell it to stop through a flag, never more.
struct Commands {
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<bool> stop{false};
  Clock::time_point start = Clock::now();

  void install(shmon::Probe& probe) {
    probe.on_command("echo", "replies with its payload", [](std::string_view payload) {
      return shmon::CommandResult{shmon::CommandStatus::kOk, std::string(payload)};
    });
    probe.on_command(
        "stats", "a one-line summary: uptime, requests served, errors", [this](std::string_view) {
          const double up = std::chrono::duration<double>(Clock::now() - start).count();
          char text[128];
          std::snprintf(text, sizeof text, "uptime_s=%.1f served=%llu errors=%llu\n", up,
                        static_cast<unsigned long long>(served.load()),
                        static_cast<unsigned long long>(errors.load()));
          return shmon::CommandResult{shmon::CommandStatus::kOk, text};
        });
    probe.on_stop([this] { stop.store(true); });
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string instance, name = "demo";
  double rate = 200;
  double duration_s = 0;
  CLI::App app{"A pretend service that feeds a shmon agent.", "shmon-demo"};
  app.add_option("--instance", instance, "agent instance (default: $SHMON_INSTANCE or default)");
  app.add_option("--name", name, "client name (default demo)");
  app.add_option("--rate", rate, "requests per second (default 200)")->check(CLI::Range(0.1, 1e6));
  app.add_option("--duration-s", duration_s, "stop after this many seconds (default: never)")
      ->check(CLI::NonNegativeNumber);
  app.set_version_flag("--version", std::string("shmon-demo ") + SHMON_EXAMPLES_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "shmon-demo: " << e.what() << " (see --help)\n";
    return example::kExitUsage;
  }
  // The probe would fall back to the default instance: a typo is better refused here.
  if (auto p = instance.empty() ? "" : shmon::name_problem(shmon::NameKind::kInstance, instance);
      !p.empty()) {
    std::cerr << "shmon-demo: --instance: " << p << '\n';
    return example::kExitUsage;
  }
  if (auto p = shmon::name_problem(shmon::NameKind::kClient, name); !p.empty()) {
    std::cerr << "shmon-demo: --name: " << p << '\n';
    return example::kExitUsage;
  }
  example::install_stop_handlers();

  shmon::ProbeOptions options;
  options.instance = instance;
  options.name = name;
  shmon::Probe probe(options);
  Instruments m = register_all(probe);
  Commands commands;
  commands.install(probe);
  demo::Traffic traffic(std::hash<std::string>{}(name) ^ std::uint64_t(::getpid()));

  const auto start = Clock::now();
  auto next_ping = start + kPingEvery;
  double due = 0;  // requests owed so far at the current (varying) rate
  std::uint64_t served = 0;
  auto last = start;
  while (!example::stop_requested() && !commands.stop.load()) {
    const auto now = Clock::now();
    const double t = std::chrono::duration<double>(now - start).count();
    if (duration_s > 0 && t >= duration_s) break;
    const double load = demo::Traffic::load(t);
    due += std::chrono::duration<double>(now - last).count() * rate * load;
    last = now;
    for (; served < std::uint64_t(due); ++served) {
      if (serve_one(probe, m, traffic, served)) commands.errors.fetch_add(1);
    }
    commands.served.store(served);
    // Little's law with a ~1 ms mean latency, a little noise from the served count.
    const double in_flight = rate * load * 0.0012 + double(served % 3);
    m.in_flight.set(in_flight);
    m.queue_depth.set(in_flight > kWorkers ? in_flight - kWorkers : 0);
    if (now >= next_ping) {
      probe.ping();  // bounded; a no-op answer when no agent is attached
      next_ping = now + kPingEvery;
    }
    const auto until_next =
        std::chrono::duration<double>((1.0 + double(served) - due) / (rate * load));
    std::this_thread::sleep_for(std::min<Clock::duration>(
        std::chrono::duration_cast<Clock::duration>(until_next), kMaxSleep));
  }
  return example::kExitOk;
}
