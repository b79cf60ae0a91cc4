// Command line of shmon-agent.
#pragma once

#include <cstdint>
#include <string>

#include "shmon/limits.hpp"

namespace shmon::agent {

struct Options {
  std::string instance = kDefaultInstance;
  std::uint32_t max_clients = kDefaultMaxClients;
  std::uint32_t lease_ms = kDefaultLeaseMs;
  std::string log_level = "info";
};

// Parses argv. Returns the exit code to leave with (0 after --help, 2 on a usage error, having
// printed a one-line message), or -1 to go on with `out` filled.
int parse_options(int argc, char** argv, Options& out);

}  // namespace shmon::agent
