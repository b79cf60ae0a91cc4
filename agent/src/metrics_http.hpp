// SPDX-License-Identifier: Apache-2.0
// The agent's /metrics endpoint (cpp-httplib; why in docs/PROMETHEUS.md). Its threads never take
// the client mutex; a scrape holds the table mutex only while take_snapshot copies.
//
// Hostile peers are bounded: a fixed pool of workers with a bounded queue (when both are full
// the listener stops accepting and the kernel's backlog absorbs the rest, so connections never
// eat the agent's descriptors), one request per connection, 1 s for the first byte and per read or
// write, and a reaper (connection_reaper.hpp) that shuts every connection still open after 5 s
// (slowloris) or that sent more than 64 KiB (endless headers), and all of them at stop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "exposition.hpp"

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
  static constexpr std::size_t kWorkers = 4;
  static constexpr std::size_t kQueued = 32;
  static constexpr int kIoTimeoutS = 1;
  static constexpr std::uint64_t kConnectionDeadlineNs = 5'000'000'000;
  static constexpr std::uint64_t kMaxRequestBytes = 64 * 1024;

  MetricsHttp(AgentContext& ctx, bool per_client);
  ~MetricsHttp();  // stop()
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Binds and starts serving. Returns "" on success, else a one-line reason.
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
