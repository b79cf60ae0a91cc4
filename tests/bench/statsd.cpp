// SPDX-License-Identifier: Apache-2.0
#include "statsd.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <string>
#include <unordered_map>

#include "children.hpp"

namespace shmon::bench {
namespace {

sockaddr_un make_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  return addr;
}

// Parses one "name:value|type" line into the table. False when malformed.
bool parse_line(std::string_view line, std::unordered_map<std::string, std::int64_t>& table) {
  const auto colon = line.find(':');
  const auto bar = line.find('|', colon == std::string_view::npos ? 0 : colon);
  if (colon == std::string_view::npos || bar == std::string_view::npos || colon == 0) return false;
  std::int64_t value = 0;
  const char* first = line.data() + colon + 1;
  const char* last = line.data() + bar;
  if (std::from_chars(first, last, value).ptr != last) return false;
  const std::string_view type = line.substr(bar + 1);
  if (type != "c" && type != "g" && type != "ms") return false;
  table[std::string(line.substr(0, colon))] += value;
  return true;
}

}  // namespace

UniqueFd bind_statsd_socket(const std::string& path) {
  ::unlink(path.c_str());
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  const sockaddr_un addr = make_address(path);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) return {};
  const int size = 4 << 20;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  return fd;
}

pid_t start_statsd_receiver(int sock, StatsdCounts* counts) {
  return spawn([sock, counts] {
    std::unordered_map<std::string, std::int64_t> table;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(sock, buf, sizeof(buf), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      const std::string_view datagram(buf, std::size_t(n));
      if (datagram == "!stop") break;
      counts->datagrams.fetch_add(1, std::memory_order_relaxed);
      std::size_t start = 0;
      while (start < datagram.size()) {
        auto end = datagram.find('\n', start);
        if (end == std::string_view::npos) end = datagram.size();
        if (parse_line(datagram.substr(start, end - start), table)) {
          counts->lines.fetch_add(1, std::memory_order_relaxed);
        } else {
          counts->bad_lines.fetch_add(1, std::memory_order_relaxed);
        }
        start = end + 1;
      }
    }
    counts->stopped.store(1, std::memory_order_release);
    return 0;
  });
}

bool StatsdSender::open(const std::string& path) {
  fd_ = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd_) return false;
  const sockaddr_un addr = make_address(path);
  return ::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
}

bool StatsdSender::count(std::string_view name, std::int64_t delta) noexcept {
  char line[128];
  if (name.size() > 100) return false;
  std::memcpy(line, name.data(), name.size());
  char* p = line + name.size();
  *p++ = ':';
  p = std::to_chars(p, line + sizeof(line) - 3, delta).ptr;
  *p++ = '|';
  *p++ = 'c';
  return ::send(fd_.get(), line, std::size_t(p - line), MSG_DONTWAIT) > 0;
}

bool StatsdSender::send_stop() {
  return ::send(fd_.get(), "!stop", 5, 0) == 5;
}

}  // namespace shmon::bench
