// SPDX-License-Identifier: Apache-2.0
// The probe's session, built on the client library: attach with backoff, the mailbox call, and
// dropping the session. Everything here runs under call_mutex.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "probe_core.hpp"
#include "region.hpp"
#include "shmon/clock.hpp"
#include "shmon/names.hpp"
#include "shmon/paths.hpp"

namespace shmon::detail {
namespace {

constexpr std::uint64_t kRefusedRetryMs = 5000;
constexpr std::uint64_t kMinBackoffMs = 10;
constexpr std::uint64_t kMaxBackoffMs = 1000;

// The public CallStatus mirrors the library's, value for value (public_status and to_string
// convert by value).
static_assert(int(CallStatus::kOk) == int(client::CallStatus::kOk));
static_assert(int(CallStatus::kNotConnected) == int(client::CallStatus::kNotConnected));
static_assert(int(CallStatus::kLockTimeout) == int(client::CallStatus::kLockTimeout));
static_assert(int(CallStatus::kTimeout) == int(client::CallStatus::kTimeout));
static_assert(int(CallStatus::kBadArgument) == int(client::CallStatus::kBadArgument));
static_assert(int(CallStatus::kAgentError) == int(client::CallStatus::kAgentError));
static_assert(int(CallStatus::kRevoked) == int(client::CallStatus::kRevoked));
static_assert(int(CallStatus::kNotDurable) == int(client::CallStatus::kNotDurable));
CallStatus public_status(client::CallStatus st) {
  return CallStatus(int(st));
}

}  // namespace

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
  client::AttachParams params;
  params.instance = opts.instance;
  params.name = opts.name;
  params.kind = opts.kind;
  params.incarnation = header->incarnation;
  std::memcpy(params.reattach_secret.data(), reattach_secret, params.reattach_secret.size());
  params.data_fd = data_fd.get();
  params.data_region_size = region_size;
  params.mailbox_at = mailbox;
  // A forked child sent its request from the fork handler (fork.cpp): read that reply.
  params.pending_sock = pending_attach.release();
  params.deadline_ns = deadline_after_ms(kAttachTimeoutMs);
  client::AttachResult r = client::attach(params);
  switch (r.outcome) {
    case client::AttachOutcome::kAttached:
      break;
    case client::AttachOutcome::kNoAgent:
      set_error(r.message);
      state.store(ConnectionState::kDisconnected);
      return AttachOutcome::kNoAgent;
    case client::AttachOutcome::kFull:
      stats().attach_failures.fetch_add(1, std::memory_order_relaxed);
      set_error(r.message);
      state.store(ConnectionState::kRefusedFull);
      return AttachOutcome::kFull;
    case client::AttachOutcome::kRefused:
      stats().attach_failures.fetch_add(1, std::memory_order_relaxed);
      set_error(r.message);
      state.store(ConnectionState::kRefused);
      return AttachOutcome::kRefused;
    case client::AttachOutcome::kFailed:
      stats().attach_failures.fetch_add(1, std::memory_order_relaxed);
      set_error(r.message);
      state.store(ConnectionState::kDisconnected);
      return AttachOutcome::kFailed;
  }

  static_cast<client::Attachment&>(session) = std::move(r.attachment);
  connected.store(true, std::memory_order_release);
  session_gen.fetch_add(1);

  Reply reply;
  const CallStatus hello = session_locked(RequestType::kHello, {}, reply);
  if (hello != CallStatus::kOk) {
    if (connected.load()) drop_session_locked();
    stats().attach_failures.fetch_add(1, std::memory_order_relaxed);
    set_error("attach to " + socket_path(opts.instance) + " failed: hello answered " +
              to_string(hello));
    return AttachOutcome::kFailed;
  }
  if (session.ever_attached) stats().reconnects.fetch_add(1, std::memory_order_relaxed);
  session.ever_attached = true;
  state.store(ConnectionState::kConnected);
  public_slot.store(session.slot);
  set_error("");
  return AttachOutcome::kAttached;
}

CallStatus ProbeCore::session_locked(RequestType type, std::span<const std::byte> body,
                                     Reply& reply,
                                     const std::function<void()>* while_holding) noexcept {
  if (!connected.load(std::memory_order_acquire)) return CallStatus::kNotConnected;
  const client::CallTarget target{mailbox,         session.slot,         session.owner_token,
                                  session.session, &header->mutex_claim, &header->awaiting_seq};
  const client::CallLimits limits{opts.lock_timeout_ms, opts.done_timeout_ms, 0};
  const client::CallStatus st =
      client::call(target, type, body, response, reply, next_seq, stats(), limits, while_holding);
  if (reply.dropped != nullptr) {
    set_error(reply.dropped);
    drop_session_locked();
  }
  return public_status(st);
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

CallStatus ProbeCore::begin_call(std::unique_lock<TimedMutex>& lock) noexcept {
  try {
    // A fork child's first call attaches at once instead of waiting for the new connector.
    const bool fresh_child = ensure_connector();
    std::unique_lock lk(call_mutex, std::defer_lock);
    if (!lk.try_lock_for(std::chrono::milliseconds(opts.lock_timeout_ms))) {
      return CallStatus::kLockTimeout;
    }
    if (!connected.load(std::memory_order_acquire)) {
      if ((opts.background_connect && !fresh_child) || !attach_due_locked()) {
        return CallStatus::kNotConnected;
      }
      note_attach_outcome_locked(attach_locked());
      if (!connected.load(std::memory_order_acquire)) return CallStatus::kNotConnected;
    }
    lock = std::move(lk);
    return CallStatus::kOk;
  } catch (...) {
    return CallStatus::kNotConnected;
  }
}

}  // namespace shmon::detail
