// SPDX-License-Identifier: Apache-2.0
// Uses only the installed public API: attaches to the running agent, updates every metric kind,
// emits events, flushes, and checks what the agent reports back. Exit 0 on success.
#include <cstdio>
#include <shmon/probe.hpp>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer INSTANCE NAME\n");
    return 2;
  }
  shmon::ProbeOptions options;
  options.instance = argv[1];
  options.name = argv[2];
  shmon::Probe probe(options);
  if (!probe.wait_connected(10'000)) {
    std::fprintf(stderr, "consumer: not connected: %s\n", probe.last_error().c_str());
    return 1;
  }
  auto requests = probe.counter("consumer_requests", "requests");
  auto depth = probe.gauge("consumer_depth");
  const std::int64_t bounds[] = {10, 100, 1000};
  auto latency = probe.histogram("consumer_latency", bounds, "us");
  auto done = probe.event_type("consumer_done");
  requests.add(41);
  requests.add();
  depth.set(2.5);
  latency.record(50);
  const bool emitted = probe.emit(done, shmon::EventLevel::kInfo, "done") &&
                       probe.emit_bytes(done, shmon::EventLevel::kWarn, {});
  const shmon::FlushResult flush = probe.flush();
  if (!emitted || flush.status != shmon::CallStatus::kOk ||
      flush.events_received != flush.events_written || flush.events_written != 2) {
    std::fprintf(stderr, "consumer: flush %s, %llu of %llu events\n",
                 shmon::to_string(flush.status),
                 static_cast<unsigned long long>(flush.events_received),
                 static_cast<unsigned long long>(flush.events_written));
    return 1;
  }
  const shmon::QueryResult metrics = probe.query(shmon::QueryKind::kMetrics, "consumer_requests");
  if (metrics.status != shmon::CallStatus::kOk ||
      metrics.json.find("\"value\":42") == std::string::npos) {
    std::fprintf(stderr, "consumer: unexpected metrics answer: %s\n", metrics.json.c_str());
    return 1;
  }
  const shmon::PingResult ping = probe.ping();
  if (ping.status != shmon::CallStatus::kOk || !probe.poll() || !probe.connected() ||
      probe.instance() != argv[1] || probe.name() != argv[2]) {
    std::fprintf(stderr, "consumer: ping %s or identity wrong\n", shmon::to_string(ping.status));
    return 1;
  }
  // Every declared function links (to_string(EventLevel) was once declared but not exported).
  std::printf("consumer: ok (%s, %s, %s, %s, slot %u, %llu calls)\n",
              shmon::to_string(shmon::EventLevel::kWarn), shmon::to_string(shmon::ClientKind::kApp),
              shmon::to_string(probe.state()), shmon::to_string(shmon::CallStatus::kOk),
              probe.slot(), static_cast<unsigned long long>(probe.stats().calls));
  return 0;
}
