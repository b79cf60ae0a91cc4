// SPDX-License-Identifier: Apache-2.0
#include "agent_control.hpp"

#include <signal.h>

#include <chrono>

#include "process.hpp"

namespace shmon::tray {

namespace {

using namespace std::chrono_literals;
constexpr auto kSystemctlTimeout = 15s;  // a unit's start waits for READY=1
constexpr auto kStopGrace = 10s;         // the agent persists its state on SIGTERM

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

AgentControl::AgentControl(std::string agent_program, std::string instance)
    : agent_program_(std::move(agent_program)), instance_(std::move(instance)) {}

AgentControl::~AgentControl() {
  quit();
}

void AgentControl::set_instance(const std::string& instance) {
  instance_ = instance;
}

Manager AgentControl::detect_manager() {
  // Fails fast without a user manager ("Failed to connect to bus"); "not-found" without units.
  const auto r = run_command({"systemctl", "--user", "show", "--property=LoadState", "--value",
                              "shmon-agent@" + instance_ + ".socket"},
                             5s);
  manager_ = r.finished && r.exit_code == 0 && first_line(r.output) == "loaded" ? Manager::kSystemd
                                                                                : Manager::kOwn;
  return manager_;
}

std::string AgentControl::systemctl(const std::string& verb) {
  const auto r = run_command({"systemctl", "--user", verb, "shmon-agent@" + instance_ + ".socket",
                              "shmon-agent@" + instance_ + ".service"},
                             kSystemctlTimeout);
  if (r.finished && r.exit_code == 0) return "";
  return "systemctl --user " + verb + " failed: " + first_line(r.output);
}

std::string AgentControl::start() {
  if (detect_manager() == Manager::kSystemd) return systemctl("start");
  if (own_pid_ > 0)
    return "the agent the tray started is still running (pid " + std::to_string(own_pid_) + ")";
  Spawned s = spawn_child({agent_program_, "--instance", instance_});
  if (s.pid < 0) return s.error;
  own_pid_ = s.pid;
  own_pidfd_ = std::move(s.pidfd);
  return "";
}

std::string AgentControl::stop(pid_t running_pid) {
  if (own_pid_ > 0) {
    const std::string how = terminate_child(own_pid_, own_pidfd_.get(), kStopGrace);
    own_pid_ = -1;
    own_pidfd_.reset();
    return how == "exit 0" ? "" : "the agent ended with " + how;
  }
  if (detect_manager() == Manager::kSystemd) return systemctl("stop");
  if (running_pid > 0 && ::kill(running_pid, SIGTERM) != 0) {
    return "cannot signal agent pid " + std::to_string(running_pid);
  }
  return running_pid > 0 ? "" : "no agent runs on instance '" + instance_ + "'";
}

void AgentControl::quit() {
  if (own_pid_ > 0) {
    terminate_child(own_pid_, own_pidfd_.get(), kStopGrace);
    own_pid_ = -1;
    own_pidfd_.reset();
  }
}

std::string AgentControl::own_exited() {
  if (own_pid_ <= 0) return "";
  const std::string how = reap(own_pid_);
  own_pid_ = -1;
  own_pidfd_.reset();
  return how;
}

}  // namespace shmon::tray
