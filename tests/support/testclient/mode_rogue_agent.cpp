// SPDX-License-Identifier: Apache-2.0
// rogue-agent: a fake agent that listens on the instance's socket, accepts one attach and hands
// out a control region whose magic (--variant bad-magic) or ABI version (--variant bad-abi) is
// wrong, with an otherwise valid mailbox. Prints "ROGUE READY" once listening, then
// "ROGUE PEER CLOSED" when the client hung up (or "ROGUE TIMEOUT").
//
// probe-attach-once: a real probe (background connect) that waits up to --wait-ms for the state
// "refused", prints "STATE <state>" and "ERROR <last_error>", and checks that updates still work
// while refused. Exit 0 when refused.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "output.hpp"
#include "shmon/clock.hpp"
#include "shmon/layout.hpp"
#include "shmon/limits.hpp"
#include "shmon/memfd.hpp"
#include "shmon/paths.hpp"
#include "shmon/probe.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::testclient {
namespace {

constexpr std::uint32_t kRogueCapacity = 4;
constexpr std::uint64_t kRogueWaitMs = 10000;

int ms_until(std::uint64_t deadline_ns) {
  const std::uint64_t now = monotonic_ns();
  return now >= deadline_ns ? 0 : int((deadline_ns - now) / 1'000'000u) + 1;
}

int fail(const std::string& what) {
  say("ROGUE ERROR " + what);
  return 1;
}

// A control region filled exactly as a valid one, then corrupted as `variant` says.
struct Region {
  UniqueFd fd;
  Mapping map;
};

Result<Region> build_control(const std::string& variant) {
  const std::uint64_t size = control_region_size(kRogueCapacity + kReservedToolSlots);
  auto fd = create_region("shmon-rogue-control", size);
  if (!fd) return Error{"create_region(control): " + fd.error()};
  auto map = Mapping::map(fd->get(), size, true);
  if (!map) return Error{"map(control): " + map.error()};
  auto* h = map->as<ControlHeader>();
  init_control_header(*h, kRogueCapacity);
  h->lease_ms = 1000;
  h->agent_pid = ::getpid();
  h->agent_generation = 1;
  h->agent_start_realtime_ns = realtime_ns();
  h->agent_start_monotonic_ns = monotonic_ns();
  std::strncpy(h->instance, "rogue", sizeof h->instance - 1);
  h->heartbeat_monotonic_ns.store(monotonic_ns());
  if (variant == "bad-magic") {
    std::memcpy(h->magic, "BADMAGIC", sizeof h->magic);
  } else {
    h->abi_version = 999;
  }
  if (auto sealed = seal_read_only(fd->get()); !sealed) {
    return Error{"seal_read_only(control): " + sealed.error()};
  }
  return Region{std::move(*fd), std::move(*map)};
}

Result<Region> build_mailbox() {
  const std::uint64_t size = MailboxLayout::kRegionSize;
  auto fd = create_region("shmon-rogue-mailbox", size);
  if (!fd) return Error{"create_region(mailbox): " + fd.error()};
  if (auto sealed = seal_shared(fd->get()); !sealed) {
    return Error{"seal_shared(mailbox): " + sealed.error()};
  }
  auto map = Mapping::map(fd->get(), size, true);
  if (!map) return Error{"map(mailbox): " + map.error()};
  init_mailbox_header(*map->as<MailboxHeader>());
  return Region{std::move(*fd), std::move(*map)};
}

// Waits until the peer closes the socket (EOF or a reset), discarding anything it sends.
bool wait_peer_closed(int sock, std::uint64_t deadline_ns) {
  for (;;) {
    const int left = ms_until(deadline_ns);
    if (left == 0) return false;
    pollfd p{sock, POLLIN, 0};
    const int n = ::poll(&p, 1, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) continue;  // the loop re-checks the deadline
    char buf[512];
    const ssize_t got = ::recv(sock, buf, sizeof buf, MSG_DONTWAIT);
    if (got == 0) return true;
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
  }
}

}  // namespace

