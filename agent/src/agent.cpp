// SPDX-License-Identifier: Apache-2.0
#include "agent.hpp"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "activation.hpp"
#include "attach.hpp"
#include "commands.hpp"
#include "directory.hpp"
#include "instance_lock.hpp"
#include "logging.hpp"
#include "persistence.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/limits.hpp"
#include "shmon/memfd.hpp"
#include "shmon/paths.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::agent {

namespace {

constexpr std::uint64_t kTickNs = 50'000'000;
// Rendezvous limits: silent connections kept at once, the pause after accept ran out of
// descriptors, and how long reading an AttachRequest that has fully arrived may take.
constexpr std::size_t kMaxPending = 256;
constexpr std::uint64_t kAcceptPauseNs = 100'000'000;
constexpr std::uint64_t kCompleteRequestWaitNs = 20'000'000;
// How long a newcomer waits for a slot before it is answered "agent full": under the probe's
// own wait for the reply (kAttachTimeoutMs), so that it reads the reason rather than a timeout.
constexpr std::uint64_t kSlotWaitNs = std::uint64_t(kAttachTimeoutMs) * 750'000;

// True when `fd` holds a whole AttachRequest (peeked; nothing is consumed).
bool request_complete(int fd) {
  AttachRequest peek;
  const ssize_t n = ::recv(fd, &peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
  return n == ssize_t(sizeof(peek));
}

// Every attached client holds three descriptors here (socket, region, pidfd), and so does every
// newcomer waiting for a slot: a fork storm of 1000 children needs ~3000. The soft limit (often
// 1024) is raised to the hard one, which the administrator set; the agent never goes above it.
void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) == 0) {
    spdlog::debug("raised the descriptor limit from {} to {}", before, lim.rlim_max);
  } else {
    spdlog::warn("cannot raise the descriptor limit from {}: {}", before, std::strerror(errno));
  }
}

void fail(const std::string& message) {
  std::fprintf(stderr, "%sshmon-agent: %s\n", error_line_prefix(), message.c_str());
}

}  // namespace

Agent::Agent(Options options) {
  ctx_.options = std::move(options);
  ctx_.identities.set_max_series(ctx_.options.max_series);
}

Agent::~Agent() {
  shutdown();
}

int Agent::run() {
  if (int code = start(); code >= 0) return code;
  loop();
  shutdown();
  spdlog::info("agent for instance '{}' stopped", ctx_.options.instance);
  return exit_code::kOk;
}

