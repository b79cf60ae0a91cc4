// SPDX-License-Identifier: Apache-2.0
#include "metrics_http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "context.hpp"
#include "exposition.hpp"
#include "http_request.hpp"
#include "metrics_snapshot.hpp"
#include "shmon/clock.hpp"
#include "shmon/fd.hpp"

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

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string answer(int status, const char* type, std::string_view body, bool head_only,
                   std::string_view extra_headers = {}) {
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\nContent-Type: " + type +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  if (!head_only) out += body;
  return out;
}

std::string error_answer(int status) {
  switch (status) {
    case 404:
      return answer(404, "text/plain", "404 not found: the only path is /metrics\n", false);
    case 405:
      return answer(405, "text/plain", "405 method not allowed: /metrics answers GET and HEAD\n",
                    false, "Allow: GET, HEAD\r\n");
    case 431:
      return answer(431, "text/plain", "431 the request head is over 16 KiB\n", false);
    case 503:
      return answer(503, "text/plain", "503 too many scrapes at once: try again\n", false,
                    "Retry-After: 1\r\n");
    default:
      return answer(status, "text/plain", std::to_string(status) + " bad request\n", false);
  }
}

// The listening socket, bound without SO_REUSEPORT (SO_REUSEADDR only lets a restarted agent
// rebind over connections in TIME_WAIT; Linux still refuses a second listener on the address).
int listen_on(const ListenAddress& address, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  const int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    error = "cannot listen on " + address.host + ":" + port + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  int saved = 0;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    const int yes = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      saved = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    error = "cannot listen on " + address.host + ":" + port + ": " + std::strerror(saved);
    if (saved == EADDRINUSE) {
      error += " (another shmon agent or program listens there; addresses are never shared)";
    }
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

struct Connection {
  enum class State { kReading, kRendering, kWriting };
  UniqueFd fd;
  State state = State::kReading;
  std::uint64_t deadline_ns = 0;  // of the current state (none while rendering)
  std::string in;
  std::string out;
  std::size_t written = 0;
};

struct RenderJob {
  std::uint64_t id;
  ExpositionFormat format;
  bool head_only;
};

constexpr std::uint64_t kListenTag = 0;  // epoll data of the listener; connections count from 2
constexpr std::uint64_t kWakeTag = 1;    // ... and of the eventfd

}  // namespace

struct MetricsHttp::Impl {
  AgentContext& ctx;
  const bool per_client;
  Exposition exposition;
  UniqueFd listen_fd, epoll_fd, wake_fd;
  std::thread loop;
  std::vector<std::thread> workers;

  // Render queue (loop -> workers) and answers (workers -> loop), under jobs_mu.
  std::mutex jobs_mu;
  std::condition_variable jobs_cv;
  std::deque<RenderJob> jobs;
  std::vector<std::pair<std::uint64_t, std::string>> rendered;
  bool stopping = false;

  // Only the loop thread touches these.
  std::map<std::uint64_t, Connection> conns;  // by id: ascending is oldest first
  std::uint64_t next_id = 2;
  std::uint64_t listen_paused_until_ns = 0;  // after EMFILE
  int port = 0;

  std::mutex numbers_mu;
  ExporterNumbers numbers;

  Impl(AgentContext& c, bool pc) : ctx(c), per_client(pc) {
    numbers.scrape_ns_buckets.assign(std::size(kScrapeBoundsNs) + 1, 0);
  }

  void count_cut(std::uint64_t n) {
    std::lock_guard lock(numbers_mu);
    numbers.connections_cut += n;
  }

  std::string render(const RenderJob& job) {
    const std::uint64_t t0 = monotonic_ns();
    const MetricsSnapshot snap = take_snapshot(ctx, per_client);
    ExporterNumbers own;
    {
      std::lock_guard lock(numbers_mu);
      ++numbers.scrapes;
      own = numbers;
    }
    std::vector<std::string> skipped;
    const std::string body = exposition.render(snap, job.format, per_client, own, &skipped);
    for (const std::string& s : skipped) spdlog::warn("metrics: {}", s);
    const std::uint64_t ns = monotonic_ns() - t0;
    {
      std::lock_guard lock(numbers_mu);
      numbers.skipped_names += skipped.size();
      numbers.scrape_ns_sum += ns;
      std::size_t b = 0;
      while (b < std::size(kScrapeBoundsNs) && std::int64_t(ns) > kScrapeBoundsNs[b]) ++b;
      ++numbers.scrape_ns_buckets[b];
    }
    return answer(200, content_type(job.format), body, job.head_only);
  }

