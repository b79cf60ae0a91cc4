// SPDX-License-Identifier: Apache-2.0
// One mailbox session (the seed handshake): lock -> request (seqlock) -> Exec -> Done -> response
// -> unlock, every wait bounded.
#include "shmon/client/call.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/event.hpp"
#include "shmon/seqlock.hpp"

namespace shmon::client {
namespace {

constexpr std::uint64_t kLockSpinNs = 20'000;
constexpr std::uint64_t kDoneSpinNs = 50'000;
constexpr std::uint64_t kDoneSliceNs = 10'000'000;

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

// now + ms, but never past `limit` (0 = no limit).
std::uint64_t bounded_deadline(std::uint32_t ms, std::uint64_t limit) {
  const std::uint64_t d = deadline_after_ms(ms);
  return limit != 0 ? std::min(d, limit) : d;
}

}  // namespace

const char* to_string(CallStatus status) {
  switch (status) {
    case CallStatus::kOk:
      return "ok";
    case CallStatus::kNotConnected:
      return "not connected";
    case CallStatus::kLockTimeout:
      return "lock timeout";
    case CallStatus::kTimeout:
      return "timeout";
    case CallStatus::kRevoked:
      return "revoked";
    case CallStatus::kAgentError:
      return "agent error";
    case CallStatus::kBadArgument:
      return "bad argument";
    case CallStatus::kNotDurable:
      return "not durable";
  }
  return "unknown";
}

CallStatus call(const CallTarget& target, RequestType type, std::span<const std::byte> body,
                std::span<std::byte> response, Reply& reply, std::atomic<std::uint64_t>& next_seq,
                ClientStats& s, const CallLimits& limits,
                const std::function<void()>* while_holding) noexcept {
  constexpr auto r = std::memory_order_relaxed;
  reply = Reply{};
  if (target.mailbox == nullptr) return CallStatus::kNotConnected;
  if (body.size() > kRequestBodyCapacity || response.size() < kResponseBodyCapacity) {
    return CallStatus::kBadArgument;
  }
  s.calls.fetch_add(1, r);

  ClientMutex lock(&target.mailbox->lock);
  const std::uint32_t token = target.owner_token;
  const LockOutcome got = lock.acquire(
      token, bounded_deadline(limits.lock_timeout_ms, limits.deadline_ns), kLockSpinNs);
  if (got.result != LockResult::kAcquired) {
    s.lock_timeouts.fetch_add(1, r);
    s.call_errors.fetch_add(1, r);
    return CallStatus::kLockTimeout;
  }
  record_lock_wait(s, got.wait_ns);
  // Our own region says we hold it: the agent trusts the shared lock word only with this claim.
  if (target.mutex_claim != nullptr) target.mutex_claim->store(token, std::memory_order_release);
  // Every way out below releases the mutex; "awaiting" goes first, then the claim.
  auto release = [&] {
    if (target.awaiting_seq != nullptr) target.awaiting_seq->store(0, std::memory_order_release);
    if (target.mutex_claim != nullptr) target.mutex_claim->store(0, std::memory_order_release);
    return lock.release(token);
  };
  if (while_holding != nullptr && *while_holding) {
    try {
      (*while_holding)();
    } catch (...) {
    }
  }

  auto* base_ptr = reinterpret_cast<std::byte*>(target.mailbox);
  auto* req = reinterpret_cast<RequestHeader*>(base_ptr + MailboxLayout::kRequestOffset);
  auto* rsp = reinterpret_cast<ResponseHeader*>(base_ptr + MailboxLayout::kResponseOffset);
  std::uint64_t n = next_seq.fetch_add(1, r);
  if (n == 0) n = next_seq.fetch_add(1, r);  // 0 means "being written"

  // Seqlock writer: seq = 0 must be visible before any byte of the new body.
  seqlock_invalidate(req->seq);
  req->session = target.session;
  req->type = std::uint32_t(type);
  req->slot = target.slot;
  req->owner_token = token;
  req->body_size = std::uint32_t(body.size());
  if (!body.empty()) std::memcpy(reinterpret_cast<std::byte*>(req + 1), body.data(), body.size());
  req->seq.store(n, std::memory_order_release);
  // From here until the answer is read we wait for the agent, and say so in our own region.
  if (target.awaiting_seq != nullptr) target.awaiting_seq->store(n, std::memory_order_release);
  AutoResetEvent(&target.mailbox->exec).set();

  AutoResetEvent done(&target.mailbox->done);
  const std::uint64_t deadline = bounded_deadline(limits.done_timeout_ms, limits.deadline_ns);
  for (std::uint64_t spin = kDoneSpinNs;; spin = 0) {
    // Done is a hint in a word every client can write (one may swallow or fake it): wait in
    // slices and trust only the response's seq.
    done.wait_until(std::min(monotonic_ns() + kDoneSliceNs, deadline), spin);
    // A different seq is a late answer to a request someone abandoned: keep waiting.
    if (rsp->seq.load(std::memory_order_acquire) == n) break;
    if (monotonic_ns() >= deadline) {
      s.done_timeouts.fetch_add(1, r);
      s.call_errors.fetch_add(1, r);
      if (!release()) s.revocations_seen.fetch_add(1, r);
      reply.dropped = "no answer from the agent in time; dropped the session";
      return CallStatus::kTimeout;
    }
  }
  reply.status = ResponseStatus(rsp->status);
  reply.total_size = rsp->total_size;
  reply.body_size = std::min<std::uint32_t>(rsp->body_size, kResponseBodyCapacity);
  std::memcpy(response.data(), reinterpret_cast<std::byte*>(rsp + 1), reply.body_size);

  if (!release()) {
    s.revocations_seen.fetch_add(1, r);
    s.call_errors.fetch_add(1, r);
    reply.dropped = "the agent revoked our lease; dropped the session";
    return CallStatus::kRevoked;
  }
  switch (reply.status) {
    case ResponseStatus::kOk:
      return CallStatus::kOk;
    case ResponseStatus::kNotDurable:
      s.call_errors.fetch_add(1, r);
      return CallStatus::kNotDurable;
    case ResponseStatus::kStaleSession:
      // The agent no longer knows this session (revoked or restarted state): re-attach.
      s.call_errors.fetch_add(1, r);
      reply.dropped = "the agent reports a stale session; dropped it";
      return CallStatus::kRevoked;
    default:
      s.call_errors.fetch_add(1, r);
      return CallStatus::kAgentError;
  }
}

CallStatus query_pages(QueryKind kind, std::string_view filter, std::uint64_t cursor,
                       const PageCall& page, std::string& json) {
  constexpr std::uint64_t kMaxAnswer = 64ull << 20;  // refuse absurd totals from a broken agent
  json.clear();
  if (filter.size() > kMaxMetricNameLen) return CallStatus::kBadArgument;
  std::uint64_t total = 0;
  do {
    QueryRequest q{};
    q.kind = std::uint32_t(kind);
    q.offset = json.size();
    q.cursor = cursor;
    if (!filter.empty()) std::memcpy(q.filter, filter.data(), filter.size());
    Reply r;
    std::span<const std::byte> got;
    if (auto st = page(std::as_bytes(std::span(&q, 1)), r, got); st != CallStatus::kOk) {
      json.clear();
      return st;
    }
    total = r.total_size;
    if (total > kMaxAnswer || (r.body_size == 0 && json.size() < total)) {
      json.clear();
      return CallStatus::kAgentError;
    }
    json.append(reinterpret_cast<const char*>(got.data()),
                std::min<std::size_t>(r.body_size, got.size()));
  } while (json.size() < total);
  return CallStatus::kOk;
}

}  // namespace shmon::client
