// shmonctl: query and watch a running shmon-agent from the command line.
//   shmonctl [--instance NAME] [--timeout-ms MS] <status|clients|metrics|ping|events|watch|state>
//   ...
// Exit codes: 0 success, 1 no agent or runtime failure, 2 usage.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "connection.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"
#include "shmon/stop_signal.hpp"

namespace {

struct CommandLine {
  std::string instance;
  std::uint32_t timeout_ms = 2000;
  bool json = false;
  bool follow = false;
  std::string metric;
  std::uint32_t ping_count = 4;
  std::uint32_t interval_ms = 1000;
  std::uint32_t iterations = 0;
  std::string state_action;  // "" (show) or "reset"
  std::string state_dir;
};

int run(CLI::App& app, const CommandLine& cl) {
  using namespace shmonctl;
  if (!cl.metric.empty()) {
    if (auto problem = shmon::check_metric_name(cl.metric)) {
      throw CtlError(shmon::exit_code::kUsage, "invalid metric name: " + *problem);
    }
  }
  GlobalOptions options{resolve_instance(cl.instance), cl.timeout_ms};
  const std::string command = app.get_subcommands().front()->get_name();
  if (command == "state" && cl.state_action == "reset") {
    return run_state_reset(options.instance, cl.state_dir);
  }
  if (command == "events" || command == "watch" || command == "ping")
    shmon::install_stop_handlers();

  Connection connection(options);
  connection.attach();
  if (command == "status") return run_status(connection, cl.json);
  if (command == "clients") return run_clients(connection, cl.json);
  if (command == "metrics") return run_metrics(connection, cl.metric, cl.json);
  if (command == "ping") return run_ping(connection, cl.ping_count, cl.json);
  if (command == "events") return run_events(connection, cl.follow, cl.json);
  if (command == "state") return run_state(connection, cl.json);
  return run_watch(connection, cl.interval_ms, cl.iterations);
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cl;
  CLI::App app{"Query and watch a running shmon-agent.", "shmonctl"};
  app.require_subcommand(1);
  app.add_option("--instance", cl.instance,
                 "agent instance (default: $SHMON_INSTANCE, else \"default\")");
  app.add_option("--timeout-ms", cl.timeout_ms, "how long to wait for the agent (default 2000)")
      ->check(CLI::Range(1u, 600000u));

  auto* status = app.add_subcommand("status", "agent summary");
  auto* clients = app.add_subcommand("clients", "attached clients");
  auto* metrics = app.add_subcommand("metrics", "metric totals and rates");
  auto* ping = app.add_subcommand("ping", "round trips through the mailbox");
  auto* events = app.add_subcommand("events", "recent events from the agent's buffer");
  auto* watch = app.add_subcommand("watch", "live text view; Ctrl-C quits");
  auto* state = app.add_subcommand(
      "state", "the agent's durable state: where, how big, last durable; `state reset` deletes it");
  state->add_option("ACTION", cl.state_action, "reset: delete the state (no agent may run)")
      ->check(CLI::IsMember({"reset"}));
  state->add_option("--state-dir", cl.state_dir,
                    "state root for reset (default: $SHMON_STATE_DIR, $XDG_STATE_HOME/shmon, "
                    "~/.local/state/shmon)");
  for (auto* sub : {status, clients, metrics, ping, events, state}) {
    sub->add_flag("--json", cl.json, "machine-readable output");
  }
  for (auto* sub : {status, clients, metrics, ping, events, watch, state}) sub->fallthrough();
  metrics->add_option("NAME", cl.metric, "only this metric");
  ping->add_option("--count", cl.ping_count, "number of pings (default 4)")
      ->check(CLI::Range(1u, 1000000u));
  events->add_flag("--follow,-f", cl.follow, "keep printing new events until interrupted");
  watch->add_option("--interval-ms", cl.interval_ms, "redraw period (default 1000)")
      ->check(CLI::Range(10u, 3600000u));
  watch->add_option("--iterations", cl.iterations, "stop after N frames (default: never)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "shmonctl: " << e.what() << " (see shmonctl --help)\n";
    return shmon::exit_code::kUsage;
  }

  try {
    return run(app, cl);
  } catch (const shmonctl::CtlError& e) {
    std::cerr << "shmonctl: " << e.what() << '\n';
    return e.code();
  } catch (const std::exception& e) {
    std::cerr << "shmonctl: " << e.what() << '\n';
    return shmon::exit_code::kFailure;
  }
}