  void work() {
    for (;;) {
      RenderJob job{};
      {
        std::unique_lock lock(jobs_mu);
        jobs_cv.wait(lock, [&] { return !jobs.empty() || stopping; });
        if (stopping) return;
        job = jobs.front();
        jobs.pop_front();
      }
      std::string out = render(job);
      {
        std::lock_guard lock(jobs_mu);
        if (stopping) return;
        rendered.emplace_back(job.id, std::move(out));
      }
      wake();
    }
  }

  void wake() {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd.get(), &one, sizeof(one));
  }

  void close_connection(std::map<std::uint64_t, Connection>::iterator it) {
    (void)::epoll_ctl(epoll_fd.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
    conns.erase(it);  // closes the socket
  }

  // Starts writing `out` (an answer) on the connection.
  void respond(std::map<std::uint64_t, Connection>::iterator it, std::string out, int status) {
    if (status != 200) {
      std::lock_guard lock(numbers_mu);
      ++numbers.http_errors;
    }
    Connection& c = it->second;
    c.state = Connection::State::kWriting;
    c.deadline_ns = monotonic_ns() + kWriteDeadlineNs;
    c.out = std::move(out);
    c.in.clear();
    c.in.shrink_to_fit();
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = it->first;
    (void)::epoll_ctl(epoll_fd.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
    write_some(it);
  }

  // Writes what the socket takes; closes the connection once the answer is out or on error.
  void write_some(std::map<std::uint64_t, Connection>::iterator it) {
    Connection& c = it->second;
    while (c.written < c.out.size()) {
      const ssize_t n = ::send(c.fd.get(), c.out.data() + c.written, c.out.size() - c.written,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      c.written += std::size_t(n);
    }
    // Done (or the peer is gone). Input still unread would turn close() into a reset that can
    // destroy the answer in flight: read what is there first (a request has no body we want).
    ::shutdown(c.fd.get(), SHUT_WR);
    char sink[4096];
    for (int i = 0; i < 16 && ::recv(c.fd.get(), sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
    close_connection(it);
  }

  void read_some(std::map<std::uint64_t, Connection>::iterator it) {
    Connection& c = it->second;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) {  // the peer left before its request was whole
        close_connection(it);
        return;
      }
      const std::size_t scan_from = c.in.size() < 3 ? 0 : c.in.size() - 3;
      c.in.append(buf, std::size_t(n));
      const std::size_t end = http_head_end(std::string_view(c.in).substr(scan_from));
      if (end != std::string_view::npos) {
        dispatch(it, std::string_view(c.in).substr(0, scan_from + end));
        return;
      }
      if (c.in.size() > kMaxHttpHeadBytes) {
        respond(it, error_answer(431), 431);
        return;
      }
    }
  }

  // A whole request head arrived: an error answer at once, or a render job.
  void dispatch(std::map<std::uint64_t, Connection>::iterator it, std::string_view head) {
    const HttpRequest req = parse_http_head(head);
    if (req.status != 0) {
      respond(it, error_answer(req.status), req.status);
      return;
    }
    {
      std::lock_guard lock(jobs_mu);
      if (jobs.size() < kQueued) {
        jobs.push_back({it->first, negotiate_format(req.accept), req.head_only});
        jobs_cv.notify_one();
        Connection& c = it->second;
        c.state = Connection::State::kRendering;
        c.deadline_ns = 0;
        epoll_event ev{};  // no events wanted: errors and hang-ups wait for the answer
        ev.data.u64 = it->first;
        (void)::epoll_ctl(epoll_fd.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
        return;
      }
    }
    respond(it, error_answer(503), 503);
  }

  // Makes room for one more connection: pushes out the oldest one still sending its request.
  bool make_room() {
    if (conns.size() < kMaxConnections) return true;
    for (auto it = conns.begin(); it != conns.end(); ++it) {
      if (it->second.state == Connection::State::kReading) {
        close_connection(it);
        count_cut(1);
        return true;
      }
    }
    return false;
  }

  void accept_all(std::uint64_t now) {
    for (;;) {
      const int fd = ::accept4(listen_fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: stop accepting for a moment rather than spin on the listener.
          spdlog::warn("metrics: cannot accept an HTTP connection ({}); pausing 100 ms",
                       std::strerror(errno));
          listen_paused_until_ns = now + 100'000'000;
          (void)::epoll_ctl(epoll_fd.get(), EPOLL_CTL_DEL, listen_fd.get(), nullptr);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
          spdlog::warn("metrics: accept failed ({})", std::strerror(errno));
        }
        return;
      }
      if (!make_room()) {  // every connection is a request being answered: refuse this one
        ::close(fd);
        count_cut(1);
        continue;
      }
      const std::uint64_t id = next_id++;
      Connection& c = conns[id];
      c.fd.reset(fd);
      c.deadline_ns = now + kRequestDeadlineNs;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = id;
      if (::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, fd, &ev) != 0) conns.erase(id);
    }
  }

  // Closes connections past their deadline (slowloris, a peer that never reads its answer).
  void expire(std::uint64_t now) {
    std::uint64_t cut = 0;
    for (auto it = conns.begin(); it != conns.end();) {
      const auto next = std::next(it);
      if (it->second.deadline_ns != 0 && now > it->second.deadline_ns) {
        close_connection(it);
        ++cut;
      }
      it = next;
    }
    if (cut > 0) count_cut(cut);
  }

  void take_rendered() {
    std::uint64_t drained = 0;
    (void)!::read(wake_fd.get(), &drained, sizeof(drained));
    std::vector<std::pair<std::uint64_t, std::string>> ready;
    {
      std::lock_guard lock(jobs_mu);
      ready.swap(rendered);
    }
    for (auto& [id, out] : ready) {
      const auto it = conns.find(id);
      if (it != conns.end()) respond(it, std::move(out), 200);
    }
  }

  void run() {
    std::uint64_t last_expiry = 0;
    epoll_event events[64];
    for (;;) {
      const int n = ::epoll_wait(epoll_fd.get(), events, 64, 50);
      {
        std::lock_guard lock(jobs_mu);
        if (stopping) break;
      }
      const std::uint64_t now = monotonic_ns();
      for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag == kListenTag) {
          accept_all(now);
          continue;
        }
        if (tag == kWakeTag) {
          take_rendered();
          continue;
        }
        const auto it = conns.find(tag);
        if (it == conns.end()) continue;
        switch (it->second.state) {
          case Connection::State::kReading:
            read_some(it);
            break;
          case Connection::State::kWriting:
            write_some(it);
            break;
          case Connection::State::kRendering:
            break;  // the answer comes; a write then fails
        }
      }
      if (listen_paused_until_ns != 0 && now >= listen_paused_until_ns) {
        listen_paused_until_ns = 0;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kListenTag;
        (void)::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, listen_fd.get(), &ev);
      }
      if (now - last_expiry >= 50'000'000) {
        last_expiry = now;
        expire(now);
      }
    }
    conns.clear();
    listen_fd.reset();
  }
};

