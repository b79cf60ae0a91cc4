// SPDX-License-Identifier: Apache-2.0
// Reads the current framebuffer (call before the swap) and writes it as a PNG.
#pragma once

#include <string>

namespace shmon::inspector {

bool save_framebuffer_png(const std::string& path, int width, int height, std::string* error);

}  // namespace shmon::inspector
