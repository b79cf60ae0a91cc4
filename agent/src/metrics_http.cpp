// SPDX-License-Identifier: Apache-2.0
#include "metrics_http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

#include "connection_reaper.hpp"
#include "context.hpp"
#include "metrics_snapshot.hpp"
#include "shmon/clock.hpp"

namespace shmon::agent {

std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string& error) {
  ListenAddress a;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected [IPV6]:PORT";
      return std::nullopt;
    }
    a.host = text.substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      error = "expected HOST:PORT (IPv6 addresses in brackets)";
      return std::nullopt;
    }
    a.host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
  }
  const auto r = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (a.host.empty() || port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() ||
      a.port < 0 || a.port > 65535) {
    error = "expected HOST:PORT with a port from 0 to 65535";
    return std::nullopt;
  }
  return a;
}

namespace {

// A fixed set of workers and a bounded queue. enqueue blocks the listener while the queue is
// full, so it stops accepting instead of holding ever more sockets.
class BoundedPool {
 public:
  BoundedPool(std::size_t workers, std::size_t queued) : max_queued_(queued) {
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~BoundedPool() { join(); }

  void enqueue(std::function<void()> fn) {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return jobs_.size() < max_queued_ || stopping_; });
    jobs_.push_back(std::move(fn));
    ready_.notify_one();
  }
  // Lets a blocked enqueue through (stop): the reaper cuts the connections it queues.
  void stopping() {
    std::lock_guard lock(mu_);
    stopping_ = true;
    space_.notify_all();
  }
  // Runs what is queued, then ends the workers.
  void join() {
    {
      std::lock_guard lock(mu_);
      stopping_ = closed_ = true;
      ready_.notify_all();
      space_.notify_all();
    }
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::size_t busy() const { return busy_.load(std::memory_order_relaxed); }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !jobs_.empty() || closed_; });
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        busy_.fetch_add(1, std::memory_order_relaxed);
        space_.notify_one();
      }
      fn();
      busy_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  const std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false, closed_ = false;
  std::atomic<std::size_t> busy_{0};
  std::vector<std::thread> threads_;
};

// What httplib owns (it deletes its task queue): forwards to the pool the endpoint keeps.
class PoolRef : public httplib::TaskQueue {
 public:
  explicit PoolRef(BoundedPool& pool) : pool_(pool) {}
  void enqueue(std::function<void()> fn) override { pool_.enqueue(std::move(fn)); }
  void shutdown() override { pool_.join(); }

 private:
  BoundedPool& pool_;
};

}  // namespace

struct MetricsHttp::Impl {
  AgentContext& ctx;
  const bool per_client;
  httplib::Server server;
  BoundedPool pool{kWorkers, kQueued};
  Exposition exposition;
  int port = 0;
  std::thread listener;
  std::thread reaper;
  std::atomic<bool> stopping{false};
  std::atomic<bool> listen_done{false};
  std::atomic<std::uint64_t> cut_connections{0};
  std::mutex reaper_mu;
  std::condition_variable reaper_cv;

  std::mutex numbers_mu;
  ExporterNumbers numbers;

  Impl(AgentContext& c, bool pc) : ctx(c), per_client(pc) {
    numbers.scrape_ns_buckets.assign(std::size(kScrapeBoundsNs) + 1, 0);
  }

  void serve_metrics(const httplib::Request& req, httplib::Response& res) {
    const std::uint64_t t0 = monotonic_ns();
    const ExpositionFormat format = negotiate_format(req.get_header_value("Accept"));
    const MetricsSnapshot snap = take_snapshot(ctx, per_client);
    ExporterNumbers own;
    {
      std::lock_guard lock(numbers_mu);
      ++numbers.scrapes;
      own = numbers;
      own.connections_cut = cut_connections.load(std::memory_order_relaxed);
    }
    std::vector<std::string> skipped;
    std::string body = exposition.render(snap, format, per_client, own, &skipped);
    for (const std::string& s : skipped) spdlog::warn("metrics: {}", s);
    res.set_content(std::move(body), content_type(format));
    const std::uint64_t ns = monotonic_ns() - t0;
    std::lock_guard lock(numbers_mu);
    numbers.skipped_names += skipped.size();
    numbers.scrape_ns_sum += ns;
    std::size_t b = 0;
    while (b < std::size(kScrapeBoundsNs) && std::int64_t(ns) > kScrapeBoundsNs[b]) ++b;
    ++numbers.scrape_ns_buckets[b];
  }

