// SPDX-License-Identifier: Apache-2.0
// shmon-tray: the tray icon of a shmon instance (agent up or down, clients, event rate, a warning
// when trouble counters rise) with a menu to start and stop the agent and open the inspector.
// Exit codes: 0 quit, 2 usage, 8 no display, 9 no D-Bus session bus, 10 no shmon-agent program
// (shared/include/shmon/limits.hpp); each failure is one line on stderr.
#include <gio/gio.h>
#include <gtk/gtk.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "agent_control.hpp"
#include "agent_watch.hpp"
#include "process.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"
#include "tray_ui.hpp"

namespace {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "shmon-tray: %s\n", message.c_str());
  return code;
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace shmon;
  CLI::App cli{"shmon-tray: a tray icon to watch, start and stop a shmon agent", "shmon-tray"};
  std::string instance;
  std::string agent;
  cli.add_option("--instance", instance, "agent instance (default: $SHMON_INSTANCE or default)");
  cli.add_option("--agent", agent,
                 "shmon-agent to launch when systemd does not manage the instance (default: next "
                 "to shmon-tray, else on PATH)");
  cli.set_version_flag("--version", std::string("shmon-tray ") + SHMON_VERSION);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);
    return fail(exit_code::kUsage, std::string(e.what()) + " (see shmon-tray --help)");
  }
  instance = resolve_instance_name(instance);
  if (auto bad = check_instance_name(instance)) return fail(exit_code::kUsage, *bad);

  if (env_or("DISPLAY", "").empty() && env_or("WAYLAND_DISPLAY", "").empty()) {
    return fail(
        exit_code::kNoDisplay,
        "no display (DISPLAY and WAYLAND_DISPLAY are unset): start it in a desktop session");
  }
  GError* error = nullptr;
  GDBusConnection* bus = g_bus_get_sync(G_BUS_TYPE_SESSION, nullptr, &error);
  if (!bus) {
    const std::string why = error ? error->message : "unknown error";
    g_clear_error(&error);
    return fail(exit_code::kNoSessionBus,
                "no D-Bus session bus (" + why + "): the tray icon is published on it");
  }
  g_object_unref(bus);
  if (!gtk_init_check(&argc, &argv)) {
    return fail(
        exit_code::kNoDisplay,
        "cannot open display '" + env_or("DISPLAY", env_or("WAYLAND_DISPLAY", "").c_str()) + "'");
  }
  if (!agent.empty() && ::access(agent.c_str(), X_OK) != 0) {
    return fail(exit_code::kNoAgentProgram, "--agent " + agent + " is not an executable program");
  }
  if (agent.empty()) agent = tray::find_program("shmon-agent").value_or("");
  if (agent.empty()) {
    return fail(exit_code::kNoAgentProgram,
                "shmon-agent not found next to shmon-tray or on PATH (use --agent PATH)");
  }
  try {
    tray::AgentWatch watch(instance);
    tray::AgentControl control(agent, instance);
    tray::TrayOptions options{instance, tray::find_program("shmon-inspector").value_or("")};
    return tray::run_tray(options, watch, control);
  } catch (const std::exception& e) {
    return fail(exit_code::kFailure, std::string("fatal: ") + e.what());
  }
}
