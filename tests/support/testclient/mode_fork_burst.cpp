// fork-burst: the parent counts 150 on "forked_burst", then forks 200 children that each add 73
// and _exit at once, without any call (issue 11: such children were not counted). The parent
// waits for them, flushes and exits: the agent must end with exactly 150 + 200 * 73 = 14750.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "output.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {

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
  std::vector<pid_t> children;
  for (int i = 0; i < kChildren; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      say("FORK failed");
      return 1;
    }
    if (pid == 0) {
      counter.add(73);
      ::_exit(0);
    }
    children.push_back(pid);
  }
  int failed = 0;
  for (pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    failed += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
  }
  const bool flushed = probe.flush().status == CallStatus::kOk;
  say("DONE children=" + std::to_string(kChildren) + " failed=" + std::to_string(failed) +
      " parent_flush=" + (flushed ? "ok" : "failed"));
  return failed == 0 && flushed ? 0 : 1;
}

}  // namespace shmon::testclient