int Agent::start() {
  const Options& o = ctx_.options;
  socket_path_ = socket_path(o.instance);
  // Socket activation first: it reads and clears LISTEN_* before any thread exists. A socket
  // that is not this instance's is refused before anything else happens.
  auto activated = adopt_activated_socket(socket_path_);
  if (!activated) {
    fail(activated.error());
    return exit_code::kActivationRefused;
  }
  if (auto st = ensure_runtime_dir(); !st) {
    fail(st.error());
    return exit_code::kResources;
  }
  LockOutcome lock = acquire_instance_lock(o.instance);
  if (!lock.error.empty()) {
    fail(lock.error);
    return exit_code::kResources;
  }
  if (!lock.fd && lock.holder > 0) {
    fail("instance '" + o.instance + "' is already served by shmon-agent pid " +
         std::to_string(lock.holder));
    return exit_code::kAlreadyRunning;
  }
  if (!lock.fd) {
    // Someone holds the lock, but the file names no pid: not an agent's doing (an agent writes
    // its pid before it serves). Say what we found rather than "pid 0".
    fail("instance '" + o.instance + "' is locked by another process, and " +
         lock_path(o.instance) + " holds no agent pid (\"" + lock.holder_text +
         "\"): find the process holding it (fuser " + lock_path(o.instance) + ")");
    return exit_code::kAlreadyRunning;
  }
  lock_fd_ = std::move(lock.fd);
  raise_fd_limit();
  // The memory cgroup before anything big is allocated: one line says what fits, and the series
  // bound shrinks to it (docs/DESIGN.md, "Memory cgroup").
  ctx_.identities.set_max_series(ctx_.memory.start(o.max_clients, o.max_series));

  // Signals: handled only through the signalfd; blocked before any thread exists so that every
  // thread inherits the mask.
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal_fd_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  timer_fd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  epoll_fd_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!signal_fd_ || !timer_fd_ || !epoll_fd_) {
    fail(std::string("cannot create event descriptors: ") + std::strerror(errno));
    return exit_code::kResources;
  }

  ctx_.generation = random_u64();
  ctx_.start_monotonic_ns = monotonic_ns();
  auto regions = create_regions({o.instance, o.max_clients, o.lease_ms, ctx_.generation});
  if (!regions) {
    fail(regions.error());
    return exit_code::kResources;
  }
  ctx_.regions = std::move(regions.value());
  ctx_.slots.assign(ctx_.regions.capacity, nullptr);
  ctx_.slot_generation.assign(ctx_.regions.capacity, 0);
  // Waiting for the state storage (full disk at start) still answers SIGINT/SIGTERM.
  const auto pause = [this](std::uint64_t ms) {
    pollfd p{signal_fd_.get(), POLLIN, 0};
    return ::poll(&p, 1, int(ms)) == 0;
  };
  if (int code = open_and_restore_state(ctx_, pause); code >= 0) {
    if (code != exit_code::kOk) fail(ctx_.state_error);
    return code;
  }

  if (activated.value()) {
    // systemd owns the socket file (same inode for every activation); connections queued on it
    // before we ran are accepted by the first loop iteration (level-triggered EPOLLIN).
    listen_fd_ = std::move(*activated.value());
    socket_inherited_ = true;
  } else {
    auto listener = listen_unix(socket_path_);
    if (!listener) {
      fail(listener.error());
      return exit_code::kResources;
    }
    listen_fd_ = std::move(listener.value());
  }

  const itimerspec spec{{0, long(kTickNs)}, {0, long(kTickNs)}};
  ::timerfd_settime(timer_fd_.get(), 0, &spec, nullptr);
  watch(listen_fd_.get());
  watch(signal_fd_.get());
  watch(timer_fd_.get());

  housekeeper_ = std::make_unique<Housekeeper>(ctx_);
  housekeeper_->prime_windows();  // before any client attaches
  commands_ = std::make_unique<CommandRouter>(ctx_, [this](int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    (void)::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev);
  });
  service_ = std::make_unique<ServiceThread>(ctx_);
  drain_ = std::make_unique<DrainThread>(ctx_);
  snapshots_ = std::make_unique<SnapshotThread>(ctx_);
  service_->start();
  drain_->start();
  snapshots_->start();

  std::string metrics_url = "off";
  if (!o.metrics_listen.empty()) {
    std::string error;
    const auto address = parse_listen_address(o.metrics_listen, error);  // checked by options
    metrics_ = std::make_unique<MetricsHttp>(ctx_, o.metrics_per_client);
    error = address ? metrics_->start(*address) : error;
    if (error.empty()) {
      const bool v6 = address->host.find(':') != std::string::npos;
      metrics_url = "http://" + (v6 ? "[" + address->host + "]" : address->host) + ":" +
                    std::to_string(metrics_->port()) + "/metrics";
      ctx_.metrics_url = metrics_url;
      spdlog::info("metrics: serving {}", metrics_url);
    } else {
      // The agent's job is the instance: it serves it without the endpoint.
      spdlog::warn("metrics: {}; /metrics is off (--metrics-listen sets the address)", error);
      metrics_.reset();
    }
  }
  spdlog::info("agent for instance '{}' started (max {} clients, lease {} ms)", o.instance,
               o.max_clients, o.lease_ms);
  std::printf("shmon-agent: ready instance=%s pid=%d socket=%s%s metrics=%s\n", o.instance.c_str(),
              ::getpid(), socket_path_.c_str(), socket_inherited_ ? " (activated)" : "",
              metrics_url.c_str());
  std::fflush(stdout);
  notify_ready(o.instance, ctx_.stats().clients_connected.load(std::memory_order_relaxed));
  return -1;
}

void Agent::watch(int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    spdlog::error("epoll_ctl(ADD {}) failed: {}", fd, std::strerror(errno));
  }
}

