// SPDX-License-Identifier: Apache-2.0
// bye-hold: says bye through the mailbox by hand and, once answered, keeps the client mutex (and
// its claim) while the agent's housekeeping looks at the lock word three times, then releases it:
// a detaching client whose bye call is slow to finish (descheduled between the answer and the
// unlock). The agent must honour the token of a client that is leaving mid-call: the release must
// succeed. Says "ANSWERED <status>", then "RELEASED ok" or "RELEASED lost" (exit 0 / 1).
// --variant late-read: the ticks pass before it reads the answer (descheduled right after its
// Exec): while another client calls, the answer must still be there ("ANSWERED never" if not).
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <string>

#include "output.hpp"
#include "probe_core.hpp"
#include "probe_testing.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/event.hpp"
#include "shmon/layout.hpp"
#include "shmon/seqlock.hpp"

namespace shmon::testclient {
namespace {

// Waits (bounded) until the agent's heartbeat changed `ticks` times: each change is a new
// housekeeping tick, which inspects the lock word right after stamping the heartbeat.
bool wait_ticks(const ControlHeader* control, int ticks, std::uint64_t deadline) {
  std::uint64_t last = control->heartbeat_monotonic_ns.load(std::memory_order_acquire);
  while (ticks > 0 && monotonic_ns() < deadline) {
    const std::uint64_t now = control->heartbeat_monotonic_ns.load(std::memory_order_acquire);
    if (now != last) last = now, --ticks;
    usleep(1000);  // poll interval of a bounded wait
  }
  return ticks == 0;
}

}  // namespace

int run_bye_hold(const Args& args) {
  Probe probe(probe_options(args));
  if (!await_attach(probe, args)) return 1;
  detail::ProbeCore& core = *shmon::testing::core_of(probe);
  std::lock_guard call(core.call_mutex);
  if (!core.connected.load()) {
    say("NOT CONNECTED");
    return 1;
  }
  const std::uint64_t deadline = deadline_after_ms(args.wait_ms);
  const std::uint32_t token = core.session.owner_token;
  ClientMutex lock(&core.mailbox->lock);
  if (lock.acquire(token, deadline).result != LockResult::kAcquired) {
    say("LOCK timeout");
    return 1;
  }
  core.header->mutex_claim.store(token, std::memory_order_release);

  auto* base = reinterpret_cast<std::byte*>(core.mailbox);
  auto* req = reinterpret_cast<RequestHeader*>(base + MailboxLayout::kRequestOffset);
  auto* rsp = reinterpret_cast<ResponseHeader*>(base + MailboxLayout::kResponseOffset);
  const std::uint64_t n = core.next_seq.fetch_add(1) | 1;  // never 0 ("being written")
  seqlock_invalidate(req->seq);
  req->session = core.session.session;
  req->type = std::uint32_t(RequestType::kBye);
  req->slot = core.session.slot;
  req->owner_token = token;
  req->body_size = 0;
  req->seq.store(n, std::memory_order_release);
  AutoResetEvent(&core.mailbox->exec).set();
  const auto* control = reinterpret_cast<const ControlHeader*>(core.session.control.data());
  if (args.variant == "late-read" && !wait_ticks(control, 3, deadline)) {
    say("TICKS none");
    return 1;
  }
  AutoResetEvent done(&core.mailbox->done);
  while (rsp->seq.load(std::memory_order_acquire) != n && monotonic_ns() < deadline) {
    done.wait_until(std::min(monotonic_ns() + 10'000'000, deadline));
  }
  if (rsp->seq.load(std::memory_order_acquire) != n) {
    say("ANSWERED never");
    return 1;
  }
  say("ANSWERED " + std::string(to_string(ResponseStatus(rsp->status))));

  if (args.variant != "late-read" && !wait_ticks(control, 3, deadline)) {
    say("TICKS none");
    return 1;
  }
  core.header->mutex_claim.store(0, std::memory_order_release);
  const bool released = lock.release(token);
  say(released ? "RELEASED ok" : "RELEASED lost");
  return released ? 0 : 1;
}

}  // namespace shmon::testclient
