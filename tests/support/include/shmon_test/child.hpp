// SPDX-License-Identifier: Apache-2.0
// A child process under test: spawned with an explicit argv and environment in its own process
// group, stdin/stdout/stderr on pipes. A reader thread drains stdout and stderr continuously (a
// chatty child never blocks on a full pipe) and the harness waits on printed lines and on the
// exit through a pidfd, always with a deadline. The destructor SIGKILLs the whole process group
// if the child is still running, so a failing test never leaves processes behind.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "shmon_test/deadline.hpp"

namespace shmon::test {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the executable path
  std::vector<std::string> env;   // the child's whole environment ("K=V")
  std::optional<uid_t> uid;       // drop to this user (and gid) before exec; needs root
  std::optional<gid_t> gid;
};

class Child {
 public:
  // Spawns the process; throws std::runtime_error when it cannot be started.
  static std::unique_ptr<Child> spawn(const SpawnOptions& options);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // True once a complete line of stdout or stderr contains `substring`.
  bool wait_for_line(std::string_view substring, Deadline deadline);
  // The wait status (as from waitpid) once the process exited, nullopt at the deadline. After
  // the exit it also waits (within the deadline) until the output pipes reached EOF.
  std::optional<int> wait_exit(Deadline deadline);
  bool running();

  void signal(int sig);        // to the process
  void signal_group(int sig);  // to its whole process group
  bool write_stdin(std::string_view text);
  void close_stdin();

  std::string stdout_text() const;
  std::string stderr_text() const;
  std::string output() const;  // both streams, interleaved in the order they were read
  // "argv[0] args... -> status" plus the captured output, for assertion messages.
  std::string describe() const;

 private:
  Child() = default;
  void reader_loop();
  bool reap(bool block);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int stop_fd_ = -1;  // eventfd that stops the reader thread
  std::string command_;
  std::optional<int> status_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string out_, err_, all_;
  bool pipes_closed_ = false;
  std::thread reader_;
};

// True when `status` (from wait_exit) is a normal exit with `code`.
bool exited_with(const std::optional<int>& status, int code);
// "exit 3", "signal 9", "still running".
std::string describe_status(const std::optional<int>& status);

}  // namespace shmon::test
