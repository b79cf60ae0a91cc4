// SPDX-License-Identifier: Apache-2.0
// The inspector's frame loop: each frame draws the menu bar, the status strip and the window
// table (window_table.hpp) from the data source's latest snapshot, then lets the test and bench
// hooks (run_hooks.hpp: --frames, --screenshot, --dump-ui, --bench-frames) do their part.
#pragma once

#include <string>
#include <vector>

namespace shmon::inspector {

struct AppOptions {
  std::string instance;
  std::string name = "shmon-inspector";
  int frames = 0;        // > 0: render this many frames, then exit 0
  int bench_frames = 0;  // > 0: render this many frames unthrottled and print frame times
  std::string screenshot, dump_ui;
  double refresh_hz = 0;            // 0: from settings
  float font_scale = 0;             // 0: from settings (else the monitor's content scale)
  int width = 0, height = 0;        // 0: the size the window had last time (settings)
  std::vector<std::string> expand;  // windows to show uncollapsed at start ("raw", "Telemetry")
  std::string metric;               // opens with this metric selected in Telemetry ("" for none)
  std::string metric_filter;        // opens with this Telemetry filter (words, NAME=VALUE labels)
  std::string metric_group;         // opens grouping Telemetry's series by these labels
  std::string send_command;  // test hook: CLIENT:COMMAND[:PAYLOAD] through the details window
};

int run_app(const AppOptions& options);

}  // namespace shmon::inspector
