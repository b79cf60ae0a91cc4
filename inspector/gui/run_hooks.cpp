// SPDX-License-Identifier: Apache-2.0
#include "run_hooks.hpp"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstdio>

#include "screenshot.hpp"
#include "shmon/clock.hpp"
#include "ui_dump.hpp"

namespace shmon::inspector {
namespace {

// A bench measures frames with data: it waits (this long at most) for the first answer.
constexpr std::uint64_t kBenchWaitNs = 5'000'000'000ull;

std::string summary(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  const auto pct = [&](double q) { return v[std::min(v.size() - 1, std::size_t(q * v.size()))]; };
  char buf[160];
  std::snprintf(buf, sizeof buf, "mean %.2f ms, p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                sum / double(v.size()), pct(0.5), pct(0.99), v.back());
  return buf;
}

}  // namespace

RunHooks::RunHooks(const AppOptions& options)
    : options_(options),
      total_frames_(options.bench_frames > 0 ? options.bench_frames : options.frames),
      bench_wait_deadline_ns_(monotonic_ns() + kBenchWaitNs) {}

void RunHooks::begin_frame(const Snapshot& snap, std::uint64_t frame_start_ns) {
  frame_start_ns_ = frame_start_ns;
  measuring_ = bench() && (snap.refreshes > 1 || monotonic_ns() > bench_wait_deadline_ns_);
  last_ =
      total_frames_ > 0 && (bench() ? measured_ + 1 >= total_frames_ : frame_ + 1 >= total_frames_);
  ui_dump().start_frame(last_ && !options_.dump_ui.empty());
}

void RunHooks::announce_agent_state(const Snapshot& snap) {
  if (snap.placeholder) return;
  const int up = snap.agent_up ? 1 : 0;
  if (up == announced_ && (!up || snap.generation_changes == announced_generation_changes_)) {
    return;
  }
  if (up) {
    std::printf("inspector: connected to agent pid %lld on instance %s\n",
                static_cast<long long>(snap.status.pid), snap.instance.c_str());
  } else {
    std::printf("inspector: agent down on instance %s (%s)\n", snap.instance.c_str(),
                snap.down_reason.c_str());
  }
  std::fflush(stdout);
  announced_ = up;
  announced_generation_changes_ = snap.generation_changes;
}

void RunHooks::after_render(const Snapshot& snap, int width, int height, std::uint64_t ui_end_ns) {
  if (last_ && !options_.screenshot.empty()) {
    std::string err;
    if (!save_framebuffer_png(options_.screenshot, width, height, &err)) {
      std::fprintf(stderr, "shmon-inspector: screenshot: %s\n", err.c_str());
    }
  }
  if (last_ && !options_.dump_ui.empty()) {
    char extra[256];
    std::snprintf(extra, sizeof extra,
                  "{\"frames\":%d,\"agent_up\":%s,\"instance\":\"%s\",\"refreshes\":%llu}",
                  frame_ + 1, snap.agent_up ? "true" : "false", snap.instance.c_str(),
                  static_cast<unsigned long long>(snap.refreshes));
    if (!ui_dump().write(options_.dump_ui, extra, &dump_error_)) {
      std::fprintf(stderr, "shmon-inspector: dump: %s\n", dump_error_.c_str());
    }
  }
  if (measuring_) {
    glFinish();  // count the GPU's share too
    frame_ms_.push_back(double(monotonic_ns() - frame_start_ns_) / 1e6);
    ui_ms_.push_back(double(ui_end_ns - frame_start_ns_) / 1e6);
    ++measured_;
  }
}

bool RunHooks::end_frame() {
  ++frame_;
  return last_;
}

int RunHooks::finish(int clients) const {
  if (bench() && !frame_ms_.empty()) {
    std::printf("inspector: bench %zu frames with %d clients: frame time %s; UI time %s\n",
                frame_ms_.size(), clients, summary(frame_ms_).c_str(), summary(ui_ms_).c_str());
    std::fflush(stdout);
  }
  return dump_error_.empty() ? 0 : 1;
}

}  // namespace shmon::inspector
