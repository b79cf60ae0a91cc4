// SPDX-License-Identifier: Apache-2.0
#include "service.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cstddef>
#include <cstring>

#include "requests.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/event.hpp"
#include "shmon/seqlock.hpp"

namespace shmon::agent {

namespace {

// Bounded wait, a safety net only: stop() sets Exec. Each timed wake-up costs ~0.15 ms of CPU
// on this VM, so an idle agent should not wake often.
constexpr std::uint64_t kWaitNs = 1'000'000'000;
constexpr std::uint64_t kSpinNs = 100'000;          // spin (then yield) after recent activity
constexpr std::uint64_t kBusyWindowNs = 5'000'000;  // "recent": a request in the last 5 ms

}  // namespace

void ServiceThread::start() {
  thread_ = std::thread([this] { run(); });
}

void ServiceThread::wake() {
  AutoResetEvent(&ctx_.regions.mailbox_header()->exec).set();
}

void ServiceThread::join() {
  if (thread_.joinable()) thread_.join();
}

void ServiceThread::run() {
  try {
    AutoResetEvent exec(&ctx_.regions.mailbox_header()->exec);
    std::uint64_t last_activity = 0;
    while (!ctx_.stop.load(std::memory_order_acquire)) {
      const std::uint64_t now = monotonic_ns();
      const std::uint64_t spin = now - last_activity < kBusyWindowNs ? kSpinNs : 0;
      // Look at the mailbox after every wake-up, signalled or not: Exec is only a hint (any
      // client can set or swallow it), and a request is answered at most once anyway. A wake-up
      // whose signal another client consumed counts too, and so does the housekeeping tick's
      // plain futex wake while the mutex is held (it needs no signal bit and no sleeper flag,
      // which a vandal can clear): a swallowed Exec costs at most one tick, far below the lease.
      exec.wait_or_wake_until(now + kWaitNs, spin);
      if (ctx_.stop.load(std::memory_order_acquire)) break;
      if (handle_one()) last_activity = monotonic_ns();
    }
  } catch (const std::exception& e) {
    spdlog::critical("service thread failed: {}", e.what());
    std::_Exit(1);
  }
}

bool ServiceThread::handle_one() {
  const Regions& r = ctx_.regions;
  RequestHeader* shared = r.request();
  const std::uint64_t s1 = shared->seq.load(std::memory_order_acquire);
  if (s1 == 0) return false;  // a client is still writing, or a spurious Exec

  // Copy header fields (after the seq word) and body into private memory.
  struct PlainHeader {
    std::uint64_t session;
    std::uint32_t type, slot, owner_token, body_size;
  } h;
  static_assert(offsetof(RequestHeader, body_size) - offsetof(RequestHeader, session) + 4 ==
                sizeof(PlainHeader));
  std::memcpy(&h, reinterpret_cast<const std::byte*>(shared) + offsetof(RequestHeader, session),
              sizeof(h));
  static thread_local std::array<std::byte, kRequestBodyCapacity> body;
  const std::uint32_t copy_size = std::min(h.body_size, kRequestBodyCapacity);
  std::memcpy(body.data(), reinterpret_cast<const std::byte*>(shared) + sizeof(RequestHeader),
              copy_size);
  // Seqlock reader: the copies above must complete before seq is read again.
  const std::uint64_t s2 = seqlock_recheck(shared->seq);
  AgentStats& stats = ctx_.stats();
  if (s1 != s2) {
    stats.torn_requests.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("torn request (seq {} -> {}): not answered", s1, s2);
    return false;
  }

  RequestCopy req{s1,
                  h.session,
                  h.type,
                  h.slot,
                  h.owner_token,
                  h.body_size,
                  std::span<const std::byte>(body.data(), copy_size)};
  ResponseHeader* resp = r.response();
  std::span<std::byte> out(reinterpret_cast<std::byte*>(resp) + sizeof(ResponseHeader),
                           kResponseBodyCapacity);
  Reply reply{};
  std::shared_ptr<Client> client;
  if (h.slot < r.capacity) client = ctx_.client_at(h.slot);
  const bool own_session = client && client->session == h.session;
  if ((own_session && s1 == client->last_answered_seq) ||
      (s1 == last_seq_ && h.session == last_session_ && h.slot == last_slot_)) {
    // Already answered: a repeated Exec (or a client that never changed its request) must not
    // execute it again, nor overwrite the answer its sender may still be reading.
    stats.duplicate_requests.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  last_seq_ = s1, last_session_ = h.session, last_slot_ = h.slot;
  ctx_.serving_request.store(true, std::memory_order_release);
  if (own_session) client->last_answered_seq = s1;
  if (h.body_size > kRequestBodyCapacity) {
    reply.status = ResponseStatus::kTooLarge;
  } else if (!client || client->session != h.session || !client->serving()) {
    reply.status = ResponseStatus::kStaleSession;
  } else if (h.owner_token != client->owner_token ||
             ClientMutex(&r.mailbox_header()->lock).owner() != h.owner_token) {
    reply.status = ResponseStatus::kNotOwner;
  } else {
    try {
      reply = dispatch_request(ctx_, *client, req, out);
    } catch (const std::exception& e) {
      spdlog::error("request {} from {} failed: {}", h.type, client->name, e.what());
      reply = Reply{ResponseStatus::kInternal, 0, 0};
    }
  }
  const bool error = reply.status != ResponseStatus::kOk;
  // "Not durable" answers with its body: what was done is valid, only not acknowledged.
  if (error && reply.status != ResponseStatus::kNotDurable)
    reply.body_size = 0, reply.total_size = 0;
  resp->status = std::uint32_t(reply.status);
  resp->body_size = reply.body_size;
  resp->total_size = reply.total_size;
  resp->seq.store(s1, std::memory_order_release);
  ctx_.answered_request_seq.store(s1, std::memory_order_release);
  AutoResetEvent(&r.mailbox_header()->done).set();

  stats.requests.fetch_add(1, std::memory_order_relaxed);
  if (error) stats.request_errors.fetch_add(1, std::memory_order_relaxed);
  if (client && client->session == h.session) {
    client->requests.fetch_add(1, std::memory_order_relaxed);
    if (error) client->request_errors.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t now = monotonic_ns();
    client->last_seen_ns.store(now, std::memory_order_relaxed);
    client->last_answered_ns.store(now, std::memory_order_release);
  }
  // After last_answered_ns: the lease clock restarts at the answer, not at the request.
  ctx_.serving_request.store(false, std::memory_order_release);
  if (error) {
    spdlog::debug("request type {} slot {} answered {}", h.type, h.slot, to_string(reply.status));
  }
  return true;
}

}  // namespace shmon::agent
