// SPDX-License-Identifier: Apache-2.0
// fork-burst: the parent counts 150 on "forked_burst", then forks 200 children that each add 73
// and _exit at once, without any call (issue 11: such children were not counted). The parent
// waits for them, flushes and exits: the agent must end with exactly 150 + 200 * 73 = 14750.
// open-burst: the parent has no probe; each of its 100 children opens one, adds 11 to
// "opened_burst" and _exits at once, before its connector thread could attach it (issue 19:
// such processes were not counted). The agent must end with exactly 100 * 11 = 1100.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

namespace {

// Forks `n` children that each run `child` and _exit(0) at once, and waits for them all.
// Returns how many failed (a fork that failed counts as every child not forked).
template <class Child>
int burst(int n, Child child) {
  std::vector<pid_t> children;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid == 0) {
      child();
      ::_exit(0);
    }
    children.push_back(pid);
  }
  int failed = n - int(children.size());
  for (pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    failed += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
  }
  return failed;
}

}  // namespace

int run_fork_burst(const Args& args) {
  constexpr int kChildren = 200;
  ProbeOptions options = probe_options(args);
  Probe probe(options);
  Counter counter = probe.counter("forked_burst");
  counter.add(150);
  if (!probe.wait_connected(10000) || probe.flush().status != CallStatus::kOk) {
    say("PARENT failed " + probe.last_error());
    return 1;
  }
  const int failed = burst(kChildren, [&] { counter.add(73); });
  const bool flushed = probe.flush().status == CallStatus::kOk;
  say("DONE children=" + std::to_string(kChildren) + " failed=" + std::to_string(failed) +
      " parent_flush=" + (flushed ? "ok" : "failed"));
  return failed == 0 && flushed ? 0 : 1;
}

int run_open_burst(const Args& args) {
  constexpr int kChildren = 100;
  const ProbeOptions options = probe_options(args);
  const int failed = burst(kChildren, [&] {
    // Never destroyed: the child _exits at once, as a crashing worker would.
    (new Probe(options))->counter("opened_burst").add(11);
  });
  say("DONE children=" + std::to_string(kChildren) + " failed=" + std::to_string(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace shmon::testclient
