// SPDX-License-Identifier: Apache-2.0
#include "echo.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "children.hpp"
#include "shmon/clock.hpp"

namespace shmon::bench {
namespace {

constexpr std::size_t kMessage = 16;  // a PingBody

bool read_full(int fd, char* buf, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += std::size_t(n);
  }
  return true;
}

}  // namespace

bool EchoPair::start() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
  server_ = spawn([fds] {
    ::close(fds[0]);
    char buf[kMessage];
    while (read_full(fds[1], buf, kMessage)) {
      if (::write(fds[1], buf, kMessage) != ssize_t(kMessage)) return 1;
    }
    return 0;
  });
  ::close(fds[1]);
  fd_ = UniqueFd(fds[0]);
  return server_ > 0;
}

std::uint64_t EchoPair::round_trip() noexcept {
  char buf[kMessage] = {};
  const std::uint64_t t0 = monotonic_ns();
  if (::write(fd_.get(), buf, kMessage) != ssize_t(kMessage)) return 0;
  if (!read_full(fd_.get(), buf, kMessage)) return 0;
  return monotonic_ns() - t0;
}

void EchoPair::stop() {
  fd_.reset();
  if (server_ > 0) {
    wait_child(server_, 2000);
    server_ = -1;
  }
}

}  // namespace shmon::bench
