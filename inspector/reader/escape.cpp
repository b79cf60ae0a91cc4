// SPDX-License-Identifier: Apache-2.0
#include "escape.hpp"

#include <cstdio>

namespace shmon::inspector {

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
      out += buf;
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace shmon::inspector
