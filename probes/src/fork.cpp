// SPDX-License-Identifier: Apache-2.0
// fork(): the child must never write the parent's region or use the parent's session. The child
// handler replaces each live core's data region at the same address with a fresh one (same names
// and bounds, zeroed values, new incarnation), drops the session without a bye and re-initialises
// every process-local mutex. It uses only system calls and memcpy (no allocation). The connector
// thread does not exist in the child: it is restarted lazily by the next registration, call or
// poll.
//
// Attaching the child at once: a child that only updates cells and exits without a call must
// still count. So the handler connects to the agent's socket and sends the attach request with
// the new region's fd, without waiting for the reply (tens of microseconds; nothing when no agent
// listens). The kernel keeps the memfd alive in the socket's queue, so the agent gets the region
// even if the child has exited by then, and folds it when its process exits. The child's next
// attach reads the reply (pending_attach). A new probe does the same when it opens
// (probe_core.cpp), so a process that exits right after its first updates counts as well.
//
// Fork storms (docs/DESIGN.md): when the agent's backlog is full the connect waits for room, and
// a failed connect or send is retried, for at most kHandoffWaitMs in all; only then, or at once
// when no agent listens, the hand-off is missed. A missed hand-off is counted
// (fork_handoffs_missed) in the child's region and in the parent's, where tools see it: such a
// child counts only if it lives until it attaches (a call, or its connector thread once started).
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <new>

#include "probe_core.hpp"
#include "region.hpp"
#include "shmon/paths.hpp"
#include "shmon/protocol.hpp"

