// SPDX-License-Identifier: Apache-2.0
// escape_for_terminal (inspector/reader/escape.hpp): what every tool prints of client text.
#include "escape.hpp"

#include <gtest/gtest.h>

#include <string>

namespace shmon::inspector {
namespace {

TEST(EscapeForTerminal, ControlBytesBecomeHex) {
  EXPECT_EQ(escape_for_terminal("a\x1b[2J\x07\r\n\x7f\\b"), "a\\x1b[2J\\x07\\x0d\\x0a\\x7f\\\\b");
}

// Issue 18: bidirectional controls and invisible format characters reorder or hide the text
// around them on a terminal; C1 controls (U+0080-U+009F, CSI among them) act like ESC sequences.
TEST(EscapeForTerminal, BidiFormatAndC1CharactersBecomeCodePoints) {
  EXPECT_EQ(escape_for_terminal("\u202egnp.exe"), "\\u{202e}gnp.exe");
  for (const auto& [raw, shown] : {std::pair<const char*, const char*>{"\u200b", "\\u{200b}"},
                                   {"\u200f", "\\u{200f}"},
                                   {"\u202a", "\\u{202a}"},
                                   {"\u2066", "\\u{2066}"},
                                   {"\u2069", "\\u{2069}"},
                                   {"\xc2\x9b", "\\u{009b}"},
                                   {"\xc2\x80", "\\u{0080}"}}) {
    EXPECT_EQ(escape_for_terminal(std::string("x") + raw + "y"), std::string("x") + shown + "y")
        << shown;
  }
  // Their neighbours, other UTF-8 and truncated sequences pass unchanged.
  for (const char* same : {"\u200a", "\u2010", "\u2029", "\u202f", "\u2065", "\u206a", "Zürich",
                           "日本", "\xe2\x80", "\xc2"}) {
    EXPECT_EQ(escape_for_terminal(same), same);
  }
}

}  // namespace
}  // namespace shmon::inspector
