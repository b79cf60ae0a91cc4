// SPDX-License-Identifier: Apache-2.0
// series-flood (issue 17, the series bound): publishes COUNT counter series and flushes, then
// says "READY" and holds until stdin EOF or leaves. --variant is COUNT[,FLAG...]:
//   COUNT > 1     series "flood{id="<--name>-<i>"}" for i < COUNT (a label flood: every series
//                 is new to the agent as long as the client names differ)
//   COUNT = 1     one unlabelled series (a well-behaved app's new metric)
//   metric=NAME   the metric name instead of "flood"
//   value=N       what each series counts (default 1; 0: a flood that carries nothing)
//   exit          leaves after READY instead of holding
// The probe's own bounds (metric table, label sets) are raised to COUNT so that only the agent
// decides what is refused (a region holds at most 4096 metrics: more takes several clients).
#include <algorithm>
#include <cstdio>
#include <string>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_series_flood(const Args& args) {
  std::uint32_t count = 0;
  std::string metric = "flood";
  std::uint64_t value = 1;
  bool leave = false;
  std::size_t pos = 0;
  while (pos <= args.variant.size()) {
    const std::size_t comma = std::min(args.variant.find(',', pos), args.variant.size());
    const std::string part = args.variant.substr(pos, comma - pos);
    pos = comma + 1;
    if (part == "exit") {
      leave = true;
    } else if (part.rfind("metric=", 0) == 0) {
      metric = part.substr(7);
    } else if (part.rfind("value=", 0) == 0) {
      value = std::stoull(part.substr(6));
    } else if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos &&
               part.size() < 7) {
      count = std::uint32_t(std::stoul(part));
    } else {
      say("BAD variant " + args.variant);
      return 2;
    }
  }
  if (count == 0) {
    say("BAD variant " + args.variant + " (no COUNT)");
    return 2;
  }
  ProbeOptions options = probe_options(args);
  options.params.metric_capacity = std::min<std::uint32_t>(count + 16, 4096);  // kMaxMetrics
  options.max_label_sets_per_metric = count;
  options.max_labelled_series = count;
  Probe probe(options);
  if (!await_attach(probe, args)) return 1;
  std::uint32_t registered = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    Counter c = count == 1 ? probe.counter(metric)
                           : probe.counter(metric, {{"id", args.name + "-" + std::to_string(i)}});
    registered += c.registered() ? 1 : 0;
    if (value != 0) c.add(value);
  }
  const FlushResult flushed = probe.flush();
  if (flushed.status != CallStatus::kOk) {
    say(std::string("FLUSH failed ") + to_string(flushed.status));
    return 1;
  }
  say("READY registered=" + std::to_string(registered));
  if (!leave) {
    char line[256];
    while (std::fgets(line, sizeof line, stdin)) {
    }
  }
  return 0;
}

}  // namespace shmon::testclient
