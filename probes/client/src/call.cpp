// One mailbox session (the seed handshake): lock -> request (seqlock) -> Exec -> Done -> response
// -> unlock, every wait bounded.
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>

#include "probe_core.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/event.hpp"

namespace shmon::detail {
namespace {

constexpr std::uint64_t kLockSpinNs = 20'000;
constexpr std::uint64_t kDoneSpinNs = 50'000;

void record_lock_wait(ClientStats& s, std::uint64_t wait_ns) {
  constexpr auto r = std::memory_order_relaxed;
  s.lock_acquired.fetch_add(1, r);
  s.lock_wait_total_ns.fetch_add(wait_ns, r);
  std::uint64_t cur = s.lock_wait_max_ns.load(r);
  while (wait_ns > cur && !s.lock_wait_max_ns.compare_exchange_weak(cur, wait_ns, r, r)) {
  }
  const std::size_t bucket =
      wait_ns == 0 ? 0
                   : std::min<std::size_t>(63 - std::countl_zero(wait_ns), kWaitHistBuckets - 1);
  s.lock_wait_hist[bucket].fetch_add(1, r);
}

}  // namespace

CallStatus ProbeCore::session_locked(RequestType type, std::span<const std::byte> body,
                                     Reply& reply,
                                     const std::function<void()>* while_holding) noexcept {
  ClientStats& s = stats();
  constexpr auto r = std::memory_order_relaxed;
  if (!connected.load(std::memory_order_acquire)) return CallStatus::kNotConnected;
  if (body.size() > kRequestBodyCapacity) return CallStatus::kBadArgument;
  s.calls.fetch_add(1, r);

  ClientMutex lock(&mailbox->lock);
  const std::uint32_t token = session.owner_token;
  const LockOutcome got = lock.acquire(token, deadline_after_ms(opts.lock_timeout_ms), kLockSpinNs);
  if (got.result != LockResult::kAcquired) {
    s.lock_timeouts.fetch_add(1, r);
    s.call_errors.fetch_add(1, r);
    return CallStatus::kLockTimeout;
  }
  record_lock_wait(s, got.wait_ns);
  if (while_holding != nullptr && *while_holding) {
    try {
      (*while_holding)();
    } catch (...) {
    }
  }

  auto* base_ptr = reinterpret_cast<std::byte*>(mailbox);
  auto* req = reinterpret_cast<RequestHeader*>(base_ptr + MailboxLayout::kRequestOffset);
  auto* rsp = reinterpret_cast<ResponseHeader*>(base_ptr + MailboxLayout::kResponseOffset);
  std::uint64_t n = next_seq.fetch_add(1, r);
  if (n == 0) n = next_seq.fetch_add(1, r);  // 0 means "being written"

    // Seqlock writer: seq = 0 must be visible before any byte of the new body.
#if defined(__SANITIZE_THREAD__)
  req->seq.exchange(0, std::memory_order_acq_rel);  // TSan does not model fences
#else
  req->seq.store(0, r);
  std::atomic_thread_fence(std::memory_order_release);
#endif
  req->session = session.session;
  req->type = std::uint32_t(type);
  req->slot = session.slot;
  req->owner_token = token;
  req->body_size = std::uint32_t(body.size());
  if (!body.empty()) std::memcpy(reinterpret_cast<std::byte*>(req + 1), body.data(), body.size());
  req->seq.store(n, std::memory_order_release);
  AutoResetEvent(&mailbox->exec).set();

  AutoResetEvent done(&mailbox->done);
  const std::uint64_t deadline = deadline_after_ms(opts.done_timeout_ms);
  for (;;) {
    if (!done.wait_until(deadline, kDoneSpinNs)) {
      s.done_timeouts.fetch_add(1, r);
      s.call_errors.fetch_add(1, r);
      if (!lock.release(token)) s.revocations_seen.fetch_add(1, r);
      set_error("no answer from the agent within " + std::to_string(opts.done_timeout_ms) +
                " ms; dropped the session");
      drop_session_locked();
      return CallStatus::kTimeout;
    }
    // A different seq is a late answer to a request someone abandoned: keep waiting.
    if (rsp->seq.load(std::memory_order_acquire) == n) break;
  }
  reply.status = ResponseStatus(rsp->status);
  reply.total_size = rsp->total_size;
  reply.body_size = std::min<std::uint32_t>(rsp->body_size, kResponseBodyCapacity);
  std::memcpy(response.data(), reinterpret_cast<std::byte*>(rsp + 1), reply.body_size);

  if (!lock.release(token)) {
    s.revocations_seen.fetch_add(1, r);
    s.call_errors.fetch_add(1, r);
    set_error("the agent revoked our lease; dropped the session");
    drop_session_locked();
    return CallStatus::kRevoked;
  }
  switch (reply.status) {
    case ResponseStatus::kOk:
      return CallStatus::kOk;
    case ResponseStatus::kStaleSession:
      // The agent no longer knows this session (revoked or restarted state): re-attach.
      s.call_errors.fetch_add(1, r);
      set_error("the agent reports a stale session; dropped it");
      drop_session_locked();
      return CallStatus::kRevoked;
    default:
      s.call_errors.fetch_add(1, r);
      return CallStatus::kAgentError;
  }
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
