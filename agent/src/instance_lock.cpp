// SPDX-License-Identifier: Apache-2.0
#include "instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "shmon/paths.hpp"

namespace shmon::agent {
namespace {

// The file an agent writes holds "<pid>\n": anything else (garbage, empty, a pid out of range)
// gives 0.
pid_t parse_pid(const std::string& text) {
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  if (end == 0 || end > 10) return 0;
  long long v = 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] < '0' || text[i] > '9') return 0;
    v = v * 10 + (text[i] - '0');
  }
  return v > 0 && v <= 0x7fffffff ? pid_t(v) : 0;
}

// Control and non-ASCII bytes as \xNN, so the message stays one plain line.
std::string printable(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : text.substr(0, 16)) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += char(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > 16) out += "...";
  return out;
}

}  // namespace

LockOutcome acquire_instance_lock(const std::string& instance) {
  LockOutcome out;
  const std::string path = lock_path(instance);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) {
    out.error = "cannot open lock file " + path + ": " + std::strerror(errno);
    return out;
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      out.error = "cannot lock " + path + ": " + std::strerror(errno);
      return out;
    }
    char buf[32] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof(buf) - 1, 0);
    const std::string text(buf, n > 0 ? std::size_t(n) : 0);
    out.holder = parse_pid(text);
    if (out.holder == 0) out.holder_text = printable(text);
    return out;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
    out.error = "cannot write pid to " + path + ": " + std::strerror(errno);
    return out;
  }
  out.fd = std::move(fd);
  return out;
}

}  // namespace shmon::agent
