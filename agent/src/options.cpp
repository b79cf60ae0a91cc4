#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "shmon/names.hpp"

namespace shmon::agent {

int parse_options(int argc, char** argv, Options& out) {
  if (const char* env = std::getenv("SHMON_INSTANCE"); env != nullptr && *env != '\0') {
    out.instance = env;
  }
  CLI::App app{"shmon-agent: serves one shmon instance (shared-memory runtime monitoring)"};
  app.add_option("--instance", out.instance, "instance name (default: $SHMON_INSTANCE or default)");
  app.add_option("--max-clients", out.max_clients, "app clients served at once")
      ->check(CLI::Range(1u, kHardMaxClients));
  app.add_option("--lease-ms", out.lease_ms, "longest time a client may hold the client mutex")
      ->check(CLI::Range(1u, 3'600'000u));
  app.add_option("--log-level", out.log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return exit_code::kOk;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "shmon-agent: %s (see --help)\n", e.what());
    return exit_code::kUsage;
  }
  if (auto bad = check_instance_name(out.instance)) {
    std::fprintf(stderr, "shmon-agent: invalid instance name: %s\n", bad->c_str());
    return exit_code::kUsage;
  }
  return -1;
}

}  // namespace shmon::agent