namespace shmon::detail {
namespace {

// Builds the child's region over the parent's mapping. Returns the new memfd (or -1 when the
// region had to fall back to private anonymous memory).
int rebuild_region(ProbeCore& c) noexcept {
  const std::size_t size = c.region_size;
  std::byte* const base = c.region.base();
  const std::size_t keep = c.geometry().cells_offset;  // header, descriptors, bounds
  std::byte* tmp = map_zero_pages(nullptr, keep);
  if (tmp != nullptr) std::memcpy(tmp, base, keep);

  int fd = ::memfd_create("shmon-data", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  bool mapped = false;
  if (fd >= 0 && ::ftruncate(fd, off_t(size)) == 0 && ::fallocate(fd, 0, 0, off_t(size)) == 0 &&
      ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0) {
    mapped =
        ::mmap(base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) != MAP_FAILED;
  }
  if (!mapped) {
    if (fd >= 0) ::close(fd);
    fd = -1;
    // Last resort keeps the address valid for the host's handles; values start over either way.
    map_zero_pages(base, size);
  }
  if (tmp != nullptr) {
    std::memcpy(base, tmp, keep);
    ::munmap(tmp, keep);
  }
  DataHeader* h = c.region.header();
  std::memset(static_cast<void*>(&h->stats), 0, sizeof(h->stats));
  std::memset(static_cast<void*>(&h->commands), 0, sizeof(h->commands));  // the parent's commands
  h->mutex_claim.store(0, std::memory_order_relaxed);   // the parent's claim is not ours
  h->awaiting_seq.store(0, std::memory_order_relaxed);  // nor its pending request
  write_data_header(h, c.geometry(), random_u64(), h->kind, h->name);
  init_histogram_extremes(c.region);
  return fd;
}

}  // namespace

namespace {

std::uint64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe, unlike the clock library
  return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
}

// One connect to the agent's socket, waiting at most `wait_ns` for room in its backlog.
// Returns the socket, or -1 with errno set.
int connect_bounded(const sockaddr_un& addr, std::uint64_t wait_ns) noexcept {
  const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  const timeval bound{time_t(wait_ns / 1'000'000'000u),
                      suseconds_t(wait_ns % 1'000'000'000u / 1000)};
  ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof(bound));
  if (::connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(s);
    errno = err;
    return -1;
  }
  return s;
}

}  // namespace

int ProbeCore::send_attach_request(int data_fd) noexcept {
  if (fork_socket_path[0] == '\0' || data_fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, fork_socket_path, sizeof(addr.sun_path));
  addr.sun_path[sizeof(addr.sun_path) - 1] = '\0';
  const std::uint64_t deadline = now_ns() + std::uint64_t(kHandoffWaitMs) * 1'000'000u;
  for (;;) {
    const std::uint64_t now = now_ns();
    if (now >= deadline) return -1;
    const int s = connect_bounded(addr, std::max<std::uint64_t>(deadline - now, 1000));
    if (s < 0 && (errno == ENOENT || errno == ECONNREFUSED || errno == EACCES)) return -1;
    if (s >= 0) {
      if (send_attach_on(s, data_fd)) return s;
      ::close(s);
    }
    // The backlog stayed full for the whole wait, or the agent closed the connection: again,
    // after a pause that leaves it the processor.
    const timespec pause{0, 2'000'000};
    ::nanosleep(&pause, nullptr);
  }
}

bool ProbeCore::send_attach_on(int s, int data_fd) noexcept {
  const AttachRequest req = make_attach_request();
  iovec iov{const_cast<AttachRequest*>(&req), sizeof(req)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &data_fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(s, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == ssize_t(sizeof(req));
}

void ProbeCore::remember_socket_path() noexcept {
  try {
    const std::string path = socket_path(opts.instance);
    const bool fits = path.size() < sizeof(fork_socket_path);
    std::memcpy(fork_socket_path, path.c_str(), fits ? path.size() + 1 : 1);
    if (!fits) fork_socket_path[0] = '\0';
  } catch (...) {
    fork_socket_path[0] = '\0';
  }
}

namespace {

// Adds one to the parent's fork_handoffs_missed through its region's memfd (the parent's
// region is no longer mapped here: the child's replaced it at the same address).
void count_miss_in_parent(int parent_fd) noexcept {
  const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
  const std::size_t len = (sizeof(DataHeader) + page - 1) / page * page;
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, parent_fd, 0);
  if (p == MAP_FAILED) return;
  static_cast<DataHeader*>(p)->stats.fork_handoffs_missed.fetch_add(1, std::memory_order_relaxed);
  ::munmap(p, len);
}

void child_after_fork(ProbeCore& c) noexcept {
  UniqueFd parent_fd;  // the parent's region, kept until the hand-off is done
  if (c.region.valid()) {
    const int fd = rebuild_region(c);
    parent_fd.reset(c.data_fd.release());
    c.data_fd.reset(fd);
    c.region_shareable = fd >= 0;
  }
  // Claims made before fork (the forking thread's) stop matching; every shard is free again.
  c.epoch.store(new_epoch(), std::memory_order_relaxed);
  c.shard_bitmap.store(0, std::memory_order_relaxed);

  // The parent's session: close our copy of the socket and unmap, without a bye.
  c.connected.store(false, std::memory_order_relaxed);
  c.state.store(ConnectionState::kDisconnected, std::memory_order_relaxed);
  c.session.sock.reset();
  if (c.session.control.valid()) {
    ::munmap(c.session.control.data(), c.session.control.size());
    c.session.control.release();
  }
  if (c.mailbox != nullptr) map_zero_pages(c.mailbox, mailbox_reservation_size());
  c.session.slot = kMailboxSlot;
  c.public_slot.store(kMailboxSlot, std::memory_order_relaxed);
  c.session.owner_token = 0;
  c.session.session = 0;
  c.session.ever_attached = false;
  c.session_gen.fetch_add(1, std::memory_order_relaxed);
  c.next_attempt_ns = 0;
  c.backoff_ms = 10;
  new_reattach_secret(c.reattach_secret);  // the parent's proof is not the child's
  c.pending_attach.reset(c.region_shareable ? c.send_attach_request(c.data_fd.get()) : -1);
  if (c.region_shareable && !c.pending_attach) {
    c.stats().fork_handoffs_missed.fetch_add(1, std::memory_order_relaxed);
    if (parent_fd) count_miss_in_parent(parent_fd.get());
  }
  parent_fd.reset();

  // Locks may have been held by threads that do not exist here.
  new (&c.reg_mutex) std::mutex();
  new (&c.shared_ring_mutex) std::mutex();
  new (&c.call_mutex) TimedMutex();
  new (&c.connector_mutex) std::mutex();
  new (&c.error_mutex) std::mutex();
  new (&c.serve_mutex) std::mutex();
  c.commands.reset_lock_after_fork();
  c.served_command_id.store(0, std::memory_order_relaxed);

  // The connector thread is gone; forget its handle and restart it lazily.
  new (&c.connector) std::thread();
  c.wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  c.stop.store(false, std::memory_order_relaxed);
  c.connector_needed.store(c.opts.background_connect, std::memory_order_relaxed);
}

void on_fork_child() noexcept {
  new (&live_mutex()) std::mutex();
  for (ProbeCore* c = live_head(); c != nullptr; c = c->next) child_after_fork(*c);
}

// In the parent, before fork: the socket path (the child must not allocate to compute it).
void on_fork_prepare() noexcept {
  try {
    std::lock_guard lock(live_mutex());
    for (ProbeCore* c = live_head(); c != nullptr; c = c->next) c->remember_socket_path();
  } catch (...) {
  }
}

}  // namespace

void install_fork_handler() noexcept {
  static std::once_flag once;
  try {
    std::call_once(once, [] { pthread_atfork(on_fork_prepare, nullptr, on_fork_child); });
  } catch (...) {
  }
}

}  // namespace shmon::detail
