// SPDX-License-Identifier: Apache-2.0
// shmon-inspector [--instance NAME]: a window onto one agent's traffic.
// Exit codes: 0 success (and --help, --version), 1 no window or a failed test hook, 2 usage.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "app.hpp"
#include "settings.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"

int main(int argc, char** argv) {
  shmon::inspector::AppOptions opt;
  CLI::App cli{"shmon-inspector: watch a shmon agent's clients, mutex, timeouts and regions",
               "shmon-inspector"};
  cli.add_option("--instance,-i", opt.instance,
                 "agent instance (default: $SHMON_INSTANCE or 'default')");
  cli.add_option("--name", opt.name, "client name shown in the agent's client list");
  cli.add_option("--refresh-hz", opt.refresh_hz, "refreshes per second (default 4, persisted)")
      ->check(CLI::Range(shmon::inspector::kMinRefreshHz, shmon::inspector::kMaxRefreshHz));
  cli.add_option("--font-scale", opt.font_scale, "font scale for high-DPI screens (persisted)")
      ->check(CLI::Range(shmon::inspector::kMinFontScale, shmon::inspector::kMaxFontScale));
  cli.add_option("--width", opt.width, "window width (default: the last run's, else 1280)")
      ->check(CLI::Range(shmon::inspector::kMinWidth, shmon::inspector::kMaxWidth));
  cli.add_option("--height", opt.height, "window height (default: the last run's, else 800)")
      ->check(CLI::Range(shmon::inspector::kMinHeight, shmon::inspector::kMaxHeight));
  cli.add_option("--expand", opt.expand,
                 "open with this window shown and not collapsed (e.g. raw, telemetry)");
  cli.add_option("--metric", opt.metric,
                 "open with this metric selected (histograms: quantiles and a heatmap)");
  cli.add_option("--metric-filter", opt.metric_filter,
                 "open with this Telemetry filter: name words and NAME=VALUE labels");
  cli.add_option("--group-by", opt.metric_group,
                 "open with Telemetry's series summed by these labels (LABEL[,LABEL]; * = all)");
  cli.add_option("--frames", opt.frames, "render N frames, then exit 0 (tests)")
      ->check(CLI::PositiveNumber);
  cli.add_option("--screenshot", opt.screenshot, "with --frames: PNG of the last frame");
  cli.add_option("--dump-ui", opt.dump_ui, "with --frames: JSON of the windows and rows drawn");
  cli.add_option(
      "--send-command", opt.send_command,
      "with --frames: open CLIENT's details and send COMMAND (CLIENT:COMMAND[:PAYLOAD])");
  cli.add_option("--bench-frames", opt.bench_frames,
                 "render N frames unthrottled once data arrived and print frame times")
      ->check(CLI::PositiveNumber);
  cli.set_version_flag("--version", std::string("shmon-inspector ") + SHMON_VERSION);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);  // --help, --version
    std::fprintf(stderr, "shmon-inspector: %s (see shmon-inspector --help)\n", e.what());
    return shmon::exit_code::kUsage;
  }

  opt.instance = shmon::resolve_instance_name(opt.instance);
  if (auto bad = shmon::check_instance_name(opt.instance)) {
    std::fprintf(stderr, "shmon-inspector: %s\n", bad->c_str());
    return shmon::exit_code::kUsage;
  }
  if (auto bad = shmon::check_client_name(opt.name)) {
    std::fprintf(stderr, "shmon-inspector: %s\n", bad->c_str());
    return shmon::exit_code::kUsage;
  }
  // A closed pipe on stdout must not kill the window; the agent is never signalled by us.
  std::signal(SIGPIPE, SIG_IGN);
  return shmon::inspector::run_app(opt);
}
