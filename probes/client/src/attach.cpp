// Attaching to the agent and dropping the session. Everything here runs under call_mutex.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "probe_core.hpp"
#include "region.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/names.hpp"
#include "shmon/paths.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::detail {
namespace {

constexpr std::uint64_t kRefusedRetryMs = 5000;
constexpr std::uint64_t kMinBackoffMs = 10;
constexpr std::uint64_t kMaxBackoffMs = 1000;

std::string abi_message(const std::string& path, std::uint32_t theirs) {
  return "agent at " + path + " speaks ABI " + std::to_string(theirs) + "; this probe speaks " +
         std::to_string(kAbiVersion);
}

}  // namespace

std::size_t mailbox_reservation_size() {
  const auto page = std::size_t(::sysconf(_SC_PAGESIZE));
  return (MailboxLayout::kRegionSize + page - 1) / page * page;
}

AttachRequest ProbeCore::make_attach_request() const noexcept {
  AttachRequest req{};
  std::memcpy(req.magic, kAttachMagic, sizeof(kAttachMagic));
  req.abi_version = kAbiVersion;
  req.kind = std::uint32_t(opts.kind);
  req.pid = std::int32_t(::getpid());
  req.incarnation = header->incarnation;
  std::memcpy(req.reattach_secret, reattach_secret, sizeof(req.reattach_secret));
  write_fixed_name(req.name, sizeof(req.name), opts.name);
  req.data_region_size = region_size;
  return req;
}

bool ProbeCore::attach_due_locked() const {
  return monotonic_ns() >= next_attempt_ns;
}

void ProbeCore::note_attach_outcome_locked(AttachOutcome outcome) {
  const std::uint64_t now = monotonic_ns();
  switch (outcome) {
    case AttachOutcome::kAttached:
      backoff_ms = kMinBackoffMs;
      next_attempt_ns = now;
      return;
    case AttachOutcome::kRefused:
      next_attempt_ns = now + kRefusedRetryMs * 1'000'000u;
      return;
    case AttachOutcome::kNoAgent:
    case AttachOutcome::kFull:
    case AttachOutcome::kFailed:
      next_attempt_ns = now + backoff_ms * 1'000'000u;
      backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
      return;
  }
}

