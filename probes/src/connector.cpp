// SPDX-License-Identifier: Apache-2.0
// The connector thread: attaches with backoff while no agent is attached, then sleeps in poll()
// on the rendezvous socket so that the agent's death (EOF) is noticed at once and a command's
// wake-up byte runs the command (docs/COMMANDS.md). All signals are
// blocked in it from its first instruction (it is created with a full mask).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "probe_core.hpp"
#include "shmon/clock.hpp"

namespace shmon::detail {
namespace {

void drain_eventfd(int fd) {
  std::uint64_t v;
  while (::read(fd, &v, sizeof(v)) == ssize_t(sizeof(v))) {
  }
}

}  // namespace

void ProbeCore::wake_connector() noexcept {
  if (!wake_fd) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd.get(), &one, sizeof(one));
}

void ProbeCore::start_connector() noexcept {
  if (connector.joinable() || !wake_fd) return;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    stop.store(false);
    connector = std::thread([this] { connector_main(); });
  } catch (...) {
    set_error("cannot start the connector thread; attaching in calls and poll() instead");
    opts.background_connect = false;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

bool ProbeCore::ensure_connector() noexcept {
  if (!connector_needed.load(std::memory_order_relaxed)) return false;
  std::lock_guard lock(connector_mutex);
  if (!connector_needed.exchange(false) || !opts.background_connect) return false;
  start_connector();
  return true;
}

void ProbeCore::stop_connector() noexcept {
  stop.store(true);
  wake_connector();
  if (connector.joinable()) connector.join();
}

void ProbeCore::connector_main() noexcept {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  UniqueFd watch;  // our own duplicate of the session socket: a call may close the original
  std::uint64_t watch_gen = 0;
  const auto drop_wait =
      std::chrono::milliseconds(std::uint64_t(opts.lock_timeout_ms) + opts.done_timeout_ms + 1000);

  while (!stop.load()) {
    try {
      if (!connected.load(std::memory_order_acquire) || watch_gen != session_gen.load()) {
        watch.reset();
        std::uint64_t next = monotonic_ns() + 100'000'000u;
        {
          std::unique_lock lk(call_mutex, std::defer_lock);
          if (lk.try_lock_for(std::chrono::milliseconds(100))) {
            if (!connected.load() && attach_due_locked()) {
              note_attach_outcome_locked(attach_locked());
            }
            if (connected.load()) {
              watch.reset(::fcntl(session.sock.get(), F_DUPFD_CLOEXEC, 0));
              watch_gen = session_gen.load();
              continue;
            }
            next = next_attempt_ns;
          }
        }
        const std::uint64_t now = monotonic_ns();
        const int timeout_ms =
            int(std::clamp<std::uint64_t>(next > now ? (next - now) / 1'000'000u : 0, 1, 1000));
        pollfd pf{wake_fd.get(), POLLIN, 0};
        if (::poll(&pf, 1, timeout_ms) > 0) drain_eventfd(wake_fd.get());
        continue;
      }

      pollfd pf[2] = {{wake_fd.get(), POLLIN, 0}, {watch.get(), POLLIN | POLLRDHUP, 0}};
      if (::poll(pf, 2, 1000) <= 0) {
        serve_commands(watch.get());  // a wake-up byte the socket lost (the agent's tick resends)
        continue;
      }
      if (pf[0].revents != 0) drain_eventfd(wake_fd.get());
      if (stop.load() || watch_gen != session_gen.load()) continue;
      if (pf[1].revents == 0) continue;
      const bool hangup = (pf[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
      if (!hangup) {
        // The agent sends single bytes: "a command is waiting in your region".
        char buf[256];
        const ssize_t n = ::recv(watch.get(), buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) serve_commands(watch.get());
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) continue;
      }
      std::unique_lock lk(call_mutex, std::defer_lock);
      if (!lk.try_lock_for(drop_wait)) continue;
      if (connected.load() && watch_gen == session_gen.load()) {
        drop_session_locked();
        set_error("the agent closed the connection; reconnecting");
        next_attempt_ns = monotonic_ns() + 10'000'000u;
        backoff_ms = 10;
      }
      watch.reset();
    } catch (...) {
      // Nothing here should throw; if it does, back off and keep going.
      pollfd pf{wake_fd.get(), POLLIN, 0};
      ::poll(&pf, 1, 100);
    }
  }
}

}  // namespace shmon::detail
