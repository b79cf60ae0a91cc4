// SPDX-License-Identifier: Apache-2.0
// mass-detach: holds --variant N probes (default 32) attached in this one process until stdin
// closes, then destroys them all at once (each says bye), the way a service with many probes, or
// many such processes together, leaves. Says "READY" when all are attached and "LEFT <ms>" with
// the time the detach took (for the log; the tests assert the agent's counters).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "output.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_mass_detach(const Args& args) {
  const unsigned long count =
      args.variant.empty() ? 32 : std::strtoul(args.variant.c_str(), nullptr, 10);
  if (count == 0 || count > 1024) {
    say("BAD --variant (a probe count 1..1024)");
    return 2;
  }
  std::vector<std::unique_ptr<Probe>> probes;
  for (unsigned long i = 0; i < count; ++i) {
    ProbeOptions options = probe_options(args);
    options.name = args.name + "-" + std::to_string(i);
    probes.push_back(std::make_unique<Probe>(options));
  }
  for (auto& p : probes) {
    if (!await_attach(*p, args)) return 1;
    p->counter("mass_detach.attached").add(1);
    if (p->flush().status != CallStatus::kOk) {
      say("FLUSH failed");
      return 1;
    }
  }
  say("READY");
  char line[256];
  while (std::fgets(line, sizeof line, stdin)) {
  }
  const std::uint64_t start = monotonic_ns();
  probes.clear();
  say("LEFT " + std::to_string((monotonic_ns() - start) / 1'000'000));
  return 0;
}

}  // namespace shmon::testclient
