// SPDX-License-Identifier: Apache-2.0
// labelled: publishes labelled series of every labelled kind (docs/PROMETHEUS.md, "Labels"),
// tries one registration with a reserved label (refused and counted), then flushes, says "READY"
// and holds or exits by --variant. Values per client (the tests check them):
//   counter   http.requests {method=GET,code=200}   10
//   counter   http.requests {method=POST,code=500}  3
//   counter   http.requests (no labels)             1
//   gauge     queue.depth {queue=a}                 2.5
//   histogram latency_us (us) {op=read} bounds 10,100  records 5, 50
//   refused   http.requests {le=1}                   label_sets_refused 1
#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_labelled(const Args& args) {
  Probe probe(probe_options(args));
  if (!await_attach(probe, args)) return 1;
  probe.counter("http.requests", {{"method", "GET"}, {"code", "200"}}).add(10);
  probe.counter("http.requests", {{"code", "500"}, {"method", "POST"}}).add(3);
  probe.counter("http.requests").add(1);
  probe.gauge("queue.depth", {{"queue", "a"}}).set(2.5);
  const std::int64_t bounds[] = {10, 100};
  Histogram h = probe.histogram("latency_us", {{"op", "read"}}, bounds, "us");
  h.record(5);
  h.record(50);
  if (probe.counter("http.requests", {{"le", "1"}}).registered()) {
    say("a reserved label was accepted");
    return 1;
  }
  return flush_then_hold_or_exit(probe, args);
}

}  // namespace shmon::testclient
