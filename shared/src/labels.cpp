// SPDX-License-Identifier: Apache-2.0
// Label rules, canonical text and series keys (labels.hpp). Messages quote what the user passed
// with control bytes escaped, so they stay one line.
#include "shmon/labels.hpp"

#include <algorithm>

#include "shmon/names.hpp"

namespace shmon {
namespace {

// Long values are cut: the message names the label, not the whole value.
std::string quoted(std::string_view s) {
  return s.size() > 80 ? quote_name(s.substr(0, 80)) + "..." : quote_name(s);
}

bool name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool name_char(unsigned char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid (overlong forms,
// surrogates and code points past U+10FFFF are invalid, as in RFC 3629).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  if (cp >= 0x80 && cp < 0xA0) return 0;  // C1 control characters
  return n;
}

// Bidirectional controls and invisible format characters: printed, they reorder or hide the
// text around them (U+202E shows "gnp.exe" as "exe.png"), so an operator would read another
// label than the one stored. U+200B-U+200F, U+202A-U+202E, U+2066-U+2069: all three bytes long,
// E2 80 8B-8F, E2 80 AA-AE, E2 81 A6-A9.
bool is_format_character(std::string_view s, std::size_t i) {
  if (i + 3 > s.size() || static_cast<unsigned char>(s[i]) != 0xE2) return false;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  const auto b2 = static_cast<unsigned char>(s[i + 2]);
  return (b1 == 0x80 && ((b2 >= 0x8B && b2 <= 0x8F) || (b2 >= 0xAA && b2 <= 0xAE))) ||
         (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9);
}

}  // namespace

std::optional<std::string> check_label_name(std::string_view name) {
  if (name.empty()) return std::string("label name is empty");
  if (name.size() > kMaxLabelNameLen) {
    return "label name " + quoted(name) + " is " + std::to_string(name.size()) +
           " bytes; the limit is " + std::to_string(kMaxLabelNameLen);
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (i == 0 ? !name_start(c) : !name_char(c)) {
      return "label name " + quoted(name) + " has a bad byte at " + std::to_string(i) +
             ": use letters, digits and '_', not starting with a digit";
    }
  }
  if (name.starts_with("__")) {
    return "label name " + quoted(name) + " starts with '__', which Prometheus reserves";
  }
  for (std::string_view reserved : kReservedLabelNames) {
    if (name == reserved) {
      return "label name " + quoted(name) + " is reserved: the exporter adds it itself";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_label_value(std::string_view name, std::string_view value) {
  if (value.empty()) {
    return "label " + quoted(name) + " has an empty value (Prometheus reads it as no label)";
  }
  if (value.size() > kMaxLabelValueLen) {
    return "label " + quoted(name) + " has a value of " + std::to_string(value.size()) +
           " bytes; the limit is " + std::to_string(kMaxLabelValueLen);
  }
  for (std::size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    const std::size_t n = utf8_length(value, i);
    if (n == 0 || c < 0x20 || c == 0x7f) {
      return "label " + quoted(name) +
             " has a value with a control character or invalid UTF-8 at byte " + std::to_string(i);
    }
    if (is_format_character(value, i)) {
      return "label " + quoted(name) +
             " has a value with a bidirectional or invisible format character (U+200B-U+200F, "
             "U+202A-U+202E, U+2066-U+2069) at byte " +
             std::to_string(i);
    }
    i += n;
  }
  return std::nullopt;
}

Result<std::string> canonical_labels(const LabelPairs& labels) {
  if (labels.size() > kMaxLabels) {
    return Error{"a label set has " + std::to_string(labels.size()) + " labels; the limit is " +
                 std::to_string(kMaxLabels)};
  }
  std::vector<const std::pair<std::string, std::string>*> sorted;
  for (const auto& label : labels) {
    if (auto err = check_label_name(label.first)) return Error{*err};
    if (auto err = check_label_value(label.first, label.second)) return Error{*err};
    sorted.push_back(&label);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string text;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0 && sorted[i]->first == sorted[i - 1]->first) {
      return Error{"label " + quoted(sorted[i]->first) + " appears twice"};
    }
    if (i > 0) text += ',';
    text += sorted[i]->first;
    text += "=\"";
    for (char c : sorted[i]->second) {
      if (c == '\\' || c == '"') text += '\\';
      text += c;
    }
    text += '"';
  }
  if (text.size() > kMaxLabelTextLen) {
    return Error{"the label set is " + std::to_string(text.size()) +
                 " bytes as text; the limit is " + std::to_string(kMaxLabelTextLen)};
  }
  return text;
}

Result<LabelPairs> parse_labels(std::string_view text) {
  LabelPairs pairs;
  if (text.size() > kMaxLabelTextLen) return Error{"label text is too long"};
  std::size_t i = 0;
  while (i < text.size()) {
    if (!pairs.empty()) {
      if (text[i] != ',') return Error{"label text: expected ',' at byte " + std::to_string(i)};
      ++i;
    }
    const std::size_t eq = text.find("=\"", i);
    if (eq == std::string_view::npos) return Error{"label text: a label without =\"value\""};
    std::string name(text.substr(i, eq - i));
    std::string value;
    i = eq + 2;
    for (;; ++i) {
      if (i >= text.size()) return Error{"label text: an unterminated value"};
      if (text[i] == '"') break;
      if (text[i] == '\\') {
        if (++i >= text.size() || (text[i] != '\\' && text[i] != '"')) {
          return Error{"label text: a bad escape at byte " + std::to_string(i)};
        }
      }
      value += text[i];
    }
    ++i;  // past the closing quote
    pairs.emplace_back(std::move(name), std::move(value));
  }
  // Canonical means: re-rendering gives the same bytes (order, escapes, every rule).
  auto canonical = canonical_labels(pairs);
  if (!canonical) return Error{canonical.error()};
  if (*canonical != text) return Error{"label text is not canonical (labels must be sorted)"};
  return pairs;  // sorted: the text was canonical
}

std::string series_key(std::string_view metric_name, std::string_view label_text) {
  std::string key(metric_name);
  if (!label_text.empty()) {
    key += '{';
    key += label_text;
    key += '}';
  }
  return key;
}

SeriesName split_series_key(std::string_view key) {
  const std::size_t brace = key.find('{');
  if (brace == std::string_view::npos || key.back() != '}') return {key, {}};
  return {key.substr(0, brace), key.substr(brace + 1, key.size() - brace - 2)};
}

}  // namespace shmon
