// SPDX-License-Identifier: Apache-2.0
// The tray icon and its menu (GTK 3 + Ayatana AppIndicator): the only GTK code in shmon. It shows
// what AgentWatch reads and acts through AgentControl. Menu: a status line, the instance choice,
// `Open inspector`, `Start agent`, `Stop agent`, `Quit`.
//
// For tests and scripts it prints one line on stdout per change ("shmon-tray: state up apps=2
// warning=0 icon=NAME", "shmon-tray: started agent pid N", ...). SIGUSR1 pops the menu up at the
// pointer (screenshots; desktops without a StatusNotifier host); SIGINT/SIGTERM act as `Quit`.
#pragma once

#include <string>

#include "agent_control.hpp"
#include "agent_watch.hpp"

namespace shmon::tray {

struct TrayOptions {
  std::string instance;
  std::string inspector_program;  // empty: not found (Open inspector says so)
};

// Builds the indicator and runs the GTK main loop until Quit. Returns the exit code (0).
// REQUIRES: gtk_init succeeded.
int run_tray(const TrayOptions& options, AgentWatch& watch, AgentControl& control);

}  // namespace shmon::tray
