// SPDX-License-Identifier: Apache-2.0
// The agent's /metrics endpoint: a small HTTP/1.1 server of our own (why not cpp-httplib:
// docs/PROMETHEUS.md). Its threads never take the client mutex; a scrape holds the table mutex
// only while take_snapshot copies.
//
// Peers never hold what real scrapes need. One event-loop thread does every socket read and
// write, non-blocking: a connection reaches a render worker only once its whole request head
// has arrived, and its answer is written back by the loop, so a slow or silent peer holds a
// buffer, never a worker. Bounds: a request head within kRequestDeadlineNs of the accept and
// kMaxHttpHeadBytes; an answer written within kWriteDeadlineNs; at most kMaxConnections open,
// a newcomer past it pushes out the oldest connection still sending its request (a real scrape
// sends its request at once, a slowloris peer never finishes); at most kQueued requests waiting
// for a worker, past that 503. The listening socket is bound exclusively (no SO_REUSEPORT): a
// second agent given the address gets EADDRINUSE instead of half the scrapes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace shmon::agent {

struct AgentContext;

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0", ...
  int port = 0;      // 0: any free port
};
// Parses HOST:PORT or [V6HOST]:PORT. nullopt with `error` set when malformed.
std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string& error);

class MetricsHttp {
 public:
  static constexpr std::size_t kWorkers = 2;
  static constexpr std::size_t kQueued = 32;
  static constexpr std::size_t kMaxConnections = 256;
  static constexpr std::uint64_t kRequestDeadlineNs = 2'000'000'000;
  static constexpr std::uint64_t kWriteDeadlineNs = 5'000'000'000;

  MetricsHttp(AgentContext& ctx, bool per_client);
  ~MetricsHttp();  // stop()
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Binds and starts serving. Returns "" on success, else a one-line reason naming the address
  // (EADDRINUSE: "... is in use by another listener").
  std::string start(const ListenAddress& address);
  int port() const { return port_; }
  // Closes the listener and every open connection, joins the threads. Idempotent.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace shmon::agent
