// SPDX-License-Identifier: Apache-2.0
// The one thing the agent's /metrics endpoint reads from a peer: an HTTP/1.x request head.
// Parsing is a pure function over bytes the event loop collected (metrics_http.cpp), so a
// hostile head costs a bounded buffer and nothing else. Bodies are never read: the endpoint
// answers every request with `Connection: close`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shmon::agent {

inline constexpr std::size_t kMaxHttpHeadBytes = 16 * 1024;  // request line and every header
inline constexpr std::size_t kMaxHttpLineBytes = 8 * 1024;   // one line of it

struct HttpRequest {
  int status = 0;          // 0: a request for /metrics (GET or HEAD); else the error to answer
  bool head_only = false;  // HEAD: the answer carries no body
  std::string accept;      // the Accept header(s), joined by ", "
};

// Offset just past the blank line that ends the head in `bytes`, or npos while it is incomplete.
std::size_t http_head_end(std::string_view bytes);

// Parses a complete head (REQUIRES: http_head_end(head) == head.size()). Other paths give 404,
// other methods on /metrics 405, anything malformed 400, a line over kMaxHttpLineBytes 400.
HttpRequest parse_http_head(std::string_view head);

}  // namespace shmon::agent
