// SPDX-License-Identifier: Apache-2.0
// End to end: producers in their own processes, each emitting M events as fast as it can, all
// into one agent; then the same volume class through the two baselines. Time runs from the
// moment the gate opens to the moment the last producer knows its events were delivered.
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "agent_process.hpp"
#include "children.hpp"
#include "driver.hpp"
#include "probe_testing.hpp"
#include "proc_stats.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"
#include "statsd.hpp"

namespace shmon::bench {
namespace {

constexpr std::uint32_t kMaxProducers = 16;

struct ProducerResult {
  std::uint64_t attempted;
  std::uint64_t accepted;   // emit returned true / records accepted / lines sent
  std::uint64_t delivered;  // the agent's (or receiver's) count for this producer
  std::uint64_t dropped;    // the probe's own drop counters
  std::uint64_t end_ns;     // monotonic: delivery confirmed
  std::int32_t status;      // 0 = ran to the end
};

struct Shared {
  Gate gate;
  ProducerResult results[kMaxProducers];
};

SubmitRecord event_record(std::uint32_t metric) {
  SubmitRecord r{};
  r.op = std::uint32_t(SubmitOp::kEvent);
  r.metric = metric;
  r.level = std::uint16_t(EventLevel::kInfo);
  r.payload_kind = std::uint8_t(PayloadKind::kText);
  r.payload_size = 12;
  std::memcpy(r.payload, "request done", 12);
  return r;
}

// Probe producer: emits `count` events (wait policy), then flushes until everything is drained.
int probe_producer(Shared* s, std::uint32_t index, std::uint64_t count, bool seed) {
  ProducerResult& r = s->results[index];
  r.status = 1;
  ProbeOptions options;
  options.name = "producer-" + std::to_string(index);
  options.overflow = OverflowPolicy::kWait;
  options.overflow_wait_ms = 1000;
  Probe probe(options);
  if (!probe.wait_connected(5000)) return 2;
  const EventType type = probe.event_type("bench.e2e");
  SubmitRecord record = event_record(type.id());
  if (!s->gate.arrive_and_wait(60'000)) return 3;
  r.attempted = count;
  if (seed) {
    for (std::uint64_t i = 0; i < count; ++i) {
      record.timestamp_ns = realtime_ns();
      SubmitReply reply{};
      if (testing::submit(probe, {&record, 1}, &reply) == CallStatus::kOk)
        r.accepted += reply.accepted;
    }
    r.delivered = r.accepted;  // acknowledged by the agent
  } else {
    for (std::uint64_t i = 0; i < count; ++i) {
      r.accepted += probe.emit(type, EventLevel::kInfo, "request done") ? 1 : 0;
    }
    const std::uint64_t deadline = deadline_after_ms(20'000);
    FlushResult f{};
    do {
      f = probe.flush();
    } while ((f.status != CallStatus::kOk || f.events_received < f.events_written) &&
             monotonic_ns() < deadline);
    if (f.status != CallStatus::kOk) return 4;
    r.delivered = f.events_received;
  }
  r.end_ns = monotonic_ns();
  const ClientStatsSnapshot st = probe.stats();
  r.dropped = st.drops_ring_full + st.drops_payload_too_large + st.drops_not_connected +
              st.wait_policy_timeouts;
  r.status = 0;
  return 0;
}

int statsd_producer(Shared* s, std::uint32_t index, std::uint64_t count, const std::string& path) {
  ProducerResult& r = s->results[index];
  r.status = 1;
  StatsdSender sender;
  if (!sender.open(path)) return 2;
  if (!s->gate.arrive_and_wait(60'000)) return 3;
  r.attempted = count;
  for (std::uint64_t i = 0; i < count; ++i) r.accepted += sender.count("bench.e2e", 1) ? 1 : 0;
  r.end_ns = monotonic_ns();
  r.status = 0;
  return 0;
}

// Sums the producers' results into the JSON every e2e step reports.
Json summarize(const Shared& s, std::uint32_t n, std::uint64_t start_ns, std::uint64_t end_ns,
               std::uint64_t delivered_total) {
  Json j;
  std::uint64_t attempted = 0, accepted = 0, dropped = 0;
  int failed = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    attempted += s.results[i].attempted;
    accepted += s.results[i].accepted;
    dropped += s.results[i].dropped;
    failed += s.results[i].status != 0;
  }
  const double seconds = double(end_ns - start_ns) / 1e9;
  j["producers"] = n;
  j["producers_failed"] = failed;
  j["attempted"] = attempted;
  j["accepted"] = accepted;
  j["delivered"] = delivered_total;
  j["lost"] = attempted - std::min(attempted, delivered_total);
  j["probe_drops"] = dropped;
  j["seconds"] = seconds;
  j["events_per_s"] = seconds > 0 ? double(delivered_total) / seconds : 0;
  return j;
}

Json run_probe_e2e(const DriverConfig& config, bool seed) {
  const std::uint32_t n = std::min(config.producers, kMaxProducers);
  const std::uint64_t count = seed ? config.seed_records_per_producer : config.events_per_producer;
  SharedBlock<Shared> s;
  AgentProcess agent;
  if (!s.ok() || !agent.start(seed ? "bench-seed" : "bench-e2e", {"--log-level", "warn"})) {
    return Json{{"error", "cannot start agent: " + agent.error()}};
  }
  ChildGroup children;
  for (std::uint32_t i = 0; i < n; ++i) {
    children.add(spawn([&, i] { return probe_producer(&*s, i, count, seed); }));
  }
  if (!s->gate.wait_ready(n, 30'000)) return Json{{"error", "producers did not connect"}};
  const std::int64_t cpu0 = cpu_time_ns(agent.pid());
  const std::uint64_t start = monotonic_ns();
  s->gate.open.store(1, std::memory_order_release);
  children.wait_all(config.child_timeout_ms);
  const std::int64_t cpu1 = cpu_time_ns(agent.pid());
  std::uint64_t end = start, delivered = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    end = std::max(end, s->results[i].end_ns);
    delivered += s->results[i].delivered;
  }
  Json j = summarize(*s, n, start, end, delivered);
  j["events_per_producer"] = count;
  j["agent_cpu_cores"] = end > start ? double(cpu1 - cpu0) / double(end - start) : 0;
  return j;
}

}  // namespace

Json run_e2e(const DriverConfig& config) {
  return run_probe_e2e(config, false);
}
Json run_seed_e2e(const DriverConfig& config) {
  return run_probe_e2e(config, true);
}

Json run_statsd_e2e(const DriverConfig& config) {
  const std::uint32_t n = std::min(config.producers, kMaxProducers);
  SharedBlock<Shared> s;
  SharedBlock<StatsdCounts> counts;
  const std::string path = "/tmp/shmon-bench-statsd-e2e-" + std::to_string(::getpid()) + ".sock";
  UniqueFd sock = bind_statsd_socket(path);
  if (!s.ok() || !counts.ok() || !sock) return Json{{"error", "cannot bind " + path}};
  ChildGroup children;
  const pid_t receiver = start_statsd_receiver(sock.get(), &*counts);
  for (std::uint32_t i = 0; i < n; ++i) {
    children.add(
        spawn([&, i] { return statsd_producer(&*s, i, config.statsd_lines_per_producer, path); }));
  }
  Json j;
  if (s->gate.wait_ready(n, 30'000)) {
    const std::uint64_t start = monotonic_ns();
    s->gate.open.store(1, std::memory_order_release);
    children.wait_all(config.child_timeout_ms);
    StatsdSender stopper;
    if (stopper.open(path)) stopper.send_stop();
    wait_child(receiver, 30'000);
    const std::uint64_t end = monotonic_ns();  // the receiver has parsed every queued line
    j = summarize(*s, n, start, end, counts->lines.load());
    j["lines_per_producer"] = config.statsd_lines_per_producer;
    j["bad_lines"] = counts->bad_lines.load();
  } else {
    j["error"] = "senders did not start";
    ::kill(receiver, SIGKILL);
    wait_child(receiver, 1000);
  }
  ::unlink(path.c_str());
  return j;
}

}  // namespace shmon::bench