int run_rogue_agent(const Args& args) {
  if (args.variant != "bad-magic" && args.variant != "bad-abi") {
    return fail("--variant must be bad-magic or bad-abi, not '" + args.variant + "'");
  }
  if (auto st = ensure_runtime_dir(); !st) return fail("runtime dir: " + st.error());
  auto listener = listen_unix(socket_path(args.instance));
  if (!listener) return fail("listen: " + listener.error());
  say("ROGUE READY");

  // Accept one connection (the listener is non-blocking).
  const std::uint64_t accept_deadline = deadline_after_ms(kRogueWaitMs);
  UniqueFd sock;
  while (!sock) {
    const int left = ms_until(accept_deadline);
    if (left == 0) {
      say("ROGUE TIMEOUT");
      return 0;
    }
    pollfd p{listener->get(), POLLIN, 0};
    const int n = ::poll(&p, 1, left);
    if (n < 0 && errno != EINTR) return fail("poll: " + std::string(std::strerror(errno)));
    if (n <= 0) continue;
    sock = UniqueFd(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!sock && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return fail("accept: " + std::string(std::strerror(errno)));
    }
  }
  // accept4 without SOCK_NONBLOCK: the connection is blocking; receive_message bounds the wait.
  AttachRequest request{};
  auto received = receive_message(sock.get(), std::as_writable_bytes(std::span(&request, 1)), 1,
                                  deadline_after_ms(kRogueWaitMs));
  if (!received) return fail("receive AttachRequest: " + received.error());
  say("ROGUE GOT ATTACH");

  auto control = build_control(args.variant);
  if (!control) return fail(control.error());
  auto control_ro = reopen_read_only(control->fd.get());
  if (!control_ro) return fail("reopen_read_only(control): " + control_ro.error());
  auto mailbox = build_mailbox();
  if (!mailbox) return fail(mailbox.error());

  AttachReply reply{};
  std::memcpy(reply.magic, kReplyMagic, sizeof reply.magic);
  reply.abi_version = kAbiVersion;
  reply.status = std::uint32_t(AttachStatus::kOk);
  reply.slot = 0;
  reply.lock_generation = 1;
  reply.session = 1;
  reply.agent_generation = 1;
  reply.agent_pid = ::getpid();
  reply.max_app_clients = kRogueCapacity;
  const int fds[] = {control_ro->get(), mailbox->fd.get()};
  if (auto sent =
          send_message(sock.get(), std::as_bytes(std::span(&reply, 1)), std::span<const int>(fds));
      !sent) {
    return fail("send AttachReply: " + sent.error());
  }
  say("ROGUE REPLIED");

  say(wait_peer_closed(sock.get(), deadline_after_ms(kRogueWaitMs)) ? "ROGUE PEER CLOSED"
                                                                    : "ROGUE TIMEOUT");
  return 0;
}

int run_probe_attach_once(const Args& args) {
  ProbeOptions options = probe_options(args);
  options.background_connect = true;
  Probe probe(options);
  Counter counter = probe.counter("rogue_updates");

  const std::uint64_t deadline = deadline_after_ms(args.wait_ms);
  ConnectionState state = probe.state();
  std::uint64_t updates = 0;
  while (state != ConnectionState::kRefused && monotonic_ns() < deadline) {
    counter.add();
    ++updates;
    ::usleep(10 * 1000);  // polling interval, not synchronization: the loop is bounded
    state = probe.state();
  }
  // Updates keep working (buffered, no crash) after the refusal.
  for (int i = 0; i < 1000; ++i) counter.add();
  updates += 1000;

  say(std::string("STATE ") + to_string(state));
  say("ERROR " + probe.last_error());
  say("UPDATES " + std::to_string(updates));
  return state == ConnectionState::kRefused ? 0 : 1;
}

}  // namespace shmon::testclient
