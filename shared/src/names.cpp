// SPDX-License-Identifier: Apache-2.0
// Name validators: every message names the offending byte or limit so users can fix it.
#include "shmon/names.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shmon/limits.hpp"

namespace shmon {
namespace {

// Renders a byte for a message: printable bytes as themselves, others as \xNN.
std::string describe_byte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + char(c) + "'";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "byte 0x%02x", unsigned(c));
  return buf;
}

}  // namespace

std::string quote_name(std::string_view name) {
  std::string out = "'";
  for (unsigned char c : name) {
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", unsigned(c));
      out += buf;
    }
  }
  return out + "'";
}

namespace {

bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::optional<std::string> check_length(const char* what, std::string_view name,
                                        std::size_t limit) {
  if (name.empty()) return std::string(what) + " name is empty";
  if (name.size() > limit) {
    return std::string(what) + " name is " + std::to_string(name.size()) + " bytes; the limit is " +
           std::to_string(limit);
  }
  return std::nullopt;
}

std::string bad_byte(const char* what, std::string_view name, std::size_t i, const char* allowed) {
  return std::string(what) + " name " + quote_name(name) + " contains " +
         describe_byte(static_cast<unsigned char>(name[i])) + " at byte " + std::to_string(i) +
         ": use " + allowed;
}

}  // namespace

std::optional<std::string> check_instance_name(std::string_view name) {
  if (auto err = check_length("instance", name, kMaxInstanceNameLen)) return err;
  // A leading '.' would allow ".." and hidden files in the runtime directory.
  if (name[0] == '.') {
    return "instance name " + quote_name(name) +
           " starts with '.': start with a letter, digit, '_' or '-'";
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') {
      return bad_byte("instance", name, i, "letters, digits, '.', '_' or '-'");
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_client_name(std::string_view name) {
  if (auto err = check_length("client", name, kMaxClientNameLen)) return err;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == '"' || c == '\'') {
      return bad_byte("client", name, i, "printable ASCII without '/', '\\' or quotes");
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_command_name(std::string_view name) {
  if (auto err = check_length("command", name, kMaxCommandNameLen)) return err;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') {
      return bad_byte("command", name, i, "letters, digits, '_', '.' or '-'");
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_metric_name(std::string_view name) {
  if (auto err = check_length("metric", name, kMaxMetricNameLen)) return err;
  const auto first = static_cast<unsigned char>(name[0]);
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_')) {
    return "metric name " + quote_name(name) + " starts with " + describe_byte(first) +
           ": start with a letter or '_'";
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (!is_alnum(c) && c != '_' && c != '.' && c != ':' && c != '-') {
      return bad_byte("metric", name, i, "letters, digits, '_', '.', ':' or '-'");
    }
  }
  return std::nullopt;
}

std::optional<std::string> read_fixed_name(const char* field, std::size_t capacity) {
  const void* nul = std::memchr(field, '\0', capacity);
  if (nul == nullptr) return std::nullopt;
  return std::string(field, static_cast<const char*>(nul) - field);
}

void write_fixed_name(char* field, std::size_t capacity, std::string_view name) {
  if (capacity == 0) return;
  const std::size_t n = name.size() < capacity ? name.size() : capacity - 1;
  if (n > 0) std::memcpy(field, name.data(), n);  // an empty view may have a null data()
  std::memset(field + n, 0, capacity - n);
}

std::string resolve_instance_name(std::string_view given) {
  if (!given.empty()) return std::string(given);
  const char* env = std::getenv("SHMON_INSTANCE");
  return env != nullptr && *env != '\0' ? env : kDefaultInstance;
}

}  // namespace shmon
