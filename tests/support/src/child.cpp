// SPDX-License-Identifier: Apache-2.0
// Child process harness: fork+exec with pipes, a reader thread, pidfd-based exit waits.
#include "shmon_test/child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace shmon::test {
namespace {

int open_pidfd(pid_t pid) {
  return int(::syscall(SYS_pidfd_open, pid, 0));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    }
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    close_fd(read);
    close_fd(write);
  }
};

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const SpawnOptions& options, char* const* argv, char* const* envp,
                             const Pipe& in, const Pipe& out, const Pipe& err, int error_fd,
                             pid_t parent) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGPIPE, &dfl, nullptr);
  if (::dup2(in.read, 0) < 0 || ::dup2(out.write, 1) < 0 || ::dup2(err.write, 2) < 0) {
    int e = errno;
    (void)!::write(error_fd, &e, sizeof e);
    ::_exit(127);
  }
  if (options.gid && (::setgroups(0, nullptr) != 0 || ::setgid(*options.gid) != 0)) {
    int e = errno;
    (void)!::write(error_fd, &e, sizeof e);
    ::_exit(127);
  }
  if (options.uid && ::setuid(*options.uid) != 0) {
    int e = errno;
    (void)!::write(error_fd, &e, sizeof e);
    ::_exit(127);
  }
  // Die with the test process even if it is killed outright (a ctest timeout): after the
  // credential change, which clears the setting.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  ::execve(argv[0], argv, envp);
  int e = errno;
  (void)!::write(error_fd, &e, sizeof e);
  ::_exit(127);
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

bool contains_complete_line(const std::string& text, std::string_view needle) {
  const auto end = text.rfind('\n');
  if (end == std::string::npos) return false;
  return std::string_view(text).substr(0, end).find(needle) != std::string_view::npos;
}

}  // namespace

std::unique_ptr<Child> Child::spawn(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    throw std::runtime_error("spawn: empty argv (binary not built in this tree?)");
  }
  static const bool sigpipe_ignored = [] {
    ::signal(SIGPIPE, SIG_IGN);  // a child that closed stdin must not kill the test
    return true;
  }();
  (void)sigpipe_ignored;

  auto argv = c_strings(options.argv);
  auto envp = c_strings(options.env);
  Pipe in, out, err, exec_error;

  std::unique_ptr<Child> child(new Child());
  for (const auto& a : options.argv) child->command_ += (child->command_.empty() ? "" : " ") + a;

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0)
    exec_child(options, argv.data(), envp.data(), in, out, err, exec_error.write, parent);

  ::setpgid(pid, pid);  // also done by the child; whichever runs first wins the race
  close_fd(exec_error.write);
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_error.read, &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  child->pid_ = pid;
  if (n > 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    child->status_ = status;
    throw std::runtime_error("cannot start " + options.argv[0] + ": " + std::strerror(exec_errno));
  }
  child->pidfd_ = open_pidfd(pid);
  child->stdin_fd_ = std::exchange(in.write, -1);
  child->stdout_fd_ = std::exchange(out.read, -1);
  child->stderr_fd_ = std::exchange(err.read, -1);
  child->stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  ::fcntl(child->stdout_fd_, F_SETFL, O_NONBLOCK);
  ::fcntl(child->stderr_fd_, F_SETFL, O_NONBLOCK);
  child->reader_ = std::thread([c = child.get()] { c->reader_loop(); });
  return child;
}

Child::~Child() {
  bool pipes_open;
  {
    std::lock_guard lock(mutex_);
    pipes_open = !pipes_closed_;
  }
  // A reaped leader whose pipes are still open left group members behind (a forked child).
  if (status_ && pipes_open) ::kill(-pid_, SIGKILL);
  if (!status_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  if (stop_fd_ >= 0) {
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
  }
  if (reader_.joinable()) reader_.join();
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
  close_fd(stop_fd_);
  close_fd(pidfd_);
}

void Child::reader_loop() {
  bool out_open = true, err_open = true;
  char buffer[8192];
  while (out_open || err_open) {
    pollfd fds[3] = {{out_open ? stdout_fd_ : -1, POLLIN, 0},
                     {err_open ? stderr_fd_ : -1, POLLIN, 0},
                     {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents) break;
    for (int i = 0; i < 2; ++i) {
      if (!fds[i].revents) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? out_ : err_).append(buffer, std::size_t(n));
        all_.append(buffer, std::size_t(n));
      }
      changed_.notify_all();
    }
  }
  std::lock_guard lock(mutex_);
  pipes_closed_ = true;
  changed_.notify_all();
}

bool Child::wait_for_line(std::string_view substring, Deadline deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [&] {
    return contains_complete_line(out_, substring) || contains_complete_line(err_, substring);
  });
}

bool Child::reap(bool block) {
  if (status_) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = status;
    return true;
  }
  return false;
}

std::optional<int> Child::wait_exit(Deadline deadline) {
  while (!status_) {
    if (reap(false)) break;
    pollfd p{pidfd_, POLLIN, 0};
    const int left = ms_left(deadline);
    if (left == 0) return std::nullopt;
    if (pidfd_ >= 0) {
      ::poll(&p, 1, left);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(left, 5)));
    }
  }
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return pipes_closed_; });
  return status_;
}

bool Child::running() {
  return !reap(false);
}

void Child::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

void Child::signal_group(int sig) {
  if (!status_) ::kill(-pid_, sig);
}

bool Child::write_stdin(std::string_view text) {
  if (stdin_fd_ < 0) return false;
  while (!text.empty()) {
    const ssize_t n = ::write(stdin_fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(std::size_t(n));
  }
  return true;
}

void Child::close_stdin() {
  close_fd(stdin_fd_);
}

std::string Child::stdout_text() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::string Child::stderr_text() const {
  std::lock_guard lock(mutex_);
  return err_;
}

std::string Child::output() const {
  std::lock_guard lock(mutex_);
  return all_;
}

std::string Child::describe() const {
  std::string text = "[" + command_ + "] pid " + std::to_string(pid_) + " -> " +
                     describe_status(status_) + "\n--- output ---\n" + output();
  if (text.size() > 20000)
    text = text.substr(0, 10000) + "\n...\n" + text.substr(text.size() - 10000);
  return text + "\n--- end ---";
}

bool exited_with(const std::optional<int>& status, int code) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
}

std::string describe_status(const std::optional<int>& status) {
  if (!status) return "still running";
  if (WIFEXITED(*status)) return "exit " + std::to_string(WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return "signal " + std::to_string(WTERMSIG(*status));
  return "status " + std::to_string(*status);
}

}  // namespace shmon::test
