// SPDX-License-Identifier: Apache-2.0
#include "gui_window.hpp"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <cfloat>
#include <cstdio>

#include "style.hpp"

namespace shmon::inspector {

std::unique_ptr<GuiWindow> GuiWindow::open(const std::string& title, int width, int height,
                                           bool vsync) {
  glfwSetErrorCallback([](int code, const char* text) {
    std::fprintf(stderr, "shmon-inspector: GLFW error %d: %s\n", code, text);
  });
  if (!glfwInit()) {
    std::fprintf(stderr, "shmon-inspector: cannot open a window (no display?)\n");
    return nullptr;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
  GLFWwindow* window = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr, "shmon-inspector: cannot create an OpenGL 3.3 window\n");
    glfwTerminate();
    return nullptr;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(vsync ? 1 : 0);
  std::unique_ptr<GuiWindow> w(new GuiWindow(window));
  glfwGetWindowContentScale(window, &w->content_scale_, nullptr);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout file is ours (layout_file.hpp)
  ImGui::GetIO().ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 150");
  return w;
}

GuiWindow::~GuiWindow() {
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window_);
  glfwTerminate();
}

bool GuiWindow::should_close() const {
  return glfwWindowShouldClose(window_);
}

void GuiWindow::poll_events() {
  glfwPollEvents();
}

void GuiWindow::set_scale(float scale) {
  scale_ = scale;
  apply_style(scale);
  fonts_ = load_fonts(scale);
  // The first frame uploads the atlas itself; later changes replace the texture.
  if (font_texture_uploaded_) {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
  }
}

void GuiWindow::new_frame(bool no_pointer) {
  ImGui_ImplOpenGL3_NewFrame();
  font_texture_uploaded_ = true;
  ImGui_ImplGlfw_NewFrame();
  if (no_pointer) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
  ImGui::NewFrame();
}

std::pair<int, int> GuiWindow::render() {
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  glViewport(0, 0, w, h);
  glClearColor(0.06f, 0.07f, 0.09f, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  return {w, h};
}

std::pair<int, int> GuiWindow::window_size() const {
  int w = 0, h = 0;
  glfwGetWindowSize(window_, &w, &h);
  return {w, h};
}

void GuiWindow::swap() {
  glfwSwapBuffers(window_);
}

}  // namespace shmon::inspector
