// SPDX-License-Identifier: Apache-2.0
#include "http_request.hpp"

#include <algorithm>
#include <cctype>

namespace shmon::agent {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A token (RFC 9110): visible ASCII but separators.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  constexpr std::string_view kSeparators = "()<>@,;:\\\"/[]?={} \t";
  return std::all_of(s.begin(), s.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && kSeparators.find(c) == std::string_view::npos;
  });
}

bool visible_or_space(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) {
                       const auto u = static_cast<unsigned char>(c);
                       return u == '\t' || u >= 0x20;
                     }) &&
         s.find('\x7f') == std::string_view::npos;
}

// Lines of the head without their "\r\n" (or bare "\n"); the blank last line is not returned.
template <typename Fn>
bool for_each_line(std::string_view head, Fn&& fn) {
  while (!head.empty()) {
    const auto nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return true;
    if (!fn(line)) return false;
  }
  return true;
}

}  // namespace

std::size_t http_head_end(std::string_view bytes) {
  for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1)) {
    if (i + 1 < bytes.size() && bytes[i + 1] == '\n') return i + 2;
    if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

HttpRequest parse_http_head(std::string_view head) {
  HttpRequest r;
  bool first = true;
  std::string_view method, target;
  const bool whole = for_each_line(head, [&](std::string_view line) {
    if (line.size() > kMaxHttpLineBytes || !visible_or_space(line)) return false;
    if (first) {
      first = false;
      const auto sp1 = line.find(' ');
      const auto sp2 = line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
      if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return false;
      method = line.substr(0, sp1);
      target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      const std::string_view version = line.substr(sp2 + 1);
      return is_token(method) && !target.empty() &&
             (version == "HTTP/1.1" || version == "HTTP/1.0");
    }
    if (line.front() == ' ' || line.front() == '\t') return false;  // obsolete line folding
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return false;
    if (iequals(line.substr(0, colon), "Accept")) {
      if (!r.accept.empty()) r.accept += ", ";
      r.accept += trim(line.substr(colon + 1));
    }
    return true;
  });
  if (!whole || first) {
    r.status = 400;
    return r;
  }
  // Origin form, or absolute form (http://host/metrics); the query is ignored.
  std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with("http://")) {
    const auto slash = path.find('/', 7);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  if (path != "/metrics") {
    r.status = 404;
  } else if (method == "GET" || method == "HEAD") {
    r.head_only = method == "HEAD";
  } else {
    r.status = 405;
  }
  return r;
}

}  // namespace shmon::agent
