// The window: GLFW + OpenGL 3 + Dear ImGui, the frame loop, the default layout, menus,
// keyboard shortcuts, and the test/bench hooks (--frames, --screenshot, --dump-ui,
// --bench-frames).
#pragma once

#include <string>

namespace shmon::inspector {

struct AppOptions {
  std::string instance;
  std::string name = "shmon-inspector";
  int frames = 0;        // > 0: render this many frames, then exit 0
  int bench_frames = 0;  // > 0: render this many frames unthrottled and print frame times
  std::string screenshot, dump_ui;
  double refresh_hz = 0;  // 0: from settings
  float font_scale = 0;   // 0: from settings (else the monitor's content scale)
  int width = 1280, height = 800;
  std::string metric;  // opens with this metric selected in Telemetry ("" for none)
};

int run_app(const AppOptions& options);

}  // namespace shmon::inspector