void Agent::unwatch(int fd) {
  if (fd >= 0) ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void Agent::loop() {
  epoll_event events[64];
  while (!ctx_.stop.load(std::memory_order_relaxed)) {
    const int n =
        ::epoll_wait(epoll_fd_.get(), events, 64, commands_->wait_ms(monotonic_ns(), 1000));
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::critical("epoll_wait failed: {}", std::strerror(errno));
      ctx_.stop = true;
      break;
    }
    if (n == 0) commands_->tick(monotonic_ns());  // a command's deadline passed
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signal_fd_.get()) {
        signalfd_siginfo info;
        if (::read(fd, &info, sizeof(info)) == ssize_t(sizeof(info))) {
          spdlog::info("received signal {}; stopping", info.ssi_signo);
        }
        ctx_.stop = true;
      } else if (fd == timer_fd_.get()) {
        std::uint64_t expirations;
        [[maybe_unused]] auto r = ::read(fd, &expirations, sizeof(expirations));
        drop_stale_pending();
        answer_old_waiters(monotonic_ns());
        drop_punched_regions();
        drop_slow_tools(monotonic_ns());
        resume_accepts_if_due(monotonic_ns());
        commands_->tick(monotonic_ns());
        housekeeper_->tick();
      } else if (fd == listen_fd_.get()) {
        on_accept();
      } else if (pending_.count(fd) != 0) {
        on_pending(fd);
      } else if (waiting_fds_.count(fd) != 0) {
        on_waiter_event(fd);
      } else {
        on_client_event(fd, events[i].events);
      }
    }
  }
}

void Agent::on_accept() {
  for (;;) {
    const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        pause_accepts(errno);
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        spdlog::warn("accept failed: {}", std::strerror(errno));
      }
      return;
    }
    if (pending_.size() >= kMaxPending) make_room_for_pending();
    pending_.emplace(fd, std::make_pair(UniqueFd(fd), monotonic_ns()));
    watch(fd, EPOLLIN | EPOLLET);  // one event per arrival: a partial request is not re-reported
    // A request that is already here (a fork child's, sent right after its connect) is read
    // now, before the next accept: a storm of them never piles up as pending connections.
    on_pending(fd);
  }
}

void Agent::make_room_for_pending() {
  std::vector<std::pair<std::uint64_t, int>> by_age;
  by_age.reserve(pending_.size());
  for (const auto& [fd, entry] : pending_) by_age.emplace_back(entry.second, fd);
  std::sort(by_age.begin(), by_age.end());
  for (const auto& [accepted_ns, fd] : by_age) {
    if (pending_.size() < kMaxPending) return;
    // Complete (now, or in the last instant): attached (or answered) now, never dropped.
    if (!drop_if_silent(fd)) continue;
    // A flood of silent connections: the oldest is the likeliest to be one of them.
    ctx_.stats().pending_dropped.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("dropped a connection that sent no attach request in {} ms (flood)",
                  (monotonic_ns() - accepted_ns) / 1'000'000);
  }
}

bool Agent::drop_if_silent(int fd) {
  if (!request_complete(fd)) {
    // The request may arrive between that look and the close: a sender whose sendmsg succeeded
    // then would believe its region handed over (a fork-storm child that exits at once lost its
    // counts so). Refuse further data first (its sendmsg now fails with EPIPE and it retries on a
    // new connection), then look again: what arrived before the shutdown is still readable.
    ::shutdown(fd, SHUT_RD);
    if (!request_complete(fd)) {
      unwatch(fd);
      pending_.erase(fd);
      return true;
    }
  }
  on_pending(fd);
  return false;
}

void Agent::pause_accepts(int error) {
  const std::uint64_t now = monotonic_ns();
  ++accept_failures_;
  if (!accepts_paused_) {
    accepts_paused_ = true;
    unwatch(listen_fd_.get());
  }
  accepts_resume_ns_ = now + kAcceptPauseNs;
  if (now - accept_log_ns_ >= 1'000'000'000) {
    spdlog::warn(
        "accept failed {} time(s) since the last report: {}; pausing new connections "
        "for {} ms ({} connection(s) pending)",
        accept_failures_, std::strerror(error), kAcceptPauseNs / 1'000'000, pending_.size());
    accept_log_ns_ = now;
    accept_failures_ = 0;
  }
}

void Agent::resume_accepts_if_due(std::uint64_t now) {
  if (!accepts_paused_ || now < accepts_resume_ns_) return;
  accepts_paused_ = false;
  watch(listen_fd_.get());
  on_accept();  // whatever queued meanwhile (it pauses again if descriptors are still short)
}

