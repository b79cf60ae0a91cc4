// SPDX-License-Identifier: Apache-2.0
// late-metric: attaches first, then registers counter "late", adds 7, flushes (answered ok) and
// leaves the way --variant says. The agent has never seen the descriptor when the client leaves
// unless it refreshed it meanwhile: the departure must still fold the 7.
//   bye    returns normally: the probe says bye, the socket closes, the process exits
//   kill   SIGKILLs itself: socket EOF and pidfd at once
//   eof    shuts its socket down and stays alive until stdin reaches EOF: socket EOF alone
//   pidfd  hands a duplicate of its socket to a forked keeper (which waits for stdin EOF) and
//          _exits: the agent learns of the death from the pidfd alone
//   hold   waits for stdin EOF, then returns normally (bye)
// Connection attempts are polled (no connector thread), so nothing re-attaches behind the test's
// back; --wait-ms bounds the wait for an attach (a full table keeps it retrying).
#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "output.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::testclient {
namespace {

bool poll_until_connected(Probe& probe, std::uint32_t wait_ms) {
  const std::uint64_t deadline = deadline_after_ms(wait_ms);
  while (monotonic_ns() < deadline) {
    if (probe.poll()) return true;
    usleep(5000);  // retry interval of a bounded poll loop, not a synchronization
  }
  return false;
}

void wait_stdin_eof() {
  char line[256];
  while (std::fgets(line, sizeof line, stdin)) {
  }
}

// The unix sockets this process holds (the probe's session socket is the only one).
std::vector<int> socket_fds() {
  std::vector<int> out;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    const int fd = std::atoi(e->d_name);
    if (fd <= 2 || fd == ::dirfd(dir)) continue;
    char target[64] = {};
    const std::string link = std::string("/proc/self/fd/") + e->d_name;
    if (::readlink(link.c_str(), target, sizeof target - 1) > 0 &&
        std::string(target).rfind("socket:", 0) == 0) {
      out.push_back(fd);
    }
  }
  ::closedir(dir);
  return out;
}

}  // namespace

int run_late_metric(const Args& args) {
  ProbeOptions options = probe_options(args);
  options.background_connect = false;
  Probe probe(options);
  if (!poll_until_connected(probe, args.wait_ms)) {
    say("CONNECT failed " + probe.last_error());
    return 1;
  }
  Counter late = probe.counter("late");
  late.add(7);
  const FlushResult flushed = probe.flush();
  if (flushed.status != CallStatus::kOk) {
    say(std::string("FLUSH failed ") + to_string(flushed.status));
    return 1;
  }
  say("FLUSHED slot=" + std::to_string(probe.slot()) + " pid=" + std::to_string(getpid()));

  const std::string& v = args.variant;
  if (v == "kill") {
    ::raise(SIGKILL);
  } else if (v == "eof") {
    for (int fd : socket_fds()) ::shutdown(fd, SHUT_RDWR);
    say("SHUTDOWN");
    wait_stdin_eof();
  } else if (v == "pidfd") {
    std::vector<int> dups;
    for (int fd : socket_fds()) dups.push_back(::dup(fd));
    // A raw fork without the atfork handlers: the probe's handler would attach the keeper as a
    // client of its own, and the keeper must stay invisible to the agent.
    const pid_t keeper = pid_t(::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
    if (keeper < 0) {
      say("FORK failed");
      return 1;
    }
    if (keeper == 0) {         // holds the socket open until the test closes stdin
      ::close(STDOUT_FILENO);  // the harness waits for EOF on the pipes of the process it started
      ::close(STDERR_FILENO);
      wait_stdin_eof();
      ::_exit(0);
    }
    say("KEEPER pid=" + std::to_string(keeper));
    ::_exit(0);  // no bye, no destructor: the agent sees only the pidfd
  } else if (v == "hold") {
    wait_stdin_eof();
  } else if (v != "bye" && !v.empty()) {
    say("unknown variant " + v);
    return 2;
  }
  return 0;
}

}  // namespace shmon::testclient
