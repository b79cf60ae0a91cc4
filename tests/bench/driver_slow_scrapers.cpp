// SPDX-License-Identifier: Apache-2.0
// Real scrapes of /metrics beside slow peers (issue 18: "scrape time with 300 slow connections
// within 2x of without, same run"). One real agent serves a client of 100 metrics; phases
// alternate A B B A B A A B between no slow peers (A) and 300 slowloris peers (B), each phase
// timing `slow_scrapes` scrapes from connect to the last byte of the answer. A slow peer sends a
// request line and then one byte of a header every 100 ms, never finishing its head; when the
// agent closes it, it reconnects at once, so 300 stay open (or trying) for the whole phase.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "agent_process.hpp"
#include "driver.hpp"
#include "percentiles.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::bench {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// One scrape over its own connection: nanoseconds from connect to the answer's end, 0 on failure
// (no "200" or not whole within 30 s).
std::uint64_t timed_scrape(int port) {
  const std::uint64_t t0 = monotonic_ns();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  timeval tv{30, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const sockaddr_in a = loopback(port);
  std::string answer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
    const std::string get = "GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n";
    if (::send(fd, get.data(), get.size(), MSG_NOSIGNAL) == ssize_t(get.size())) {
      char buf[16384];
      for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, std::size_t(n));
    }
  }
  ::close(fd);
  if (!answer.starts_with("HTTP/1.1 200")) return 0;
  return monotonic_ns() - t0;
}

// Keeps `count` slowloris peers open until `stop`; counts the connections the agent closed.
void slow_peers(int port, std::size_t count, const std::atomic<bool>& stop,
                std::atomic<std::uint64_t>& cut) {
  const sockaddr_in a = loopback(port);
  std::vector<pollfd> peers(count, pollfd{-1, 0, 0});
  const auto open_peer = [&](pollfd& p) {
    p.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    (void)::connect(p.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    p.events = POLLOUT;  // connected: send the request line
  };
  for (pollfd& p : peers) open_peer(p);
  std::uint64_t next_byte = monotonic_ns();
  while (!stop.load()) {
    (void)::poll(peers.data(), peers.size(), 20);
    const bool tick = monotonic_ns() >= next_byte;
    if (tick) next_byte += 100'000'000;
    for (pollfd& p : peers) {
      bool closed = (p.revents & (POLLHUP | POLLERR)) != 0;
      // Readable: the agent closed the peer (or answered it), which ends it either way.
      if ((p.revents & POLLIN) != 0) closed = true;
      if (!closed && (p.revents & POLLOUT) != 0 && p.events == POLLOUT) {
        const std::string line = "GET /metrics HTTP/1.1\r\nX-Slow: ";
        closed = ::send(p.fd, line.data(), line.size(), MSG_NOSIGNAL) <= 0;
        p.events = POLLIN;
      } else if (!closed && tick && p.events == POLLIN) {
        closed = ::send(p.fd, "x", 1, MSG_NOSIGNAL) <= 0 && errno != EAGAIN;
      }
      if (closed) {
        ::close(p.fd);
        cut.fetch_add(1);
        open_peer(p);
      }
      p.revents = 0;
    }
  }
  for (pollfd& p : peers) ::close(p.fd);
}

}  // namespace

Json run_slow_scrapers(const DriverConfig& config) {
  AgentProcess agent;
  if (!agent.start("bench-slow-scrapers",
                   {"--log-level", "error", "--no-state", "--metrics-listen", "127.0.0.1:0"})) {
    return Json{{"error", "cannot start agent: " + agent.error()}};
  }
  const std::string& ready = agent.ready_output();
  const std::size_t at = ready.find("metrics=http://127.0.0.1:");
  const int port = at == std::string::npos ? 0 : std::atoi(ready.c_str() + at + 25);
  if (port <= 0) return Json{{"error", "the agent serves no /metrics: " + ready}};

  ProbeOptions options;
  options.name = "slow-scrapers-bench";
  Probe probe(options);
  if (!probe.wait_connected(10'000)) return Json{{"error", "the probe did not connect"}};
  for (int k = 0; k < 100; ++k) probe.counter("bench.requests." + std::to_string(k)).add(k + 1);

  std::vector<std::uint64_t> without, with;
  std::uint64_t failures = 0;
  std::atomic<std::uint64_t> cut{0};
  const bool slow_phase[] = {false, true, true, false, true, false, false, true};
  for (const bool slow : slow_phase) {
    std::atomic<bool> stop{false};
    std::thread peers;
    if (slow) {
      peers = std::thread([&] { slow_peers(port, config.slow_peers, stop, cut); });
      ::usleep(500'000);  // let them connect and settle into trickling
    }
    for (std::uint32_t i = 0; i < config.slow_scrapes; ++i) {
      const std::uint64_t ns = timed_scrape(port);
      if (ns == 0) {
        ++failures;
      } else {
        (slow ? with : without).push_back(ns);
      }
    }
    stop = true;
    if (peers.joinable()) peers.join();
  }
  Json j;
  j["slow_peers"] = config.slow_peers;
  j["scrapes_per_phase"] = config.slow_scrapes;
  j["failures"] = failures;
  j["slow_peers_closed_by_agent"] = cut.load();
  j["without"] = latency_summary(without);
  j["with_slow_peers"] = latency_summary(with);
  const double a = quantile(without, 0.5), b = quantile(with, 0.5);
  j["median_ratio"] = a > 0 ? b / a : 0.0;
  return j;
}

}  // namespace shmon::bench