void Agent::on_pending(int fd) {
  auto it = pending_.find(fd);
  if (it == pending_.end()) return;
  AttachRequest peek;
  const ssize_t n = ::recv(fd, &peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n > 0 && std::size_t(n) < sizeof(AttachRequest)) return;  // partial: wait (deadline)
  // Complete, or EOF/error (handle_attach reports and drops it): nothing below blocks for long.
  auto node = pending_.extract(it);
  unwatch(fd);
  const std::uint64_t deadline = monotonic_ns() + kCompleteRequestWaitNs;
  AttachHooks hooks;
  hooks.retire = [this](const std::shared_ptr<Client>& c) { retire(c, "re-attached"); };
  hooks.forget_waiter = [this](const Client& newcomer) {
    for (const auto& w : waiters_) {
      if (w->incarnation == newcomer.incarnation && newcomer.reattach.proves(w->reattach)) {
        forget_waiter(w);  // its region came again with the new request
        return;
      }
    }
  };
  hooks.may_wait = [this](ClientKind kind) {
    const auto tools =
        std::size_t(std::count_if(waiters_.begin(), waiters_.end(),
                                  [](const auto& w) { return w->kind != ClientKind::kApp; }));
    return kind == ClientKind::kApp ? waiters_.size() - tools < kMaxSlotWaiters
                                    : tools < kMaxToolSlotWaiters;
  };
  AttachResult r = handle_attach(ctx_, std::move(node.mapped().first), deadline, hooks);
  if (!r.client) return;
  if (r.waiting) {
    queue_waiter(r.client);
  } else {
    enter_loop(r.client);
  }
}

void Agent::enter_loop(const std::shared_ptr<Client>& client) {
  commands_->on_attach(client);
  by_fd_[client->socket.get()] = client;
  watch(client->socket.get());
  if (client->pidfd) {
    by_fd_[client->pidfd.get()] = client;
    watch(client->pidfd.get());
  }
  std::lock_guard lock(ctx_.mu);
  publish_directory(ctx_);
}

void Agent::queue_waiter(const std::shared_ptr<Client>& c) {
  waiters_.push_back(c);
  waiting_fds_[c->socket.get()] = c;
  watch(c->socket.get(), EPOLLIN | EPOLLRDHUP);
  if (c->pidfd) {
    waiting_fds_[c->pidfd.get()] = c;
    watch(c->pidfd.get());
  }
}

void Agent::forget_waiter(const std::shared_ptr<Client>& c) {
  for (int fd : {c->socket.get(), c->pidfd.get()}) {
    if (fd < 0) continue;
    unwatch(fd);
    waiting_fds_.erase(fd);
  }
  waiters_.remove(c);
}

void Agent::fold_waiter(const std::shared_ptr<Client>& c) {
  forget_waiter(c);
  c->socket.reset();
  c->pidfd.reset();
  fold_exited_client(ctx_, *c);
}

void Agent::on_waiter_event(int fd) {
  auto it = waiting_fds_.find(fd);
  if (it == waiting_fds_.end()) return;
  std::shared_ptr<Client> c = it->second;
  if (fd == c->pidfd.get()) {
    fold_waiter(c);  // exited without a slot
    return;
  }
  // A waiting app sends nothing: readable means it closed the socket (it exited, or gave up
  // waiting and will ask again). The region stays until its process exits or it asks again;
  // without a pidfd to tell us, the socket's end is taken as its departure (as in retire()).
  unwatch(fd);
  waiting_fds_.erase(fd);
  c->socket.reset();
  if (!c->pidfd) fold_waiter(c);
}

void Agent::admit_waiters() {
  // Apps and tools have slots of their own: a kind without a free slot is skipped, the other
  // still admitted, each oldest first.
  bool app_full = false, tool_full = false;
  for (auto it = waiters_.begin(); it != waiters_.end() && !(app_full && tool_full);) {
    const std::shared_ptr<Client> c = *it;
    bool& full = c->kind == ClientKind::kApp ? app_full : tool_full;
    if (!c->socket || full) {  // nobody to answer (it asks again, or is folded when it exits)
      ++it;
      continue;
    }
    const int sock = c->socket.get();
    const int pidfd = c->pidfd.get();
    if (!admit_waiter(ctx_, c)) {
      full = true;  // no free slot of its kind
      ++it;
      continue;
    }
    it = waiters_.erase(it);
    waiting_fds_.erase(sock);
    waiting_fds_.erase(pidfd);
    unwatch(sock);
    unwatch(pidfd);
    enter_loop(c);
  }
}

