#include "app.hpp"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "data_source.hpp"
#include "fonts.hpp"
#include "screenshot.hpp"
#include "settings.hpp"
#include "shmon/clock.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {
namespace {

void apply_style(float scale) {
  ImGui::StyleColorsDark();
  ImGuiStyle& st = ImGui::GetStyle();
  st.WindowRounding = 4;
  st.FrameRounding = 3;
  st.GrabRounding = 3;
  st.TabRounding = 3;
  st.ScrollbarRounding = 3;
  st.WindowPadding = ImVec2(8, 6);
  st.ItemSpacing = ImVec2(7, 4);
  st.CellPadding = ImVec2(5, 2);
  ImVec4* c = st.Colors;
  c[ImGuiCol_WindowBg] = ImVec4(0.105f, 0.115f, 0.14f, 1);
  c[ImGuiCol_ChildBg] = ImVec4(0.09f, 0.10f, 0.12f, 0.6f);
  c[ImGuiCol_TitleBg] = ImVec4(0.13f, 0.16f, 0.22f, 1);
  c[ImGuiCol_TitleBgActive] = ImVec4(0.17f, 0.25f, 0.38f, 1);
  c[ImGuiCol_Header] = ImVec4(0.22f, 0.36f, 0.56f, 0.55f);
  c[ImGuiCol_TableRowBgAlt] = ImVec4(1, 1, 1, 0.035f);
  c[ImGuiCol_TableHeaderBg] = ImVec4(0.16f, 0.19f, 0.25f, 1);
  st.ScaleAllSizes(scale);
}

// The default layout, fitted to the window the first time (ImGui's ini keeps the user's own).
struct Layout {
  ImVec2 pos, size;
};
Layout layout_for(const char* name, ImVec2 d, float top) {
  const float h = d.y - top, lw = d.x * 0.29f, rw = d.x - lw;
  const std::string n = name;
  if (n == "Agent") return {{0, top}, {lw, h * 0.36f}};
  if (n == "Mutex") return {{0, top + h * 0.36f}, {lw, h * 0.42f}};
  if (n == "Timeouts") return {{0, top + h * 0.78f}, {lw, h * 0.22f}};
  if (n == "Clients") return {{lw, top}, {rw, h * 0.36f}};
  if (n == "Telemetry") return {{lw, top + h * 0.36f}, {rw * 0.38f, h * 0.64f}};
  return {{lw + rw * 0.38f, top + h * 0.36f}, {rw * 0.62f, h * 0.64f}};  // Raw region
}

// Frame time (everything up to a finished GL frame) and UI time (building the frame's windows,
// the part that grows with the number of clients; the rest is the GL driver's rasterization).
struct FrameStats {
  std::vector<double> frame_ms, ui_ms;
  static std::string summary(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (double x : v) sum += x;
    const auto pct = [&](double q) { return v[std::min(v.size() - 1, std::size_t(q * v.size()))]; };
    char buf[160];
    std::snprintf(buf, sizeof buf, "mean %.2f ms, p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                  sum / double(v.size()), pct(0.5), pct(0.99), v.back());
    return buf;
  }
  void print(int clients) const {
    if (frame_ms.empty()) return;
    std::printf("inspector: bench %zu frames with %d clients: frame time %s; UI time %s\n",
                frame_ms.size(), clients, summary(frame_ms).c_str(), summary(ui_ms).c_str());
    std::fflush(stdout);
  }
};

}  // namespace

int run_app(const AppOptions& opt) {
  const std::string cfg_dir = config_dir();
  Settings settings = load_settings(cfg_dir);
  if (opt.refresh_hz > 0) settings.refresh_hz = opt.refresh_hz;
  if (opt.font_scale > 0) settings.font_scale = opt.font_scale;

  glfwSetErrorCallback([](int code, const char* text) {
    std::fprintf(stderr, "shmon-inspector: GLFW error %d: %s\n", code, text);
  });
  if (!glfwInit()) {
    std::fprintf(stderr, "shmon-inspector: cannot open a window (no display?)\n");
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
  const std::string title = "shmon-inspector \xe2\x80\x94 " + opt.instance;
  GLFWwindow* window = glfwCreateWindow(opt.width, opt.height, title.c_str(), nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr, "shmon-inspector: cannot create an OpenGL 3.3 window\n");
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  const bool bench = opt.bench_frames > 0;
  glfwSwapInterval(bench ? 0 : 1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  const std::string ini = cfg_dir + "/inspector-imgui.ini";
  // Window layout persists in the config directory. ImGui's own file I/O would follow a FIFO or
  // a device: we read (bounded, regular files only) and write (atomically) for it.
  save_settings(cfg_dir, settings, nullptr);
  io.IniFilename = nullptr;
  if (std::string text; read_small_file(ini, kMaxSettingsFile, text, nullptr)) {
    ImGui::LoadIniSettingsFromMemory(text.data(), text.size());
  }
  const auto save_layout = [&] {
    std::size_t size = 0;
    const char* text = ImGui::SaveIniSettingsToMemory(&size);
    write_file_atomically(ini, std::string(text, size), nullptr);
    io.WantSaveIniSettings = false;
  };
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  float content_scale = 1;
  glfwGetWindowContentScale(window, &content_scale, nullptr);
  float applied_scale =
      settings.font_scale > 0 ? settings.font_scale : std::max(1.0f, content_scale);
  apply_style(applied_scale);
  Fonts fonts = load_fonts(applied_scale);
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 150");

  DataSource source({opt.instance, opt.name, settings.refresh_hz, opt.metric});
  UiState ui;
  ui.selected_metric = opt.metric;
  FrameStats stats;
  int announced = -1;  // last agent state printed on stdout: 0 down, 1 up
  std::uint64_t announced_generation_changes = 0;
  bool reset_layout = false;
  std::string dump_error;
  const int total_frames = bench ? opt.bench_frames : opt.frames;
  int frame = 0, measured = 0;
  std::uint64_t settings_dirty_ns = 0;
  const std::uint64_t bench_wait_deadline = monotonic_ns() + 5'000'000'000ull;

  while (!glfwWindowShouldClose(window)) {
    const std::uint64_t frame_start = monotonic_ns();
    glfwPollEvents();
    const float want_scale =
        settings.font_scale > 0 ? settings.font_scale : std::max(1.0f, content_scale);
    if (want_scale != applied_scale) {
      applied_scale = want_scale;
      apply_style(applied_scale);
      fonts = load_fonts(applied_scale);
      ImGui_ImplOpenGL3_DestroyFontsTexture();
      ImGui_ImplOpenGL3_CreateFontsTexture();
    }
    std::shared_ptr<const Snapshot> snap = source.snapshot();
    // A bench measures frames with data: wait (bounded) for the first answer.
    const bool measuring = bench && (snap->refreshes > 1 || monotonic_ns() > bench_wait_deadline);
    const bool last =
        total_frames > 0 && (bench ? measured + 1 >= total_frames : frame + 1 >= total_frames);
    ui_dump().start_frame(last && !opt.dump_ui.empty());

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    // Scripted runs have no user: keep the (virtual) pointer from raising tooltips.
    if (total_frames > 0) io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    ImGui::NewFrame();
    ViewContext ctx{*snap, source, settings, ui, fonts.mono};

    // Menu bar, then the status strip under it; windows are laid out below both.
    float top = 0;
    if (ImGui::BeginMainMenuBar()) {
      if (ImGui::BeginMenu("View")) {
        ImGui::MenuItem("Agent", "Ctrl+1", &settings.show_agent);
        ImGui::MenuItem("Clients", "Ctrl+2", &settings.show_clients);
        ImGui::MenuItem("Mutex", "Ctrl+3", &settings.show_mutex);
        ImGui::MenuItem("Timeouts", "Ctrl+4", &settings.show_timeouts);
        ImGui::MenuItem("Telemetry", "Ctrl+5", &settings.show_telemetry);
        ImGui::MenuItem("Raw region", "Ctrl+6", &settings.show_raw);
        ImGui::Separator();
        if (ImGui::MenuItem("Reset layout")) reset_layout = true;
        ImGui::EndMenu();
      }
      if (ImGui::BeginMenu("Settings")) {
        float hz = float(settings.refresh_hz);
        if (ImGui::SliderFloat("refresh (Hz)", &hz, 0.5f, 20.0f, "%.1f")) {
          settings.refresh_hz = hz;
          source.set_refresh_hz(hz);
          settings_dirty_ns = monotonic_ns();
        }
        float scale = settings.font_scale > 0 ? settings.font_scale : applied_scale;
        if (ImGui::SliderFloat("font scale", &scale, 0.75f, 3.0f, "%.2f")) {
          settings.font_scale = scale;
          settings_dirty_ns = monotonic_ns();
        }
        if (ImGui::SliderInt("max fps", &settings.fps_cap, 10, 240))
          settings_dirty_ns = monotonic_ns();
        ImGui::TextDisabled("saved in %s", cfg_dir.c_str());
        ImGui::EndMenu();
      }
      if (ImGui::BeginMenu("Help")) {
        ImGui::TextUnformatted(
            "Ctrl+1..6  focus a window (opens it)\n"
            "Ctrl+Tab   cycle windows;  arrows/Enter/Space: move, activate\n"
            "Ctrl+F     filter clients;  Esc: close client details\n"
            "Raw view:  arrows, PgUp/PgDn, Home/End move the byte cursor; F freezes\n"
            "Telemetry: pause checkbox stops the event tail");
        ImGui::EndMenu();
      }
      ImGui::TextDisabled("   instance %s", snap->instance.c_str());
      top = ImGui::GetWindowSize().y;
      ImGui::EndMainMenuBar();
    }
    top += draw_status_strip(ctx, top, io.DisplaySize.x);

    // Keyboard: Ctrl+1..6 focus windows, Ctrl+F the client filter.
    static const char* const kNames[] = {"Agent",    "Clients",   "Mutex",
                                         "Timeouts", "Telemetry", "Raw region"};
    bool* shows[] = {&settings.show_agent,    &settings.show_clients,   &settings.show_mutex,
                     &settings.show_timeouts, &settings.show_telemetry, &settings.show_raw};
    if (io.KeyCtrl && !io.WantTextInput) {
      for (int i = 0; i < 6; ++i) {
        if (ImGui::IsKeyPressed(GLFW_KEY_1 + i, false)) {
          *shows[i] = true;
          ImGui::SetWindowFocus(kNames[i]);
        }
      }
    }
    if (io.KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_F, false)) {
      settings.show_clients = true;
      ImGui::SetWindowFocus("Clients");
      ui.focus_filter = true;
    }
    for (int i = 0; i < 6; ++i) {
      const Layout l = layout_for(kNames[i], io.DisplaySize, top);
      const ImGuiCond cond = reset_layout ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
      ImGui::SetNextWindowPos(l.pos, cond);
      ImGui::SetNextWindowSize(l.size, cond);
      if (!*shows[i]) continue;
      switch (i) {
        case 0:
          draw_agent_view(ctx, shows[i]);
          break;
        case 1:
          draw_clients_view(ctx, shows[i]);
          break;
        case 2:
          draw_mutex_view(ctx, shows[i]);
          break;
        case 3:
          draw_timeouts_view(ctx, shows[i]);
          break;
        case 4:
          draw_telemetry_view(ctx, shows[i]);
          break;
        default:
          draw_raw_view(ctx, shows[i]);
          break;
      }
    }
    if (!settings.show_raw) source.want_data_region(-1);
    reset_layout = false;
    draw_client_details(ctx);

    // Tell scripts (and tests) about the agent's state once per change, after drawing it.
    if (!snap->placeholder) {
      const int up = snap->agent_up ? 1 : 0;
      if (up != announced || (up && snap->generation_changes != announced_generation_changes)) {
        if (up) {
          std::printf("inspector: connected to agent pid %lld on instance %s\n",
                      static_cast<long long>(snap->status.pid), snap->instance.c_str());
        } else {
          std::printf("inspector: agent down on instance %s (%s)\n", snap->instance.c_str(),
                      snap->down_reason.c_str());
        }
        std::fflush(stdout);
        announced = up;
        announced_generation_changes = snap->generation_changes;
      }
    }

    ImGui::Render();
    const std::uint64_t ui_end = monotonic_ns();
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    glViewport(0, 0, fb_w, fb_h);
    glClearColor(0.06f, 0.07f, 0.09f, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (last && !opt.screenshot.empty()) {
      std::string err;
      if (!save_framebuffer_png(opt.screenshot, fb_w, fb_h, &err)) {
        std::fprintf(stderr, "shmon-inspector: screenshot: %s\n", err.c_str());
      }
    }
    if (last && !opt.dump_ui.empty()) {
      char extra[256];
      std::snprintf(extra, sizeof extra,
                    "{\"frames\":%d,\"agent_up\":%s,\"instance\":\"%s\",\"refreshes\":%llu}",
                    frame + 1, snap->agent_up ? "true" : "false", snap->instance.c_str(),
                    static_cast<unsigned long long>(snap->refreshes));
      if (!ui_dump().write(opt.dump_ui, extra, &dump_error)) {
        std::fprintf(stderr, "shmon-inspector: dump: %s\n", dump_error.c_str());
      }
    }
    if (bench && measuring) {
      glFinish();  // count the GPU's share too
      stats.frame_ms.push_back(double(monotonic_ns() - frame_start) / 1e6);
      stats.ui_ms.push_back(double(ui_end - frame_start) / 1e6);
      ++measured;
    }
    glfwSwapBuffers(window);
    ++frame;
    if (last) break;

    if (settings_dirty_ns && monotonic_ns() - settings_dirty_ns > 1'000'000'000ull) {
      save_settings(cfg_dir, settings, nullptr);
      settings_dirty_ns = 0;
    }
    if (io.WantSaveIniSettings) save_layout();
    // Vsync does not throttle everywhere (Xvfb): cap the frame rate ourselves.
    if (!bench) {
      const std::uint64_t budget = 1'000'000'000ull / std::uint64_t(std::max(10, settings.fps_cap));
      const std::uint64_t spent = monotonic_ns() - frame_start;
      if (spent < budget) std::this_thread::sleep_for(std::chrono::nanoseconds(budget - spent));
    }
  }
  if (bench) stats.print(int(source.snapshot()->clients.size()));
  save_settings(cfg_dir, settings, nullptr);
  save_layout();
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return dump_error.empty() ? 0 : 1;
}

}  // namespace shmon::inspector
