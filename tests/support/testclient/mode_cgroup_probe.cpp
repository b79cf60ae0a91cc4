// SPDX-License-Identifier: Apache-2.0
// cgroup-probe: moves itself into the memory cgroup directory given as --variant, then starts a
// real probe that asks for a data region bigger than the cgroup allows (16 shards of 32768-event
// rings, about 32 MiB). The probe must neither get the process OOM-killed nor stop working: it
// prints LAST_ERROR <last_error()>, counts 1000 on "cgroup_hits", says CONNECTED or LOCAL, and
// exits 0 once the count is flushed (or immediately when it stayed local). After the
// flush it prints CONNECTED_LAST_ERROR <last_error()>: the reduction is still reported then.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

int run_cgroup_probe(const Args& args) {
  const std::string procs = args.variant + "/cgroup.procs";
  std::FILE* f = std::fopen(procs.c_str(), "we");
  if (f == nullptr || std::fprintf(f, "%d\n", int(::getpid())) < 0 || std::fclose(f) != 0) {
    say("ERROR cannot join " + procs);
    return 1;
  }
  say("JOINED");
  ProbeOptions options = probe_options(args);
  options.params.shard_count = 16;
  options.params.ring_capacity = 32768;
  Probe probe(options);
  say("LAST_ERROR " + probe.last_error());
  probe.counter("cgroup_hits").add(1000);
  if (!probe.wait_connected(10000)) {
    say("LOCAL " + probe.last_error());
    return 0;
  }
  say("CONNECTED");
  const FlushResult flushed = probe.flush();
  say(std::string("FLUSH ") + to_string(flushed.status));
  say("CONNECTED_LAST_ERROR " + probe.last_error());  // the attach has completed by now
  return flushed.status == CallStatus::kOk ? 0 : 1;
}

}  // namespace shmon::testclient
