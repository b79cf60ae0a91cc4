// SPDX-License-Identifier: Apache-2.0
// fork-storm (issue 17, item 1): the parent adds 2,000 to "storm_total", then forks 1000
// children that are all alive at once: child i adds (i+1)*10, waits for the parent's "go" (the
// end of a pipe) and leaves; with --variant flush it flushes first, without it (--variant exit)
// it makes no call at all. The agent must end with exactly 2,000 + 10 * (1 + ... + 1000) =
// 5,007,000, whatever its table size. Small regions keep 1000 processes cheap; the region size
// plays no part in the hand-off. Prints "FORKED n" once every child exists (before the go), then
// "DONE children=1000 failed=F flush_failed=K"; exit 0 when every child exited 0 (a flush that
// failed is reported, not a failure: the count is what must be exact).
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

namespace {

constexpr int kChildren = 1000;
constexpr int kFlushFailed = 3;  // a child's exit code when its flush was not answered ok

}  // namespace

int run_fork_storm(const Args& args) {
  const bool flush = args.variant == "flush";
  if (!flush && args.variant != "exit" && !args.variant.empty()) {
    say("BAD variant " + args.variant);
    return 2;
  }
  ProbeOptions options = probe_options(args);
  options.params.metric_capacity = 16;
  options.params.shard_count = 2;
  options.params.histogram_capacity = 0;
  options.params.ring_capacity = 64;
  Probe probe(options);
  Counter counter = probe.counter("storm_total");
  counter.add(2000);
  if (!probe.wait_connected(10000) || probe.flush().status != CallStatus::kOk) {
    say("PARENT failed " + probe.last_error());
    return 1;
  }
  int go[2];
  if (::pipe(go) != 0) return 1;
  std::vector<pid_t> children;
  for (int i = 0; i < kChildren; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid == 0) {
      ::close(go[1]);
      counter.add(std::uint64_t(i + 1) * 10);
      char byte;
      while (::read(go[0], &byte, 1) < 0 && errno == EINTR) {
      }
      const bool ok = !flush || probe.flush().status == CallStatus::kOk;
      ::_exit(ok ? 0 : kFlushFailed);
    }
    children.push_back(pid);
  }
  say("FORKED " + std::to_string(children.size()));
  ::close(go[1]);  // go: every child's read returns end-of-file
  ::close(go[0]);
  int failed = kChildren - int(children.size());
  int flush_failed = 0;
  for (pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    flush_failed += code == kFlushFailed ? 1 : 0;
    failed += code == 0 || code == kFlushFailed ? 0 : 1;
  }
  say("DONE children=" + std::to_string(kChildren) + " failed=" + std::to_string(failed) +
      " flush_failed=" + std::to_string(flush_failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace shmon::testclient
