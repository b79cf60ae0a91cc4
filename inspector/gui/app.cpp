// SPDX-License-Identifier: Apache-2.0
#include "app.hpp"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "data_source.hpp"
#include "gui_window.hpp"
#include "layout_file.hpp"
#include "main_menu.hpp"
#include "run_hooks.hpp"
#include "settings.hpp"
#include "shmon/clock.hpp"
#include "window_table.hpp"

namespace shmon::inspector {
namespace {

constexpr std::uint64_t kSaveSettingsAfterNs = 1'000'000'000;  // of quiet after a change

// Vsync does not throttle everywhere (Xvfb): cap the frame rate ourselves.
void throttle(std::uint64_t frame_start_ns, int fps_cap) {
  const std::uint64_t budget = 1'000'000'000ull / std::uint64_t(std::max(10, fps_cap));
  const std::uint64_t spent = monotonic_ns() - frame_start_ns;
  if (spent < budget) std::this_thread::sleep_for(std::chrono::nanoseconds(budget - spent));
}

// Keeps the window's current size in the settings, so the next run opens at it; true when it
// changed. A minimized window (0x0) or one outside the accepted range changes nothing.
bool remember_size(const GuiWindow& window, Settings& settings) {
  const auto [w, h] = window.window_size();
  if (w < kMinWidth || w > kMaxWidth || h < kMinHeight || h > kMaxHeight) return false;
  if (w == settings.window_width && h == settings.window_height) return false;
  settings.window_width = w;
  settings.window_height = h;
  return true;
}

}  // namespace

int run_app(const AppOptions& opt) {
  const std::string cfg_dir = config_dir();
  Settings settings = load_settings(cfg_dir);
  if (opt.refresh_hz > 0) settings.refresh_hz = opt.refresh_hz;
  if (opt.font_scale > 0) settings.font_scale = opt.font_scale;
  RunHooks hooks(opt);
  auto window = GuiWindow::open("shmon-inspector \xe2\x80\x94 " + opt.instance,
                                opt.width ? opt.width : settings.window_width,
                                opt.height ? opt.height : settings.window_height,
                                /*vsync=*/!hooks.bench());
  if (!window) return 1;
  save_settings(cfg_dir, settings, nullptr);
  const LayoutFile layout(cfg_dir);
  layout.load();
  const auto wanted_scale = [&] {
    return settings.font_scale > 0 ? settings.font_scale : std::max(1.0f, window->content_scale());
  };
  window->set_scale(wanted_scale());

  DataSource source({opt.instance, opt.name, settings.refresh_hz, opt.metric});
  UiState ui;
  ui.selected_metric = opt.metric;
  std::snprintf(ui.metric_filter, sizeof ui.metric_filter, "%s", opt.metric_filter.c_str());
  std::snprintf(ui.metric_group, sizeof ui.metric_group, "%s", opt.metric_group.c_str());
  ui.commands.script = opt.send_command;
  ui.expand_once = opt.expand;
  std::uint64_t settings_dirty_ns = 0;
  while (!window->should_close()) {
    const std::uint64_t frame_start = monotonic_ns();
    window->poll_events();
    if (wanted_scale() != window->scale()) window->set_scale(wanted_scale());
    const std::shared_ptr<const Snapshot> snap = source.snapshot();
    hooks.begin_frame(*snap, frame_start);
    window->new_frame(/*no_pointer=*/hooks.scripted());

    // Menu bar, then the status strip under it; windows are laid out below both.
    ViewContext ctx{*snap, source, settings, ui, window->fonts().mono};
    const MenuResult menu = draw_main_menu(ctx, window->scale(), cfg_dir);
    if (menu.settings_changed) settings_dirty_ns = monotonic_ns();
    const float top =
        menu.height + draw_status_strip(ctx, menu.height, ImGui::GetIO().DisplaySize.x);
    handle_window_shortcuts(ctx);
    draw_windows(ctx, top, menu.reset_layout);
    draw_client_details(ctx);
    hooks.announce_agent_state(*snap);  // after drawing it

    ImGui::Render();
    const std::uint64_t ui_end = monotonic_ns();
    const auto [width, height] = window->render();
    hooks.after_render(*snap, width, height, ui_end);
    window->swap();
    if (hooks.end_frame()) break;

    if (remember_size(*window, settings)) settings_dirty_ns = monotonic_ns();
    if (settings_dirty_ns && monotonic_ns() - settings_dirty_ns > kSaveSettingsAfterNs) {
      save_settings(cfg_dir, settings, nullptr);
      settings_dirty_ns = 0;
    }
    layout.save_if_changed();
    if (!hooks.bench()) throttle(frame_start, settings.fps_cap);
  }
  const int code = hooks.finish(int(source.snapshot()->clients.size()));
  save_settings(cfg_dir, settings, nullptr);
  layout.save();
  return code;
}

}  // namespace shmon::inspector
