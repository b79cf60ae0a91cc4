// big-region: an honest client with the largest data region the agent accepts, every metric slot
// used: 64 shards, 3840 counters and 256 histograms of 512 buckets (about 70 MB; reading all of
// its values touches about 8.7 million cells). It adds 1 to every counter and records 1 in every
// histogram, flushes, prints READY, then holds on until stdin reaches EOF (exit 0).
#include <cstdio>
#include <string>
#include <vector>

#include "output.hpp"
#include "shmon/layout.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_big_region(const Args& args) {
  using L = DataLimits;
  ProbeOptions options = probe_options(args);
  options.params.metric_capacity = L::kMaxMetrics;
  options.params.shard_count = L::kMaxShards;
  options.params.histogram_capacity = L::kMaxHistograms;
  options.params.histogram_buckets = L::kMaxBuckets;
  options.params.ring_capacity = 64;  // rings are drained, not read by queries
  Probe probe(options);
  char name[32];
  for (std::uint32_t i = 0; i < L::kMaxHistograms; ++i) {
    std::snprintf(name, sizeof(name), "big_h%03u", i);
    probe.histogram(name).record(1);
  }
  for (std::uint32_t i = 0; i < L::kMaxMetrics - L::kMaxHistograms; ++i) {
    std::snprintf(name, sizeof(name), "big_c%04u", i);
    probe.counter(name).add(1);
  }
  if (!probe.last_error().empty()) {
    say("ERROR " + probe.last_error());
    return 1;
  }
  if (!probe.wait_connected(args.wait_ms)) {
    say("ERROR not connected: " + probe.last_error());
    return 1;
  }
  const FlushResult flushed = probe.flush();
  if (flushed.status != CallStatus::kOk) {
    say(std::string("ERROR flush ") + to_string(flushed.status));
    return 1;
  }
  say("READY");
  char line[64];
  while (std::fgets(line, sizeof line, stdin)) {
  }
  return 0;
}

}  // namespace shmon::testclient