ProbeCore::AttachOutcome ProbeCore::attach_locked() {
  if (!region_shareable || mailbox == nullptr) return AttachOutcome::kRefused;
  const std::string path = socket_path(opts.instance);
  auto failed = [&](const std::string& why) {
    stats().attach_failures.fetch_add(1, std::memory_order_relaxed);
    set_error("attach to " + path + " failed: " + why);
    state.store(ConnectionState::kDisconnected);
    return AttachOutcome::kFailed;
  };
  auto refused = [&](const std::string& why) {
    stats().attach_failures.fetch_add(1, std::memory_order_relaxed);
    set_error(why);
    state.store(ConnectionState::kRefused);
    return AttachOutcome::kRefused;
  };

  Connected conn;
  if (pending_attach) {
    // A forked child sent its request from the fork handler (fork.cpp): read that reply.
    conn.fd = std::move(pending_attach);
  } else {
    conn = connect_unix(path);
    if (!conn.fd) {
      if (conn.error == ConnectError::kPermission) {
        return refused("permission denied on " + path + ": " + conn.message);
      }
      set_error(conn.message.empty() ? "no agent at " + path : conn.message);
      state.store(ConnectionState::kDisconnected);
      return AttachOutcome::kNoAgent;
    }
    const AttachRequest req = make_attach_request();
    const int fds[1] = {data_fd.get()};
    if (auto st = send_message(conn.fd.get(), std::as_bytes(std::span(&req, 1)), fds); !st) {
      return failed(st.error());
    }
  }
  AttachReply rep{};
  auto got = receive_message(conn.fd.get(), std::as_writable_bytes(std::span(&rep, 1)), 2,
                             deadline_after_ms(kAttachTimeoutMs));
  if (!got) return failed(got.error());
  if (std::memcmp(rep.magic, kReplyMagic, sizeof(kReplyMagic)) != 0) {
    return failed("the reply has a bad magic");
  }
  if (rep.abi_version != kAbiVersion) return refused(abi_message(path, rep.abi_version));
  rep.message[sizeof(rep.message) - 1] = '\0';
  const std::string agent_says = rep.message;
  switch (AttachStatus(rep.status)) {
    case AttachStatus::kOk:
      break;
    case AttachStatus::kFull:
      stats().attach_failures.fetch_add(1, std::memory_order_relaxed);
      set_error("agent full (" + (agent_says.empty() ? std::string("no free slot") : agent_says) +
                ")");
      state.store(ConnectionState::kRefusedFull);
      return AttachOutcome::kFull;
    case AttachStatus::kAbiMismatch:
      return refused(abi_message(path, rep.abi_version) + (agent_says.empty() ? "" : ": ") +
                     agent_says);
    case AttachStatus::kShuttingDown:
      return failed("the agent is shutting down");
    default:
      return refused(std::string("agent at ") + path + " refused the attach (" +
                     to_string(AttachStatus(rep.status)) + (agent_says.empty() ? "" : ": ") +
                     agent_says + ")");
  }
  if (got->fds.size() != 2) return failed("the reply carries no region descriptors");

  // Control region: read-only, validated on a private copy of its header.
  const std::size_t max_control = control_region_size(kHardMaxClients + kReservedToolSlots);
  auto control_size = verify_region(got->fds[0].get(), sizeof(ControlHeader), max_control);
  if (!control_size) return failed("control region: " + control_size.error());
  auto control = Mapping::map(got->fds[0].get(), *control_size, false);
  if (!control) return failed(control.error());
  ControlHeader ch;
  std::memcpy(static_cast<void*>(&ch), control->data(), sizeof(ch));
  // A wrong magic or ABI is a different program or version, not a passing fault: refuse (and
  // retry slowly) rather than fail, and say which of the two it is.
  if (std::memcmp(ch.magic, kControlMagic, sizeof(kControlMagic)) != 0) {
    return refused("agent at " + path + " sent a control region with a bad magic (not a shmon " +
                   "agent, or a corrupt region)");
  }
  if (ch.abi_version != kAbiVersion) return refused(abi_message(path, ch.abi_version));
  if (auto st = validate_control_header(ch, *control_size); !st) return failed(st.error());

  // Mailbox: mapped over our reservation so updaters can always read the doorbell words.
  auto mbx_size =
      verify_region(got->fds[1].get(), MailboxLayout::kRegionSize, mailbox_reservation_size());
  if (!mbx_size) return failed("mailbox: " + mbx_size.error());
  void* p = ::mmap(mailbox, *mbx_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                   got->fds[1].get(), 0);
  if (p == MAP_FAILED) {
    map_zero_pages(mailbox, mailbox_reservation_size());
    return failed("cannot map the mailbox: " + std::string(std::strerror(errno)));
  }
  MailboxHeader mh;
  std::memcpy(static_cast<void*>(&mh), mailbox, sizeof(mh));
  if (auto st = validate_mailbox_header(mh, *mbx_size); !st) {
    map_zero_pages(mailbox, mailbox_reservation_size());
    return failed(st.error());
  }

  session.sock = std::move(conn.fd);
  session.control = std::move(*control);
  session.slot = rep.slot;
  session.session = rep.session;
  session.owner_token = make_owner_token(rep.slot, rep.lock_generation);
  session.agent_pid = rep.agent_pid;
  connected.store(true, std::memory_order_release);
  session_gen.fetch_add(1);

  Reply reply;
  const CallStatus hello = session_locked(RequestType::kHello, {}, reply);
  if (hello != CallStatus::kOk) {
    if (connected.load()) drop_session_locked();
    stats().attach_failures.fetch_add(1, std::memory_order_relaxed);
    set_error("attach to " + path + " failed: hello answered " + to_string(hello));
    return AttachOutcome::kFailed;
  }
  if (session.ever_attached) stats().reconnects.fetch_add(1, std::memory_order_relaxed);
  session.ever_attached = true;
  state.store(ConnectionState::kConnected);
  public_slot.store(session.slot);
  set_error("");
  return AttachOutcome::kAttached;
}

void ProbeCore::drop_session_locked() {
  connected.store(false, std::memory_order_release);
  state.store(ConnectionState::kDisconnected);
  public_slot.store(kMailboxSlot);
  session.sock.reset();
  session.control = Mapping{};
  if (mailbox != nullptr) map_zero_pages(mailbox, mailbox_reservation_size());
  session.slot = kMailboxSlot;
  session.owner_token = 0;
  session.session = 0;
  session_gen.fetch_add(1);
  wake_connector();
}

}  // namespace shmon::detail
