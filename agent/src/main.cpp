// SPDX-License-Identifier: Apache-2.0
// shmon-agent: parses the command line, sets up logging and runs the agent.
#include <cstdio>
#include <exception>

#include "agent.hpp"
#include "logging.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  shmon::agent::Options options;
  if (int code = shmon::agent::parse_options(argc, argv, options); code >= 0) return code;
  try {
    shmon::agent::setup_logging(options.log_level);
    shmon::agent::Agent agent(std::move(options));
    return agent.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%sshmon-agent: fatal: %s\n", shmon::agent::error_line_prefix(), e.what());
    return shmon::exit_code::kFailure;
  }
}
