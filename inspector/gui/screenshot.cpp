// SPDX-License-Identifier: Apache-2.0
#include "screenshot.hpp"

#include <GLFW/glfw3.h>
#include <stb/stb_image_write.h>

#include <vector>

namespace shmon::inspector {

bool save_framebuffer_png(const std::string& path, int width, int height, std::string* error) {
  if (width <= 0 || height <= 0) {
    if (error) *error = "empty framebuffer";
    return false;
  }
  std::vector<unsigned char> pixels(std::size_t(width) * height * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  for (std::size_t i = 3; i < pixels.size(); i += 4) pixels[i] = 255;  // opaque
  // OpenGL's origin is bottom-left; PNG rows go top-down.
  stbi_flip_vertically_on_write(1);
  if (!stbi_write_png(path.c_str(), width, height, 4, pixels.data(), width * 4)) {
    if (error) *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace shmon::inspector
