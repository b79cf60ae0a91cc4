// SPDX-License-Identifier: Apache-2.0
// The /metrics endpoint's request-head parser (agent/src/http_request.hpp): what a peer's bytes
// become, without a socket.
#include "http_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace shmon::agent {
namespace {

TEST(HttpRequest, HeadEndsAtTheFirstBlankLine) {
  EXPECT_EQ(http_head_end("GET /metrics HTTP/1.1\r\nHost: x\r\n"), std::string::npos);
  EXPECT_EQ(http_head_end("GET /metrics HTTP/1.1\r\n\r\nrest"), 25u);
  EXPECT_EQ(http_head_end("GET /metrics HTTP/1.1\n\n"), 23u);
}

TEST(HttpRequest, RoutesPathsAndMethods) {
  auto r = parse_http_head(
      "GET /metrics HTTP/1.1\r\nHost: x\r\naccept: application/openmetrics-text\r\n"
      "Accept: text/plain\r\n\r\n");
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.head_only);
  EXPECT_EQ(r.accept, "application/openmetrics-text, text/plain");
  EXPECT_TRUE(parse_http_head("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n").head_only);
  EXPECT_EQ(parse_http_head("GET http://h:1/metrics HTTP/1.1\r\n\r\n").status, 0);
  EXPECT_EQ(parse_http_head("GET / HTTP/1.1\r\n\r\n").status, 404);
  EXPECT_EQ(parse_http_head("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").status, 405);
}

TEST(HttpRequest, MalformedHeadsAre400) {
  for (const std::string head :
       {"GARBAGE\r\n\r\n", "GET /metrics\r\n\r\n", "GET /metrics HTTP/2.0\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nNoColon\r\n\r\n", "GET /metrics HTTP/1.1\r\n folded\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nX: a\x01"
        "b\r\n\r\n",
        "\r\n"}) {
    EXPECT_EQ(parse_http_head(head).status, 400) << head;
  }
  const std::string long_line =
      "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(kMaxHttpLineBytes, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse_http_head(long_line).status, 400);
}

}  // namespace
}  // namespace shmon::agent
