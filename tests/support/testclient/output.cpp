// SPDX-License-Identifier: Apache-2.0
#include "output.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace shmon::testclient {

bool parse_args(int argc, char** argv, Args& out) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: shmon-testclient MODE --instance NAME [--name N] [--variant V] [--wait-ms MS] "
        "[--incarnation HEX]\n");
    return false;
  }
  out.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "shmon-testclient: %s needs a value\n", argv[i]);
      return false;
    }
    if (arg == "--instance") {
      out.instance = argv[++i];
    } else if (arg == "--name") {
      out.name = argv[++i];
    } else if (arg == "--variant") {
      out.variant = argv[++i];
    } else if (arg == "--wait-ms") {
      const std::string value = argv[++i];
      char* end = nullptr;
      const unsigned long ms = std::strtoul(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || ms > 600000) {
        std::fprintf(stderr, "shmon-testclient: bad --wait-ms %s\n", value.c_str());
        return false;
      }
      out.wait_ms = std::uint32_t(ms);
    } else if (arg == "--incarnation") {
      const std::string value = argv[++i];
      char* end = nullptr;
      out.incarnation = std::strtoull(value.c_str(), &end, 16);
      if (value.empty() || *end != '\0') {
        std::fprintf(stderr, "shmon-testclient: bad --incarnation %s\n", value.c_str());
        return false;
      }
    } else {
      std::fprintf(stderr, "shmon-testclient: unknown option %s\n", argv[i]);
      return false;
    }
  }
  return true;
}

void say(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

ProbeOptions probe_options(const Args& args) {
  ProbeOptions options;
  options.instance = args.instance;
  options.name = args.name;
  return options;
}

bool await_attach(Probe& probe, const Args& args) {
  if (probe.wait_connected(args.wait_ms)) return true;
  say("NOT CONNECTED " + probe.last_error());
  return false;
}

int flush_then_hold_or_exit(Probe& probe, const Args& args) {
  const FlushResult flushed = probe.flush();
  if (flushed.status != CallStatus::kOk) {
    say(std::string("FLUSH failed ") + to_string(flushed.status));
    return 1;
  }
  say("READY");
  if (args.variant == "hold") {
    char line[256];
    while (std::fgets(line, sizeof line, stdin)) {
    }
  } else if (args.variant != "exit") {
    say("unknown variant " + args.variant);
    return 2;
  }
  return 0;
}

}  // namespace shmon::testclient
