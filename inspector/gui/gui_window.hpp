// SPDX-License-Identifier: Apache-2.0
// The window: GLFW + an OpenGL 3.3 core context with Dear ImGui on it (its GLFW and OpenGL 3
// backends), the style and fonts at a scale, and the per-frame begin/render/swap steps.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "fonts.hpp"

struct GLFWwindow;

namespace shmon::inspector {

class GuiWindow {
 public:
  // Opens the window and creates the ImGui context; nullptr (with one line on stderr) when there
  // is no display or no OpenGL 3.3. `vsync` false renders unthrottled (benchmarks).
  static std::unique_ptr<GuiWindow> open(const std::string& title, int width, int height,
                                         bool vsync);
  ~GuiWindow();
  GuiWindow(const GuiWindow&) = delete;
  GuiWindow& operator=(const GuiWindow&) = delete;

  bool should_close() const;
  void poll_events();
  float content_scale() const { return content_scale_; }  // the monitor's, read at open

  // Style and fonts for `scale`; re-uploads the font texture once frames have been drawn.
  void set_scale(float scale);
  float scale() const { return scale_; }
  const Fonts& fonts() const { return fonts_; }

  // Starts an ImGui frame. `no_pointer`: keep the (virtual) pointer out of the window, so a
  // scripted run with no user raises no tooltips.
  void new_frame(bool no_pointer);
  // Draws ImGui's draw data (call ImGui::Render() first); returns the framebuffer size.
  std::pair<int, int> render();
  void swap();
  std::pair<int, int> window_size() const;  // in screen coordinates, as --width/--height

 private:
  explicit GuiWindow(GLFWwindow* window) : window_(window) {}
  GLFWwindow* window_;
  float content_scale_ = 1;
  float scale_ = 0;
  bool font_texture_uploaded_ = false;
  Fonts fonts_;
};

}  // namespace shmon::inspector
