// SPDX-License-Identifier: Apache-2.0
// Helpers for multi-process unit tests: a shared memfd mapping inherited across fork(), children
// that always end with _exit, and bounded waits for them (pidfd + poll).
#pragma once

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <functional>
#include <new>

#include "shmon/clock.hpp"
#include "shmon/memfd.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::testing {

// A zeroed MAP_SHARED region that forked children share with the parent.
template <class T>
class SharedBlock {
 public:
  SharedBlock() {
    auto fd = create_region("test-shared", sizeof(T) < 4096 ? 4096 : sizeof(T));
    if (!fd) return;
    auto m = Mapping::map(fd->get(), sizeof(T) < 4096 ? 4096 : sizeof(T), true);
    if (!m) return;
    mapping_ = std::move(*m);
    new (mapping_.data()) T{};
  }
  bool ok() const { return mapping_.valid(); }
  T* operator->() const { return mapping_.as<T>(); }
  T& operator*() const { return *mapping_.as<T>(); }

 private:
  Mapping mapping_;
};

// Runs `body` in a child; its return value becomes the exit status. Never returns in the child.
inline pid_t spawn(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::_exit(body());
  }
  return pid;
}

// Waits up to `timeout_ms` for `pid` to exit; returns its exit code, 128+signal if killed by a
// signal, or -1 on timeout (the child is then killed and reaped so no zombie is left).
inline int wait_child(pid_t pid, int timeout_ms) {
  UniqueFd pidfd = open_pidfd(pid);
  int r = 0;
  if (pidfd) {
    pollfd pfd{pidfd.get(), POLLIN, 0};
    do {
      r = ::poll(&pfd, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
  }
  if (r <= 0) {  // timeout, or no pidfd to wait on with a bound
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return -1;
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Spins (yielding) until `pred` holds or `timeout_ms` passes. For observing a state another
// process reaches, never for creating one.
template <class Pred>
bool eventually(Pred pred, std::uint64_t timeout_ms) {
  const std::uint64_t deadline = deadline_after_ms(timeout_ms);
  while (!pred()) {
    if (monotonic_ns() >= deadline) return false;
    ::sched_yield();
  }
  return true;
}

}  // namespace shmon::testing
