// SPDX-License-Identifier: Apache-2.0
// fork: the parent counts 5 on "forked" and forks; the child counts 7 on the same handle. The
// child must attach as a client of its own (fresh region, new incarnation). Both print their
// slot; the child then waits for EOF on stdin (so the test can look at both while they are
// attached), the parent waits for the child and exits 0 when everything went as designed.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "output.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {
namespace {

constexpr std::uint64_t kDeadlineMs = 10000;

// Attaches (polling, since a forked child has no connector thread) and flushes; bounded.
bool connect_and_flush(Probe& probe) {
  const std::uint64_t deadline = deadline_after_ms(kDeadlineMs);
  while (monotonic_ns() < deadline) {
    probe.poll();
    if (probe.connected() && probe.flush().status == CallStatus::kOk) return true;
    usleep(5000);  // retry interval of a bounded poll loop, not a synchronization
  }
  return false;
}

void wait_stdin_eof() {
  char line[256];
  while (std::fgets(line, sizeof line, stdin)) {
  }
}

int child_main(Probe& probe, Counter& counter) {
  counter.add(7);
  if (!connect_and_flush(probe)) {
    say("CHILD failed " + probe.last_error());
    return 1;
  }
  say("CHILD slot=" + std::to_string(probe.slot()) + " pid=" + std::to_string(getpid()));
  wait_stdin_eof();
  return probe.connected() ? 0 : 1;
}

}  // namespace

int run_fork(const Args& args) {
  ProbeOptions options = probe_options(args);
  Probe probe(options);
  Counter counter = probe.counter("forked");
  counter.add(5);
  if (!probe.wait_connected(kDeadlineMs) || !connect_and_flush(probe)) {
    say("PARENT failed " + probe.last_error());
    return 1;
  }
  const std::uint32_t parent_slot = probe.slot();

  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) {
    say("FORK failed");
    return 1;
  }
  if (pid == 0) return child_main(probe, counter);  // returns through main: the probe says bye

  say("PARENT slot=" + std::to_string(parent_slot) + " pid=" + std::to_string(getpid()));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const bool flushed = probe.flush().status == CallStatus::kOk;
  say(std::string("DONE child=") + (child_ok ? "ok" : "failed") + " parent_flush=" +
      (flushed ? "ok" : "failed") + " parent_slot=" + std::to_string(probe.slot()));
  return child_ok && flushed ? 0 : 1;
}

}  // namespace shmon::testclient