MetricsHttp::MetricsHttp(AgentContext& ctx, bool per_client)
    : impl_(std::make_unique<Impl>(ctx, per_client)) {}

MetricsHttp::~MetricsHttp() {
  stop();
}

std::string MetricsHttp::start(const ListenAddress& address) {
  Impl& m = *impl_;
  std::string error;
  m.listen_fd.reset(listen_on(address, error));
  if (!m.listen_fd) return error;
  m.epoll_fd.reset(::epoll_create1(EPOLL_CLOEXEC));
  m.wake_fd.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!m.epoll_fd || !m.wake_fd)
    return std::string("cannot start /metrics: ") + std::strerror(errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  (void)::epoll_ctl(m.epoll_fd.get(), EPOLL_CTL_ADD, m.listen_fd.get(), &ev);
  ev.data.u64 = kWakeTag;
  (void)::epoll_ctl(m.epoll_fd.get(), EPOLL_CTL_ADD, m.wake_fd.get(), &ev);
  m.port = bound_port(m.listen_fd.get());
  port_ = m.port;
  for (std::size_t i = 0; i < kWorkers; ++i) m.workers.emplace_back([&m] { m.work(); });
  m.loop = std::thread([&m] { m.run(); });
  return "";
}

void MetricsHttp::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.jobs_mu);
    if (m.stopping) return;
    m.stopping = true;
  }
  m.jobs_cv.notify_all();
  if (m.wake_fd) m.wake();
  if (m.loop.joinable()) m.loop.join();
  for (auto& t : m.workers) {
    if (t.joinable()) t.join();
  }
}

}  // namespace shmon::agent
