// SPDX-License-Identifier: Apache-2.0
// Runs the real shmon-agent as a child for a benchmark: a private runtime directory
// (SHMON_RUNTIME_DIR, set in this process's environment too so probes find it), a wait for its
// "shmon-agent: ready" line, and a bounded stop (SIGTERM, then SIGKILL).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace shmon::bench {

// Path of shmon-agent: $SHMON_AGENT, else next to this executable.
std::string default_agent_path();

class AgentProcess {
 public:
  AgentProcess() = default;
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;
  ~AgentProcess() { stop(); }

  // Creates a temp runtime dir, exports SHMON_RUNTIME_DIR and SHMON_INSTANCE, starts the agent
  // with `extra_args` and waits up to `timeout_ms` for its ready line. False (with error()) on
  // failure; the child is then already gone.
  bool start(const std::string& instance, const std::vector<std::string>& extra_args,
             int timeout_ms = 5000);
  void stop();

  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }
  const std::string& runtime_dir() const { return dir_; }
  // What the agent printed up to and including its ready line ("... metrics=URL").
  const std::string& ready_output() const { return ready_output_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string dir_;
  std::string error_;
  std::string ready_output_;
};

}  // namespace shmon::bench
