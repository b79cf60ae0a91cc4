// SPDX-License-Identifier: Apache-2.0
#include "connection_reaper.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/tcp.h>  // tcp_info with tcpi_bytes_received (glibc's copy lacks it)
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <string_view>

#include "shmon/unix_socket.hpp"

namespace shmon::agent {

namespace {

// Local TCP port of socket `fd`, or -1 (not an inet socket, or a listening one).
int accepted_port(int fd) {
  int listening = 0;
  socklen_t len = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening != 0) {
    return -1;
  }
  sockaddr_storage ss{};
  len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

std::uint64_t bytes_received(int fd) {
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return len >= offsetof(tcp_info, tcpi_bytes_received) + sizeof(info.tcpi_bytes_received)
             ? info.tcpi_bytes_received
             : 0;
}

// The socket inode /proc/self/fd/NAME links to ("socket:[INODE]"), or 0 when it is no socket.
// A path lookup: it does not touch descriptor NAME, which another thread may be opening or
// closing right now.
ino_t socket_inode(int dir, const char* name) {
  char link[64];
  const ssize_t n = ::readlinkat(dir, name, link, sizeof(link) - 1);
  if (n <= 0) return 0;
  const std::string_view text(link, std::size_t(n));
  constexpr std::string_view kPrefix = "socket:[";
  if (!text.starts_with(kPrefix) || !text.ends_with(']')) return 0;
  ino_t inode = 0;
  const char* first = text.data() + kPrefix.size();
  const char* last = text.data() + text.size() - 1;
  if (std::from_chars(first, last, inode).ec != std::errc()) return 0;
  return inode;
}

// Our own duplicate of descriptor `fd` as it is now, or -1. pidfd_getfd(2) takes the duplicate in
// one step without operating on `fd` itself: `fd` belongs to another thread (a worker or the
// listener) that may close or reuse it at any moment. fcntl(F_DUPFD) when the kernel lacks it.
int duplicate(int self_pidfd, int fd) {
#ifdef SYS_pidfd_getfd
  if (self_pidfd >= 0) {
    const int d = int(::syscall(SYS_pidfd_getfd, self_pidfd, fd, 0));  // close-on-exec already
    if (d >= 0 || errno == EBADF) return d;  // EBADF: closed meanwhile; else fall back
  }
#else
  (void)self_pidfd;
#endif
  return ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

// Ends the connection for both sides at once. shutdown() alone does not stop a worker whose
// peer keeps sending (Linux still queues data after SHUT_RD); connect(AF_UNSPEC) disconnects
// the socket (a reset to the peer), so the worker's next read fails.
void abort_connection(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  (void)::connect(fd, &unspec, sizeof(unspec));
}

}  // namespace

ConnectionReaper::ConnectionReaper(ReapLimits limits)
    : limits_(limits), self_pidfd_(open_pidfd(::getpid())) {}

ReapCount ConnectionReaper::pass(std::uint64_t now_ns, bool all) {
  ReapCount count;
  std::map<ino_t, Seen> seen;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return count;
  while (dirent* e = readdir(dir)) {
    int fd = -1;
    const std::string_view n(e->d_name);
    if (std::from_chars(n.data(), n.data() + n.size(), fd).ec != std::errc() || fd == dirfd(dir))
      continue;
    const ino_t inode = socket_inode(dirfd(dir), e->d_name);
    if (inode == 0) continue;
    const int d = duplicate(self_pidfd_.get(), fd);
    if (d < 0) continue;
    struct stat dup_st {};
    if (fstat(d, &dup_st) == 0 && dup_st.st_ino == inode && accepted_port(d) == limits_.port) {
      auto it = seen_.find(inode);
      Seen s = it == seen_.end() ? Seen{now_ns, false} : it->second;
      if (!s.cut) {
        const bool old = now_ns - s.since > limits_.deadline_ns;
        const bool big = !old && bytes_received(d) > limits_.max_bytes;
        if (all || old || big) {
          abort_connection(d);
          s.cut = true;
          if (old) ++count.too_old;
          if (big) ++count.too_big;
        }
      } else if (all) {
        abort_connection(d);
      }
      seen[inode] = s;
    }
    ::close(d);
  }
  closedir(dir);
  seen_ = std::move(seen);
  return count;
}

}  // namespace shmon::agent
