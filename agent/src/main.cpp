// shmon-agent: parses the command line, sets up logging and runs the agent.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "agent.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  shmon::agent::Options options;
  if (int code = shmon::agent::parse_options(argc, argv, options); code >= 0) return code;
  try {
    auto logger = spdlog::stderr_color_mt("shmon-agent");
    logger->set_level(spdlog::level::from_str(options.log_level));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
    spdlog::set_default_logger(logger);
    shmon::agent::Agent agent(std::move(options));
    return agent.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shmon-agent: fatal: %s\n", e.what());
    return shmon::exit_code::kFailure;
  }
}
