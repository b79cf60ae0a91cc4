// SPDX-License-Identifier: Apache-2.0
// Unix stream sockets carrying fixed-size messages and SCM_RIGHTS descriptors.
#include "shmon/unix_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "shmon/clock.hpp"

namespace shmon {
namespace {

constexpr std::size_t kMaxSendFds = 4;
constexpr std::size_t kMaxRecvFds = 16;  // control buffer room; extras are closed

std::string errno_text(int err) {
  return std::strerror(err);
}

Result<sockaddr_un> make_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Error{"socket path '" + path + "' is " + std::to_string(path.size()) +
                 " bytes; the limit is " + std::to_string(sizeof(addr.sun_path) - 1)};
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

}  // namespace

Result<UniqueFd> listen_unix(const std::string& path) {
  auto addr = make_address(path);
  if (!addr) return Error{addr.error()};
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return Error{"cannot create a unix socket: " + errno_text(errno)};
  // The caller holds the instance lock, so a file left here belongs to a dead agent.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Error{"cannot remove stale socket " + path + ": " + errno_text(errno)};
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) != 0) {
    return Error{"cannot bind " + path + ": " + errno_text(errno)};
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    return Error{"cannot chmod " + path + ": " + errno_text(errno)};
  }
  if (::listen(fd.get(), kListenBacklog) != 0)
    return Error{"cannot listen on " + path + ": " + errno_text(errno)};
  return fd;
}

Connected connect_unix(const std::string& path) {
  Connected out;
  auto addr = make_address(path);
  if (!addr) {
    out.error = ConnectError::kOther;
    out.message = addr.error();
    return out;
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    out.error = ConnectError::kOther;
    out.message = "cannot create a unix socket: " + errno_text(errno);
    return out;
  }
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    if (err == ENOENT || err == ECONNREFUSED) {
      out.error = ConnectError::kNoAgent;
      out.message = "no agent is listening on " + path + " (" + errno_text(err) + ")";
    } else if (err == EACCES || err == EPERM) {
      out.error = ConnectError::kPermission;
      out.message = "permission denied connecting to " + path;
    } else {
      out.error = ConnectError::kOther;
      out.message = "cannot connect to " + path + ": " + errno_text(err);
    }
    return out;
  }
  out.fd = std::move(fd);
  return out;
}

Status send_message(int sock, std::span<const std::byte> bytes, std::span<const int> fds) {
  if (fds.size() > kMaxSendFds) return Error{"at most 4 descriptors can be sent per message"};
  if (bytes.empty()) return Error{"cannot send an empty message"};
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxSendFds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error{"cannot send message: " + errno_text(errno)};
  // Messages are small and fixed-size; a short write on a stream would desynchronize the peer.
  if (std::size_t(n) != bytes.size()) {
    return Error{"short write: sent " + std::to_string(n) + " of " + std::to_string(bytes.size()) +
                 " bytes"};
  }
  return Ok{};
}

Result<Received> receive_message(int sock, std::span<std::byte> bytes, std::size_t max_fds,
                                 std::uint64_t deadline_ns) {
  Received out;
  while (out.size < bytes.size()) {
    // Read first, wait second: what has already arrived is taken even when the deadline passed
    // while this thread was not running (a starved agent dropped complete attach requests so).
    iovec iov{bytes.data() + out.size, bytes.size() - out.size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxRecvFds)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        return Error{"cannot receive message: " + errno_text(errno)};
      }
      const std::uint64_t now = monotonic_ns();
      if (now >= deadline_ns) {
        return Error{"timed out waiting for a message (" + std::to_string(out.size) + " of " +
                     std::to_string(bytes.size()) + " bytes received)"};
      }
      // Round up so that a sub-millisecond remainder does not turn into a busy loop.
      const std::uint64_t remaining_ms = (deadline_ns - now + 999'999) / 1'000'000;
      pollfd pfd{sock, POLLIN, 0};
      if (::poll(&pfd, 1, int(remaining_ms > 60'000 ? 60'000 : remaining_ms)) < 0 &&
          errno != EINTR) {
        return Error{"poll failed: " + errno_text(errno)};
      }
      continue;  // readable, or the deadline check above decides
    }
    // Take ownership of every descriptor first so that none leaks on any error below.
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        UniqueFd owned(fd);
        if (out.fds.size() < max_fds) out.fds.push_back(std::move(owned));
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) return Error{"received message carried too many descriptors"};
    if (n == 0) return Error{"peer closed the connection"};
    out.size += std::size_t(n);
  }
  return out;
}

Result<PeerCred> peer_credentials(int sock) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return Error{"cannot read peer credentials: " + errno_text(errno)};
  }
  return PeerCred{cred.pid, cred.uid, cred.gid};
}

UniqueFd open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return UniqueFd(int(::syscall(SYS_pidfd_open, pid, 0)));
#else
  (void)pid;
  return UniqueFd();
#endif
}

}  // namespace shmon
