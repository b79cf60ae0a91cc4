// SPDX-License-Identifier: Apache-2.0
#include "children.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "shmon/clock.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::bench {

pid_t spawn(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

int wait_child(pid_t pid, int timeout_ms) {
  UniqueFd pidfd = open_pidfd(pid);
  int r = 0;
  if (pidfd) {
    pollfd pfd{pidfd.get(), POLLIN, 0};
    do {
      r = ::poll(&pfd, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
  }
  if (r <= 0) {
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

int ChildGroup::wait_all(int timeout_ms) {
  const std::uint64_t deadline = monotonic_ns() + std::uint64_t(timeout_ms) * 1'000'000u;
  int ok = 0;
  for (pid_t pid : pids_) {
    const std::uint64_t now = monotonic_ns();
    const int left = now >= deadline ? 0 : int((deadline - now) / 1'000'000u);
    if (wait_child(pid, left) == 0) ++ok;
  }
  pids_.clear();
  return ok;
}

void ChildGroup::kill_all() {
  for (pid_t pid : pids_) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  pids_.clear();
}

bool Gate::arrive_and_wait(int timeout_ms) {
  ready.fetch_add(1, std::memory_order_acq_rel);
  const std::uint64_t deadline = monotonic_ns() + std::uint64_t(timeout_ms) * 1'000'000u;
  while (open.load(std::memory_order_acquire) == 0) {
    if (monotonic_ns() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

bool Gate::wait_ready(std::uint32_t n, int timeout_ms) const {
  const std::uint64_t deadline = monotonic_ns() + std::uint64_t(timeout_ms) * 1'000'000u;
  while (ready.load(std::memory_order_acquire) < n) {
    if (monotonic_ns() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace shmon::bench
