// SPDX-License-Identifier: Apache-2.0
// Control calls: ping round trips through the seed handshake with the agent idle, with the agent
// busy draining a producer, and with 4 clients contending for the client mutex; the unix stream
// socket echo between two processes is the baseline.
#include <signal.h>

#include <algorithm>
#include <string>

#include "agent_process.hpp"
#include "children.hpp"
#include "driver.hpp"
#include "echo.hpp"
#include "percentiles.hpp"
#include "proc_stats.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::bench {
namespace {

constexpr std::uint32_t kMaxPingers = 4;
constexpr std::uint32_t kMaxSamples = 50'000;
constexpr std::uint32_t kWarmup = 500;

struct PingShared {
  Gate gate;
  std::atomic<std::uint32_t> stop;
  std::atomic<std::uint64_t> busy_events;  // events the busy producer emitted
  std::uint64_t calls[kMaxPingers];
  std::uint64_t failures[kMaxPingers];
  std::uint64_t lock_hist[kMaxPingers][kWaitHistBuckets];
  std::uint64_t lock_wait_total_ns[kMaxPingers];
  std::uint64_t lock_wait_max_ns[kMaxPingers];
  std::uint32_t sample_count[kMaxPingers];
  std::uint64_t samples[kMaxPingers][kMaxSamples];
};

// Pings `count` times (count == 0: until `ms` elapsed after the gate), recording each round
// trip as the caller sees it and the lock-wait histogram delta.
int pinger(PingShared* s, std::uint32_t index, std::uint32_t count, std::uint32_t ms) {
  ProbeOptions options;
  options.name = "pinger-" + std::to_string(index);
  Probe probe(options);
  if (!probe.wait_connected(5000)) return 2;
  for (std::uint32_t i = 0; i < kWarmup; ++i) probe.ping();
  const ClientStatsSnapshot before = probe.stats();
  if (!s->gate.arrive_and_wait(60'000)) return 3;
  const std::uint64_t end = monotonic_ns() + std::uint64_t(ms) * 1'000'000u;
  for (std::uint32_t i = 0; count == 0 ? monotonic_ns() < end : i < count; ++i) {
    const std::uint64_t t0 = monotonic_ns();
    const PingResult r = probe.ping();
    const std::uint64_t t1 = monotonic_ns();
    if (r.status != CallStatus::kOk) {
      ++s->failures[index];
      continue;
    }
    ++s->calls[index];
    if (s->sample_count[index] < kMaxSamples) s->samples[index][s->sample_count[index]++] = t1 - t0;
  }
  const ClientStatsSnapshot after = probe.stats();
  for (std::size_t b = 0; b < kWaitHistBuckets; ++b) {
    s->lock_hist[index][b] = after.lock_wait_hist[b] - before.lock_wait_hist[b];
  }
  s->lock_wait_total_ns[index] = after.lock_wait_total_ns - before.lock_wait_total_ns;
  s->lock_wait_max_ns[index] = after.lock_wait_max_ns;
  return 0;
}

// Keeps the agent's drain busy: emits as fast as it can (wait policy) until told to stop.
int busy_producer(PingShared* s) {
  ProbeOptions options;
  options.name = "busy-producer";
  options.overflow = OverflowPolicy::kWait;
  Probe probe(options);
  if (!probe.wait_connected(5000)) return 2;
  const EventType type = probe.event_type("bench.busy");
  std::uint64_t n = 0;
  while (s->stop.load(std::memory_order_relaxed) == 0) {
    for (int i = 0; i < 1024; ++i) probe.emit(type, EventLevel::kInfo, "request done");
    n += 1024;
    s->busy_events.store(n, std::memory_order_relaxed);
  }
  return 0;
}

// One ping scenario with its own agent. `pingers` clients; `busy` adds a producer.
Json ping_scenario(const DriverConfig& config, std::uint32_t pingers, bool busy) {
  SharedBlock<PingShared> s;
  AgentProcess agent;
  if (!s.ok() || !agent.start("bench-ping", {"--log-level", "warn"})) {
    return Json{{"error", "cannot start agent: " + agent.error()}};
  }
  ChildGroup pinger_group, producer_group;
  const std::uint32_t count = pingers == 1 ? config.pings : 0;
  for (std::uint32_t i = 0; i < pingers; ++i) {
    pinger_group.add(spawn([&, i] { return pinger(&*s, i, count, config.contend_ms); }));
  }
  if (busy) producer_group.add(spawn([&] { return busy_producer(&*s); }));
  if (!s->gate.wait_ready(pingers, 30'000)) return Json{{"error", "pingers did not connect"}};
  if (busy) {  // let the producer reach full speed first
    const std::uint64_t deadline = deadline_after_ms(5000);
    while (s->busy_events.load() < 1'000'000 && monotonic_ns() < deadline) ::usleep(1000);
  }
  const std::uint64_t t0 = monotonic_ns();
  const std::uint64_t e0 = s->busy_events.load();
  const std::int64_t cpu0 = cpu_time_ns(agent.pid());
  s->gate.open.store(1, std::memory_order_release);
  const int ok = pinger_group.wait_all(config.child_timeout_ms);
  const std::uint64_t t1 = monotonic_ns();
  const std::uint64_t e1 = s->busy_events.load();
  const std::int64_t cpu1 = cpu_time_ns(agent.pid());
  s->stop.store(1);
  producer_group.wait_all(10'000);

  std::vector<std::uint64_t> all;
  std::uint64_t hist[kWaitHistBuckets] = {};
  std::vector<double> shares;
  Json per_client = Json::array();
  std::uint64_t failures = 0;
  std::uint64_t wait_total = 0, wait_max = 0, calls = 0;
  for (std::uint32_t i = 0; i < pingers; ++i) {
    all.insert(all.end(), s->samples[i], s->samples[i] + s->sample_count[i]);
    for (std::size_t b = 0; b < kWaitHistBuckets; ++b) hist[b] += s->lock_hist[i][b];
    shares.push_back(double(s->calls[i]));
    per_client.push_back(s->calls[i]);
    failures += s->failures[i];
    wait_total += s->lock_wait_total_ns[i];
    wait_max = std::max(wait_max, s->lock_wait_max_ns[i]);
    calls += s->calls[i];
  }
  Json j = latency_summary(std::move(all));
  j["clients"] = pingers;
  j["clients_ok"] = ok;
  j["failures"] = failures;
  j["seconds"] = double(t1 - t0) / 1e9;
  j["agent_cpu_cores"] = double(cpu1 - cpu0) / double(t1 - t0);
  if (busy) j["busy_events_per_s"] = double(e1 - e0) / (double(t1 - t0) / 1e9);
  if (pingers > 1) {
    j["calls_per_client"] = per_client;
    j["jain_fairness"] = jain_index(shares);
    const auto [mn, mx] = std::minmax_element(shares.begin(), shares.end());
    j["min_max_ratio"] = *mx > 0 ? *mn / *mx : 0;
    j["mutex_wait_p50_ns"] = log2_histogram_quantile(hist, 0.50);
    j["mutex_wait_p99_ns"] = log2_histogram_quantile(hist, 0.99);
    j["mutex_wait_mean_ns"] = calls ? double(wait_total) / double(calls) : 0;
    j["mutex_wait_max_ns"] = wait_max;
  }
  return j;
}

}  // namespace

Json run_ping(const DriverConfig& config) {
  Json j;
  {
    EchoPair echo;
    std::vector<std::uint64_t> samples;
    if (echo.start()) {
      for (std::uint32_t i = 0; i < kWarmup; ++i) echo.round_trip();
      for (std::uint32_t i = 0; i < config.pings; ++i) samples.push_back(echo.round_trip());
    }
    j["unix_echo"] = latency_summary(samples);
  }
  j["idle"] = ping_scenario(config, 1, false);
  j["busy"] = ping_scenario(config, 1, true);
  j["contended"] = ping_scenario(config, 4, false);
  return j;
}

}  // namespace shmon::bench
