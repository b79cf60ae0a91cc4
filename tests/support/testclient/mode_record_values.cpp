// SPDX-License-Identifier: Apache-2.0
// record-values: an honest app with histogram "latency" (unit us, bounds 10, 100, 1000, 10000)
// that records what stdin asks: each line "VALUE COUNT" records VALUE COUNT times, flushes and
// prints "RECORDED <total so far>". Returns at stdin EOF. The tests choose the values, so the
// quantiles they expect are exact.
#include <cstdint>
#include <cstdio>
#include <string>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_record_values(const Args& args) {
  Probe probe(probe_options(args));
  if (!await_attach(probe, args)) return 1;
  const std::int64_t bounds[] = {10, 100, 1000, 10000};
  Histogram latency = probe.histogram("latency", bounds, "us");
  std::uint64_t total = 0;
  char line[256];
  while (std::fgets(line, sizeof line, stdin)) {
    long long value = 0;
    unsigned long long count = 0;
    if (std::sscanf(line, "%lld %llu", &value, &count) != 2) {
      say("BAD LINE");
      return 2;
    }
    for (unsigned long long i = 0; i < count; ++i) latency.record(value);
    total += count;
    const FlushResult flushed = probe.flush();
    if (flushed.status != CallStatus::kOk) {
      say(std::string("FLUSH ") + to_string(flushed.status));
      return 1;
    }
    say("RECORDED " + std::to_string(total));
  }
  return 0;
}

}  // namespace shmon::testclient