void Agent::answer_old_waiters(std::uint64_t now) {
  for (const auto& c : waiters_) {
    if (!c->socket || now - c->attached_monotonic_ns < kSlotWaitNs) continue;
    const int sock = c->socket.get();
    unwatch(sock);
    waiting_fds_.erase(sock);
    answer_full(ctx_, *c);
  }
  // Those without a pidfd cannot be watched for their exit: their region goes now.
  std::vector<std::shared_ptr<Client>> blind;
  for (const auto& c : waiters_) {
    if (!c->socket && !c->pidfd) blind.push_back(c);
  }
  for (const auto& c : blind) fold_waiter(c);
}

void Agent::on_client_event(int fd, std::uint32_t events) {
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return;
  std::shared_ptr<Client> c = it->second;
  if (fd == c->pidfd.get()) {
    retire(c, "process exited");
  } else if ((events & (EPOLLHUP | EPOLLERR)) != 0 && (events & EPOLLIN) == 0) {
    retire(c, "socket error");
  } else if (c->kind == ClientKind::kApp) {
    // An app sends only wake-up bytes: "my reply half has an answer" (docs/COMMANDS.md).
    char bytes[64];
    const ssize_t got = ::recv(fd, bytes, sizeof bytes, MSG_DONTWAIT);
    if (got > 0) {
      commands_->on_wake(c);
    } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      retire(c, c->current_state() == ClientState::kLeaving ? "said bye" : "connection closed");
    }
  } else if ((events & EPOLLOUT) != 0 || commands_->holding(*c)) {
    // Replies wait for this tool: it is not read until it has read them (back-pressure).
    commands_->on_writable(*c);
  } else {
    read_tool(c);
  }
}

void Agent::read_tool(const std::shared_ptr<Client>& c) {
  ToolInbox& inbox = inboxes_[c->socket.get()];
  switch (inbox.read(c->socket.get(), monotonic_ns())) {
    case ToolInbox::Read::kPartial:
      return;  // the rest comes later (or the tick drops it): the main thread moves on
    case ToolInbox::Read::kClosed:
      retire(c, c->current_state() == ClientState::kLeaving ? "said bye" : "connection closed");
      return;
    case ToolInbox::Read::kUnknown:
      spdlog::warn("client {} (pid {}) sent an unknown message; closing its connection", c->name,
                   c->pid);
      retire(c, "unknown message");
      return;
    case ToolInbox::Read::kComplete:
      break;
  }
  bool ok = true;
  if (inbox.starts_with(kCommandRequestMagic)) {
    auto req = std::make_unique<CommandRequest>();
    std::memcpy(static_cast<void*>(req.get()), inbox.message().data(), sizeof(CommandRequest));
    inbox.clear();
    if (req->abi_version != kAbiVersion) {
      spdlog::warn("tool {} (pid {}) sent a bad command request (ABI {}); closing its connection",
                   c->name, c->pid, req->abi_version);
      ok = false;
    } else {
      commands_->on_request(c, *req);
    }
  } else {
    RegionRequest req;
    std::memcpy(&req, inbox.message().data(), sizeof req);
    inbox.clear();
    ok = handle_region_request(ctx_, *c, req);
  }
  if (!ok) retire(c, "bad request");
}

void Agent::drop_slow_tools(std::uint64_t now) {
  std::vector<std::shared_ptr<Client>> slow;
  for (const auto& [fd, inbox] : inboxes_) {
    const std::uint64_t since = inbox.partial_since_ns();
    if (since == 0 || now - since < kToolMessageDeadlineNs) continue;
    auto it = by_fd_.find(fd);
    if (it == by_fd_.end()) continue;
    spdlog::debug("dropping tool {} (pid {}): {} of {} bytes of its message in {} ms",
                  it->second->name, it->second->pid, inbox.size(), inbox.expected(),
                  (now - since) / 1'000'000);
    slow.push_back(it->second);
  }
  for (const auto& c : slow) {
    ctx_.hostile.partial_messages_dropped.fetch_add(1, std::memory_order_relaxed);
    retire(c, "did not complete its message in time");
  }
}

