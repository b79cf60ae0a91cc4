// SPDX-License-Identifier: Apache-2.0
// shmonctl: query and watch a running shmon-agent from the command line.
//   shmonctl [--instance NAME] [--timeout-ms MS]
//            <status|clients|metrics|ping|events|watch|state|send|commands> ...
// Exit codes (shmon/limits.hpp): 0 success, 1 no agent or runtime failure, 2 usage, 5 no such
// metric (metrics NAME), 6 standard output could not be written; send/commands: 8 no such client,
// 9 no such command, 10 timeout, 11 the client died, 12 payload too large, 13 the command failed.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "connection.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"
#include "shmon/stop_signal.hpp"
#include "suggest.hpp"

namespace {

struct CommandLine {
  std::string instance;
  std::uint32_t timeout_ms = 2000;
  bool json = false;
  shmonctl::EventsView events;
  bool raw = false;         // send: the reply's bytes exactly
  bool names_only = false;  // clients: the live apps' names alone
  std::string metric;
  shmonctl::QuantileView quantiles;
  shmonctl::SeriesSelection series;
  std::uint32_t ping_count = 4;
  std::uint32_t interval_ms = 1000;
  std::uint32_t iterations = 0;
  std::string state_action;  // "" (show) or "reset"
  std::string state_dir;
  std::string client;  // send, commands
  std::string command;
  std::string payload;
};

int run(CLI::App& app, const CommandLine& cl) {
  using namespace shmonctl;
  if (!cl.metric.empty()) {
    if (auto problem = shmon::check_metric_name(cl.metric)) {
      throw CtlError(shmon::exit_code::kUsage, "invalid metric name: " + *problem);
    }
  }
  const std::string command = app.get_subcommands().front()->get_name();
  const bool endless = command == "watch" || (command == "events" && cl.events.follow);
  GlobalOptions options{resolve_instance(cl.instance), cl.timeout_ms, !endless};
  if (command == "state" && cl.state_action == "reset") {
    return run_state_reset(options, cl.state_dir);
  }
  if (command == "instances") {  // the runtime directory alone: no agent needed
    const int code = run_instances(cl.json);
    check_output();
    return code;
  }
  if (command == "events" || command == "watch" || command == "ping")
    shmon::install_stop_handlers();

  Connection connection(options);
  // What reads only the directory takes no tool slot (docs/DESIGN.md, "Tools share the agent").
  if ((command == "status" || command == "clients") && !cl.json)
    connection.view();
  else
    connection.attach();
  int code = 0;
  if (command == "status") code = run_status(connection, cl.json);
  if (command == "clients") code = run_clients(connection, cl.json, cl.names_only);
  if (command == "metrics")
    code = run_metrics(connection, cl.metric, cl.quantiles, cl.series, cl.json);
  if (command == "ping") code = run_ping(connection, cl.ping_count, cl.json);
  if (command == "events") code = run_events(connection, cl.events, cl.json);
  if (command == "state") code = run_state(connection, cl.json);
  if (command == "watch") code = run_watch(connection, cl.interval_ms, cl.iterations);
  if (command == "send")
    code = run_send(connection, cl.client, cl.command, cl.payload, cl.json, cl.raw);
  if (command == "commands") code = run_commands(connection, cl.client, cl.json);
  check_output();
  return code;
}

}  // namespace

namespace shmonctl {

void check_output() {
  errno = 0;
  std::cout.flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0 || !std::cout.good()) {
    const int err = errno;
    std::clearerr(stdout);
    throw CtlError(shmon::exit_code::kOutputFailed,
                   std::string("cannot write to standard output") +
                       (err != 0 ? std::string(": ") + std::strerror(err) : std::string()));
  }
}

}  // namespace shmonctl

