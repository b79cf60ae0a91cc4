// SPDX-License-Identifier: Apache-2.0
#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "metrics_http.hpp"
#include "shmon/names.hpp"
#include "shmon/version.hpp"

namespace shmon::agent {

int parse_options(int argc, char** argv, Options& out) {
  CLI::App app{"shmon-agent: serves one shmon instance (shared-memory runtime monitoring)",
               "shmon-agent"};
  std::string instance;
  app.add_option("--instance", instance, "instance name (default: $SHMON_INSTANCE or default)");
  app.add_option("--max-clients", out.max_clients, "app clients served at once")
      ->check(CLI::Range(1u, kHardMaxClients));
  app.add_option("--lease-ms", out.lease_ms, "longest time a client may hold the client mutex")
      ->check(CLI::Range(1u, 3'600'000u));
  app.add_option("--state-dir", out.state_dir,
                 "durable state root (default: $SHMON_STATE_DIR, $XDG_STATE_HOME/shmon or "
                 "~/.local/state/shmon); the instance's state is in DIR/INSTANCE");
  app.add_flag("--no-state", out.no_state,
               "keep no durable state: run from memory only (a state directory that cannot be "
               "used is otherwise an error, exit code 14)");
  app.add_option("--event-log-records", out.event_log_records,
                 "events the log keeps (64 bytes each; rounded up to a power of two)")
      ->check(CLI::Range(std::uint64_t(1024), std::uint64_t(1) << 26));
  app.add_option("--state-sync-ms", out.state_sync_ms,
                 "how often the state is made durable against a power cut (fsync/msync)")
      ->check(CLI::Range(100u, 3'600'000u));
  app.add_option("--state-wait-ms", out.state_wait_ms,
                 "at start, how long to retry a state store whose storage fails (full disk, I/O "
                 "error) before giving up with exit code 15")
      ->check(CLI::Range(0u, 86'400'000u))
      ->capture_default_str();
  app.add_option("--metrics-listen", out.metrics_listen,
                 "Prometheus /metrics endpoint HOST:PORT ([V6]:PORT; port 0 picks a free one; "
                 "empty turns it off)")
      ->capture_default_str();
  app.add_flag("--metrics-per-client", out.metrics_per_client,
               "also export one series per attached client (<name>_by_client{client=...})");
  app.add_option("--max-series", out.max_series,
                 "distinct series (metric name + labels) the agent keeps for its life, restored "
                 "ones included; one client may hold half, the last tenth is kept for small "
                 "clients; more are refused (docs/DESIGN.md, \"The series bound\")")
      ->check(CLI::Range(1u, 10'000'000u))
      ->capture_default_str();
  app.add_option("--log-level", out.log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.footer(
      "Exit codes: 0 clean stop (SIGINT/SIGTERM), 1 failure, 2 usage, 3 another agent serves the "
      "instance, 4 cannot create its socket or shared memory, 7 socket activation passed another "
      "socket, 14 the state directory cannot be used (use --no-state to run from memory), 15 the "
      "state storage kept failing (full disk, I/O error) for --state-wait-ms.");
  app.set_version_flag("--version", std::string("shmon-agent ") + version_string());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return exit_code::kOk;
  } catch (const CLI::CallForVersion&) {
    std::printf("shmon-agent %s\n", version_string());
    return exit_code::kOk;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "shmon-agent: %s (see --help)\n", e.what());
    return exit_code::kUsage;
  }
  out.instance = resolve_instance_name(instance);
  if (auto bad = check_instance_name(out.instance)) {
    std::fprintf(stderr, "shmon-agent: invalid instance name: %s\n", bad->c_str());
    return exit_code::kUsage;
  }
  if (!out.metrics_listen.empty()) {
    std::string error;
    if (!parse_listen_address(out.metrics_listen, error)) {
      std::fprintf(stderr, "shmon-agent: invalid --metrics-listen '%s': %s\n",
                   out.metrics_listen.c_str(), error.c_str());
      return exit_code::kUsage;
    }
  }
  return -1;
}

}  // namespace shmon::agent
