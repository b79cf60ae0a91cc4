// SPDX-License-Identifier: Apache-2.0
#include "activation.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstring>

namespace shmon::agent {

namespace {

// The path a unix socket is bound to, for the refusal message ("" when unnamed or abstract).
std::string bound_path(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  if (addr.sun_family != AF_UNIX || len <= offsetof(sockaddr_un, sun_path)) return "";
  if (addr.sun_path[0] == '\0') return "@(abstract)";
  return std::string(addr.sun_path, strnlen(addr.sun_path, sizeof(addr.sun_path)));
}

}  // namespace

Result<std::optional<UniqueFd>> adopt_activated_socket(const std::string& expected_path) {
  const int n = sd_listen_fds(/*unset_environment=*/1);
  if (n < 0) return Error{std::string("cannot read LISTEN_FDS: ") + std::strerror(-n)};
  if (n == 0) return std::optional<UniqueFd>{};
  // Own every passed fd first so that none leaks into a child whatever we decide.
  for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; ++fd) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (n > 1) {
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; ++fd) ::close(fd);
    return Error{"socket activation passed " + std::to_string(n) +
                 " sockets; the agent serves exactly one (ListenStream=" + expected_path + ")"};
  }
  UniqueFd fd(SD_LISTEN_FDS_START);
  if (sd_is_socket_unix(fd.get(), SOCK_STREAM, /*listening=*/1, nullptr, 0) <= 0) {
    return Error{
        "the socket passed by socket activation is not a listening unix stream socket"
        " (expected ListenStream=" +
        expected_path + ")"};
  }
  if (sd_is_socket_unix(fd.get(), SOCK_STREAM, 1, expected_path.c_str(), 0) <= 0) {
    return Error{"the socket passed by socket activation is bound to '" + bound_path(fd.get()) +
                 "', not to this instance's " + expected_path +
                 " (check ListenStream= and SHMON_RUNTIME_DIR/XDG_RUNTIME_DIR)"};
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return Error{std::string("cannot make the activated socket non-blocking: ") +
                 std::strerror(errno)};
  }
  return std::optional<UniqueFd>(std::move(fd));
}

void notify_ready(const std::string& instance, std::uint64_t clients) {
  sd_notifyf(0, "READY=1\nSTATUS=serving instance %s, %llu clients connected", instance.c_str(),
             static_cast<unsigned long long>(clients));
}

void notify_status(std::uint64_t clients, std::uint64_t events_per_s_milli) {
  sd_notifyf(0, "STATUS=%llu clients connected, %llu.%03llu events/s",
             static_cast<unsigned long long>(clients),
             static_cast<unsigned long long>(events_per_s_milli / 1000),
             static_cast<unsigned long long>(events_per_s_milli % 1000));
}

void notify_stopping() {
  sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

}  // namespace shmon::agent
