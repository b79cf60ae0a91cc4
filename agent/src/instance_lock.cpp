#include "instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "shmon/paths.hpp"

namespace shmon::agent {

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
    if (n > 0) out.holder = pid_t(std::strtol(buf, nullptr, 10));
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
