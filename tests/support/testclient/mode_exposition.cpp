// SPDX-License-Identifier: Apache-2.0
// exposition-mix: publishes one metric of every kind, with names and units that exercise the
// Prometheus exposition (docs/PROMETHEUS.md), flushes, says "READY" and then, by --variant:
//   hold   waits for stdin EOF before leaving (a live client)
//   exit   leaves at once (a departed client)
// Values (the tests check them):
//   counter   http.requests-total                  1234
//   counter   bytes.sent (B)                       4096
//   counter   cache.hits                           2    (exported as cache_hits)
//   counter   cache_hits                           1    (collides with cache.hits: skipped)
//   counter   __hidden                             5    (reserved prefix: skipped)
//   gauge     queue.depth                          3.5
//   gauge     room.temperature (celsius)           21   (unit without a base-unit rule)
//   histogram latency_ns (ns) bounds 1e3,1e4,1e5,1e6  records 500, 5000, 50000, 2000000
//   event     job.done                             3 events: 2 info, 1 error
#include <cstdio>
#include <string>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_exposition_mix(const Args& args) {
  Probe probe(probe_options(args));
  if (!await_attach(probe, args)) return 1;
  probe.counter("http.requests-total").add(1234);
  probe.counter("bytes.sent", "B").add(4096);
  probe.counter("cache.hits").add(2);
  probe.counter("cache_hits").add(1);
  probe.counter("__hidden").add(5);
  probe.gauge("queue.depth").set(3.5);
  probe.gauge("room.temperature", "celsius").set(21);
  const std::int64_t bounds[] = {1000, 10000, 100000, 1000000};
  Histogram h = probe.histogram("latency_ns", bounds, "ns");
  for (std::int64_t v : {500, 5000, 50000, 2000000}) h.record(v);
  const EventType done = probe.event_type("job.done");
  for (int i = 0; i < 2; ++i) probe.emit(done, EventLevel::kInfo, "done");
  probe.emit(done, EventLevel::kError, "failed");
  return flush_then_hold_or_exit(probe, args);
}

}  // namespace shmon::testclient
