// SPDX-License-Identifier: Apache-2.0
#include "escape.hpp"

#include <cstdint>
#include <cstdio>

namespace shmon::inspector {

namespace {

// The code point a C1 control or a format character is written as at text[i], or 0 for any
// other byte sequence; `len` gets its length in bytes.
std::uint32_t escaped_code_point(std::string_view text, std::size_t i, std::size_t& len) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  if (b(0) == 0xC2 && i + 2 <= text.size() && b(1) >= 0x80 && b(1) <= 0x9F) {
    len = 2;
    return b(1);  // U+0080-U+009F
  }
  if (b(0) == 0xE2 && i + 3 <= text.size() && (b(1) == 0x80 || b(1) == 0x81) &&
      (b(2) & 0xC0) == 0x80) {
    const std::uint32_t cp = 0x2000u | (std::uint32_t(b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2066 && cp <= 0x2069)) {
      len = 3;
      return cp;
    }
  }
  return 0;
}

}  // namespace

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    if (c < 0x20 || c == 0x7F) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
      out += buf;
    } else if (c == '\\') {
      out += "\\\\";
    } else if (const std::uint32_t cp = escaped_code_point(text, i, len); cp != 0) {
      char buf[16];  // "\\u{" + up to 8 hex digits + "}" + NUL: room for any uint32_t
      std::snprintf(buf, sizeof buf, "\\u{%04x}", unsigned(cp));
      out += buf;
    } else {
      out += char(c);
    }
    i += len;
  }
  return out;
}

}  // namespace shmon::inspector