void Agent::retire(const std::shared_ptr<Client>& c, const char* reason) {
  if (c->retired.exchange(true)) return;
  unwatch(c->socket.get());
  unwatch(c->pidfd.get());
  by_fd_.erase(c->socket.get());
  by_fd_.erase(c->pidfd.get());
  inboxes_.erase(c->socket.get());
  if (ClientMutex(&ctx_.regions.mailbox_header()->lock).force_release(c->owner_token)) {
    ctx_.stats().dead_owner_releases.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("released client mutex held by dead client {} (pid {})", c->name, c->pid);
  }
  c->state.store(std::uint32_t(ClientState::kLeaving), std::memory_order_release);
  if (commands_) commands_->forget(*c);
  const bool readable = !c->region_lost.load(std::memory_order_acquire);
  if (readable) {
    std::lock_guard lock(c->drain_mu);
    drain_client_locked(ctx_, *c);
  }
  std::uint64_t bad = 0;
  {
    std::lock_guard lock(ctx_.mu);
    std::optional<std::uint64_t> evicted;
    if (readable) {
      observe_drops(ctx_, *c, monotonic_ns());
      const Folded f = fold_client(*c, bad, admitter(ctx_));
      bad += ctx_.departed.fold(c->reattach, f, &evicted);
    }
    release_series_locked(ctx_, *c);
    persist_departure_locked(ctx_, *c, evicted);  // before any query can see the new totals
    if (ctx_.slots[c->slot] == c) ctx_.slots[c->slot] = nullptr;
    ctx_.data_bytes_total -= c->geo.region_size;
    publish_directory(ctx_);
  }
  if (bad > 0) count_bad_records(ctx_, bad, "metrics of " + c->name + " that could not be folded");
  c->socket.reset();
  c->pidfd.reset();
  spdlog::log(c->kind == ClientKind::kApp ? spdlog::level::info : spdlog::level::debug,
              "client {} (pid {}) detached from slot {}: {}", c->name, c->pid, c->slot, reason);
  admit_waiters();  // the slot is free
}

void Agent::drop_stale_pending() {
  const std::uint64_t now = monotonic_ns();
  std::vector<int> stale;
  for (const auto& [fd, entry] : pending_) {
    if (now - entry.second > std::uint64_t(kAttachTimeoutMs) * 1'000'000) stale.push_back(fd);
  }
  // Its request may have arrived since the last look (its EPOLLIN still queued behind this tick,
  // or a sender delayed between connect and send on a starved machine): attached, not dropped.
  for (int fd : stale) {
    if (drop_if_silent(fd)) {
      spdlog::debug("dropped a connection that sent no attach request in {} ms", kAttachTimeoutMs);
    }
  }
}

void Agent::drop_punched_regions() {
  // A hole punched into a region after attach is refaulted as a fresh page charged to the agent
  // (tmpfs never SIGBUSes here: hugetlbfs is refused at attach). Honest probes never punch, so
  // the client is dropped within a tick rather than allowed to move its memory onto us.
  std::vector<std::shared_ptr<Client>> punched;
  for (const auto& [fd, c] : by_fd_) {
    if (fd != c->socket.get()) continue;  // the pidfd entry of the same client
    if (auto st = verify_region_pages(c->data_fd.get(), c->geo.region_size); !st) {
      spdlog::warn("dropping client {} (pid {}): {}", c->name, c->pid, st.error());
      punched.push_back(c);
    }
  }
  for (const auto& c : punched) {
    ctx_.hostile.regions_dropped.fetch_add(1, std::memory_order_relaxed);
    c->region_lost.store(true, std::memory_order_release);
    retire(c, "its data region lost pages");
  }
}

void Agent::shutdown() {
  if (listen_fd_) notify_stopping();
  ctx_.stop = true;
  if (metrics_) metrics_->stop();
  if (service_) {
    service_->wake();
    service_->join();
  }
  if (drain_) {
    drain_->wake();
    drain_->join();
  }
  if (snapshots_) {
    snapshots_->wake();
    snapshots_->join();
  }
  if (ctx_.store) {
    // Clients stay alive and re-attach to the next agent: their snapshots stay, current.
    {
      std::lock_guard lock(ctx_.mu);
      persist_live_locked(ctx_, ctx_.live_clients(), Reading::kExact);
    }
    persist_stats(ctx_);
    persist_maintenance(ctx_, monotonic_ns(), /*force=*/true);
  }
  if (listen_fd_) {
    listen_fd_.reset();
    // An activated socket's file belongs to systemd, which keeps listening on it for the next
    // activation; only a socket we bound ourselves is removed.
    if (!socket_inherited_) ::unlink(socket_path_.c_str());
  }
}

}  // namespace shmon::agent