int main(int argc, char** argv) {
  CommandLine cl;
  CLI::App app{"Query and watch a running shmon-agent.", "shmonctl"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("shmonctl ") + SHMON_VERSION);
  app.add_option("--instance", cl.instance,
                 "agent instance (default: $SHMON_INSTANCE, else \"default\")");
  app.add_option("--timeout-ms", cl.timeout_ms,
                 "how long the whole command may take, a wait for a free tool slot included "
                 "(watch, events --follow: each step); default 2000")
      ->check(CLI::Range(1u, 600000u));

  auto* status = app.add_subcommand("status", "agent summary");
  auto* instances = app.add_subcommand(
      "instances", "the instances with an agent's socket in the runtime directory, one a line");
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
  auto* send = app.add_subcommand(
      "send", "run a command in an app and print its reply (exit codes: shmonctl --help)");
  send->add_option("CLIENT", cl.client, "the app: its name, or its slot")->required();
  send->add_option("COMMAND", cl.command, "the command's name (see shmonctl commands CLIENT)")
      ->required();
  send->add_option("PAYLOAD", cl.payload, "the command's payload (up to 1024 bytes)");
  auto* commands = app.add_subcommand("commands", "the commands an app offers");
  commands->add_option("CLIENT", cl.client, "the app: its name, or its slot")->required();
  app.footer(
      "Exit codes: 0 ok, 1 no agent or failure, 2 usage (or an ambiguous client name), 5 no such "
      "metric, 6 stdout not writable, 8 no such client, 9 no such command, 10 timeout, 11 the "
      "client died, 12 payload too large, 13 the command failed or was refused.");
  for (auto* sub : {status, instances, clients, metrics, ping, events, state, send, commands}) {
    sub->add_flag("--json", cl.json, "machine-readable output");
  }
  clients->add_flag("--names", cl.names_only,
                    "only the names of the live apps, one a line (for scripts and completion)");
  for (auto* sub :
       {status, instances, clients, metrics, ping, events, watch, state, send, commands}) {
    sub->fallthrough();
    sub->footer(
        "Global options, before or after the command: --instance NAME (default: "
        "$SHMON_INSTANCE, else \"default\"), --timeout-ms MS (default 2000). Exit codes: "
        "shmonctl --help.");
  }
  metrics->add_option("NAME", cl.metric, "only this metric (all its label sets)");
  metrics->add_option("--label,-l", cl.series.labels,
                      "only series with this label value, NAME=VALUE (repeat to require several)");
  metrics
      ->add_option("--group-by", cl.series.group_by,
                   "sum series into one row per value of these labels (LABEL[,LABEL...])")
      ->delimiter(',');
  metrics->add_flag("--sum", cl.series.sum, "sum every label set of a metric into one row");
  auto* window =
      metrics
          ->add_option(
              "--window", cl.quantiles.window_s,
              "histogram quantiles over the last DURATION (90, 30s, 5m; up to 10m; default 60s)")
          ->transform(
              CLI::AsNumberWithUnit(std::map<std::string, std::uint32_t>{{"s", 1}, {"m", 60}},
                                    CLI::AsNumberWithUnit::UNIT_OPTIONAL, "DURATION"))
          ->check(CLI::Range(1u, 600u));
  metrics
      ->add_flag("--lifetime", cl.quantiles.lifetime, "histogram quantiles since the metric began")
      ->excludes(window);
  ping->add_option("--count", cl.ping_count, "number of pings (default 4)")
      ->check(CLI::Range(1u, 1000000u));
  events->add_flag("--follow,-f", cl.events.follow,
                   "keep printing new events until interrupted (starts with the newest 10)");
  events->add_option("-n,--limit", cl.events.limit, "only the newest N events (default: all kept)")
      ->check(CLI::Range(std::uint64_t(1), std::uint64_t(1) << 32));
  send->add_flag("--raw", cl.raw, "print the reply's bytes exactly (no newline added)");
  watch->add_option("--interval-ms", cl.interval_ms, "redraw period (default 1000)")
      ->check(CLI::Range(10u, 3600000u));
  watch->add_option("--iterations", cl.iterations, "stop after N frames (default: never)");

  if (auto typo = shmonctl::unknown_command(app, argc, argv)) {
    std::cerr << "shmonctl: " << *typo << '\n';
    return shmon::exit_code::kUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "shmonctl: " << e.what() << " (see shmonctl --help)\n";
    return shmon::exit_code::kUsage;
  }

  try {
    return run(app, cl);
  } catch (const shmonctl::CtlError& e) {
    std::cerr << "shmonctl: " << e.what() << '\n';
    // What was printed before the failure may still sit in the buffer of a closed stdout.
    std::clearerr(stdout);
    return e.code();
  } catch (const std::exception& e) {
    std::cerr << "shmonctl: " << e.what() << '\n';
    return shmon::exit_code::kFailure;
  }
}
