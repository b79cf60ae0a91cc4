// SPDX-License-Identifier: Apache-2.0
// Starting and stopping the instance's agent, the way the desktop expects:
//   * systemd: when `systemctl --user` reaches a user manager and shmon-agent@I.socket is a
//     loaded unit, start/stop go through it (the agent outlives the tray);
//   * own: otherwise the tray launches shmon-agent --instance I itself (its environment, so
//     SHMON_RUNTIME_DIR and SHMON_STATE_DIR carry over), watches it through a pidfd, and stops
//     it when it quits. It does not restart a crashed agent: the icon shows it down and the
//     status line says how it ended (a crash loop stays visible).
#pragma once

#include <sys/types.h>

#include <string>

#include "shmon/fd.hpp"

namespace shmon::tray {

enum class Manager { kSystemd, kOwn };

class AgentControl {
 public:
  AgentControl(std::string agent_program, std::string instance);
  ~AgentControl();  // stops an agent of our own (as quit() does)

  void set_instance(const std::string& instance);
  // Asks systemctl (bounded) whether the units are usable for the current instance.
  Manager detect_manager();
  Manager manager() const { return manager_; }

  // Each returns "" on success, else one line saying what failed.
  std::string start();
  // `running_pid`: the agent the tray sees (0: none). Ours: SIGTERM and reap; systemd's:
  // systemctl --user stop (socket too, or the next client would start it again); anyone else's
  // (an agent started in a terminal, of our uid as the attach checked): SIGTERM.
  std::string stop(pid_t running_pid);
  // On quit: stops an agent of our own; a systemd agent keeps running.
  void quit();

  // Our own agent's pidfd (-1 when none), readable when it exits; then call own_exited().
  int own_pidfd() const { return own_pidfd_.get(); }
  pid_t own_pid() const { return own_pid_; }
  // Reaps our agent; returns how it ended ("exit 3").
  std::string own_exited();

 private:
  std::string systemctl(const std::string& verb);

  std::string agent_program_;
  std::string instance_;
  Manager manager_ = Manager::kOwn;
  pid_t own_pid_ = -1;
  UniqueFd own_pidfd_;
};

}  // namespace shmon::tray
