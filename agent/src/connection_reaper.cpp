#include "connection_reaper.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/tcp.h>  // tcp_info with tcpi_bytes_received (glibc's copy lacks it)
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <string_view>

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
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    const int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) continue;
    struct stat dup_st {};
    if (fstat(d, &dup_st) == 0 && dup_st.st_ino == st.st_ino && accepted_port(d) == limits_.port) {
      auto it = seen_.find(st.st_ino);
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
      seen[st.st_ino] = s;
    }
    ::close(d);
  }
  closedir(dir);
  seen_ = std::move(seen);
  return count;
}

}  // namespace shmon::agent
