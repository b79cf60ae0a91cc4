// SPDX-License-Identifier: Apache-2.0
// What tests, scripts and benchmarks get from a running inspector, in one object:
//   --frames N        render N frames, then exit;
//   --screenshot F    a PNG of the last frame;
//   --dump-ui F       the windows and rows the last frame drew, as JSON (ui_dump.hpp);
//   --bench-frames N  N frames unthrottled once data arrived, then frame and UI times on stdout;
//   always: one stdout line per change of the agent's state ("inspector: connected to agent pid
//   N on instance X", "inspector: agent down on instance X (reason)").
// The frame loop calls it at fixed points of each frame; without options it only announces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app.hpp"
#include "data_source.hpp"

namespace shmon::inspector {

class RunHooks {
 public:
  explicit RunHooks(const AppOptions& options);

  bool bench() const { return options_.bench_frames > 0; }  // unthrottled, no vsync
  bool scripted() const { return total_frames_ > 0; }       // no user: no pointer either

  // Start of a frame that shows `snap`, begun at `frame_start_ns`.
  void begin_frame(const Snapshot& snap, std::uint64_t frame_start_ns);
  // After the windows were drawn.
  void announce_agent_state(const Snapshot& snap);
  // After the frame was rendered (framebuffer `width` x `height`), before the swap; `ui_end_ns`:
  // when ImGui::Render() returned.
  void after_render(const Snapshot& snap, int width, int height, std::uint64_t ui_end_ns);
  // After the swap: true when the run has drawn its last frame.
  bool end_frame();
  // Prints the bench figures (when benchmarking); returns the exit code: 1 if the UI dump could
  // not be written, else 0.
  int finish(int clients) const;

 private:
  AppOptions options_;
  int total_frames_;
  int frame_ = 0, measured_ = 0;
  bool last_ = false, measuring_ = false;
  std::uint64_t frame_start_ns_ = 0;
  std::uint64_t bench_wait_deadline_ns_;
  std::vector<double> frame_ms_, ui_ms_;
  std::string dump_error_;
  int announced_ = -1;  // last agent state printed: 0 down, 1 up
  std::uint64_t announced_generation_changes_ = 0;
};

}  // namespace shmon::inspector