  // Shuts connections to our port open longer than the deadline (all of them when stopping).
  // Sockets are found in /proc/self/fd and acted on through a dup whose inode was checked, so a
  // descriptor number reused meanwhile (a client's socket) is never touched.
  // Every 50 ms while a worker is busy: a fast peer sends at most a few MB past the byte limit.
  void reaper_loop() {
    ConnectionReaper reaper({port, kConnectionDeadlineNs, kMaxRequestBytes});
    std::unique_lock lock(reaper_mu);
    while (!reaper_cv.wait_for(lock, std::chrono::milliseconds(stopping ? 10 : 50),
                               [&] { return reaper_done; })) {
      if (pool.busy() == 0 && !stopping) continue;
      lock.unlock();
      const ReapCount cut = reaper.pass(monotonic_ns(), stopping);
      if (cut.too_old + cut.too_big > 0 && !stopping) {
        cut_connections.fetch_add(cut.too_old + cut.too_big, std::memory_order_relaxed);
        spdlog::warn(
            "metrics: closed {} HTTP connection(s) open longer than {} s and {} that "
            "sent more than {} KiB",
            cut.too_old, kConnectionDeadlineNs / 1'000'000'000, cut.too_big,
            kMaxRequestBytes / 1024);
      }
      lock.lock();
    }
  }
  bool reaper_done = false;
};

MetricsHttp::MetricsHttp(AgentContext& ctx, bool per_client)
    : impl_(std::make_unique<Impl>(ctx, per_client)) {}

MetricsHttp::~MetricsHttp() {
  stop();
}

std::string MetricsHttp::start(const ListenAddress& address) {
  Impl& m = *impl_;
  httplib::Server& s = m.server;
  s.new_task_queue = [&m] { return new PoolRef(m.pool); };
  s.set_keep_alive_max_count(1);          // one request per connection: a worker never idles on one
  s.set_keep_alive_timeout(kIoTimeoutS);  // also the wait for a request's first byte
  s.set_read_timeout(kIoTimeoutS, 0);
  s.set_write_timeout(kIoTimeoutS, 0);
  s.set_payload_max_length(4096);
  s.Get("/metrics",
        [&m](const httplib::Request& req, httplib::Response& res) { m.serve_metrics(req, res); });
  const auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("405 method not allowed: /metrics answers GET and HEAD\n", "text/plain");
  };
  s.Post("/metrics", not_allowed);
  s.Put("/metrics", not_allowed);
  s.Patch("/metrics", not_allowed);
  s.Delete("/metrics", not_allowed);
  s.Options("/metrics", not_allowed);
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(
          std::to_string(res.status) +
              (res.status == 404 ? " not found: the only path is /metrics\n" : " bad request\n"),
          "text/plain");
    }
  });
  s.set_logger([&m](const httplib::Request&, const httplib::Response& res) {
    if (res.status == 200) return;
    std::lock_guard lock(m.numbers_mu);
    ++m.numbers.http_errors;
  });
  const bool ok = address.port == 0 ? (m.port = s.bind_to_any_port(address.host)) > 0
                                    : s.bind_to_port(address.host, address.port);
  if (!ok) {
    return "cannot listen on " + address.host + ":" + std::to_string(address.port) + ": " +
           std::strerror(errno);
  }
  if (address.port != 0) m.port = address.port;
  port_ = m.port;
  m.listener = std::thread([&m] {
    m.server.listen_after_bind();
    // httplib ends its accept loop, and closes the listening socket, on any accept() error but
    // EMFILE, EINTR and EAGAIN (errno still holds it): say so, or /metrics would go silently dark.
    if (!m.stopping) {
      spdlog::error("metrics: the HTTP endpoint stopped accepting connections ({})",
                    std::strerror(errno));
    }
    m.listen_done = true;
  });
  // Server::stop() acts only on a running server: stop() must not come before the loop began.
  while (!s.is_running() && !m.listen_done) std::this_thread::yield();
  m.reaper = std::thread([&m] { m.reaper_loop(); });
  return "";
}

void MetricsHttp::stop() {
  Impl& m = *impl_;
  if (m.stopping.exchange(true)) return;
  m.server.stop();
  m.pool.stopping();
  m.reaper_cv.notify_all();                      // cut every open connection now
  if (m.listener.joinable()) m.listener.join();  // after the workers (the reaper cuts them)
  m.pool.join();
  {
    std::lock_guard lock(m.reaper_mu);
    m.reaper_done = true;
  }
  m.reaper_cv.notify_all();
  if (m.reaper.joinable()) m.reaper.join();
}

}  // namespace shmon::agent
