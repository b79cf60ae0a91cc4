// SPDX-License-Identifier: Apache-2.0
#include "agent_process.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "children.hpp"
#include "shmon/clock.hpp"

namespace shmon::bench {

std::string default_agent_path() {
  if (const char* env = std::getenv("SHMON_AGENT"); env != nullptr && *env != '\0') return env;
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "shmon-agent";
  buf[n] = '\0';
  return (std::filesystem::path(buf).parent_path() / "shmon-agent").string();
}

bool AgentProcess::start(const std::string& instance, const std::vector<std::string>& extra_args,
                         int timeout_ms) {
  stop();
  char tmpl[] = "/tmp/shmon-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    error_ = std::string("mkdtemp: ") + std::strerror(errno);
    return false;
  }
  dir_ = tmpl;
  ::chmod(dir_.c_str(), 0700);
  ::setenv("SHMON_RUNTIME_DIR", dir_.c_str(), 1);
  ::setenv("SHMON_INSTANCE", instance.c_str(), 1);

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    error_ = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  const std::string path = default_agent_path();
  std::vector<std::string> args{path, "--instance", instance};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // SHMON_BENCH_NO_STATE=1: the same run with the state store off (a state directory that cannot
  // be used is an error now, so unsetting HOME no longer turns it off).
  if (const char* off = std::getenv("SHMON_BENCH_NO_STATE");
      off != nullptr && std::string(off) == "1" &&
      std::find(args.begin(), args.end(), "--no-state") == args.end()) {
    args.push_back("--no-state");
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(pipefd[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  stdout_fd_ = pipefd[0];
  if (pid_ < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  // Read stdout until the ready line or the deadline.
  const std::uint64_t deadline = monotonic_ns() + std::uint64_t(timeout_ms) * 1'000'000u;
  std::string seen;
  while (seen.find("shmon-agent: ready") == std::string::npos) {
    const std::uint64_t now = monotonic_ns();
    if (now >= deadline) {
      error_ = "agent not ready after " + std::to_string(timeout_ms) + " ms (" + path + ")";
      stop();
      return false;
    }
    pollfd pfd{stdout_fd_, POLLIN, 0};
    const int r = ::poll(&pfd, 1, int((deadline - now) / 1'000'000u) + 1);
    if (r <= 0) continue;
    char buf[512];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) {
      error_ = "agent exited before ready (" + path + "): " + seen;
      stop();
      return false;
    }
    seen.append(buf, std::size_t(n));
  }
  ready_output_ = std::move(seen);
  return true;
}

void AgentProcess::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (wait_child(pid_, 3000) < 0) error_ = "agent did not stop on SIGTERM (killed)";
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace shmon::bench
