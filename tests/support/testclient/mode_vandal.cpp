// SPDX-License-Identifier: Apache-2.0
// vandal: a raw-attached client that attacks the shared mailbox for --wait-ms milliseconds, in
// one of these ways (--variant):
//   exec-storm      sets Exec in a tight loop (the agent must not answer a request twice)
//   futex-words     random values into the lock, Exec, Done, doorbell and drain_sleeping words
//   headers         random bytes over the request and response headers
//   forge-lock      writes every plausible owner token (other clients' included) to the lock
//   drain-sleeping  keeps drain_sleeping set (every producer would ring the doorbell)
//   hold-lock       takes the client mutex with its own token and never gives it back
//   swallow-signals zeroes the Exec and Done words in a loop: consumes their signals and clears
//                   the sleeper flag (so a set() wakes nobody)
//   scribble-response  random values over the response header's seq (the holder never sees its
//                   answer)
//   hidden-hog      takes the mutex with its own token (claimed, as hold-lock), posts one request
//                   and scribbles on the response, so that the shared mailbox always shows a
//                   request of its own "waiting for an answer"; never lets go
// Honest clients run beside it; the tests check their totals and that the agent recovers.
// Prints "VANDAL slot=N" once attached and "VANDAL done iterations=N" at the end; exit 0.
#include <random>
#include <string>

#include "output.hpp"
#include "raw_attach.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/event.hpp"
#include "shmon/layout.hpp"

namespace shmon::testclient {

int run_vandal(const Args& args) {
  const std::string& v = args.variant;
  if (v != "exec-storm" && v != "futex-words" && v != "headers" && v != "forge-lock" &&
      v != "drain-sleeping" && v != "hold-lock" && v != "swallow-signals" &&
      v != "scribble-response" && v != "hidden-hog") {
    say("VANDAL unknown variant '" + v + "'");
    return 2;
  }
  MailboxSession attached =
      attach_with_mailbox({args.instance, args.name, kAbiVersion, RegionFlaw::kNone});
  if (!attached.error.empty()) {
    say(attached.error);
    return 1;
  }
  const RawSession& session = attached.session;
  MailboxHeader* m = attached.header();
  auto* request = reinterpret_cast<std::byte*>(attached.request());
  auto* response = reinterpret_cast<std::byte*>(attached.response());
  const std::uint32_t own_token = attached.owner_token();
  say("VANDAL slot=" + std::to_string(session.reply.slot));

  std::mt19937_64 random(std::random_device{}());
  const std::uint64_t end = deadline_after_ms(args.wait_ms);
  std::uint64_t iterations = 0;
  std::uint32_t slot = 0, generation = 1;
  for (;; ++iterations) {
    if ((iterations & 1023) == 0 && monotonic_ns() >= end) break;
    if (v == "exec-storm") {
      AutoResetEvent(&m->exec).set();
    } else if (v == "futex-words") {
      std::atomic<std::uint32_t>* words[] = {&m->lock, &m->exec, &m->done, &m->doorbell,
                                             &m->drain_sleeping};
      const std::uint64_t r = random();
      words[r % 5]->store(std::uint32_t(r >> 32), std::memory_order_relaxed);
    } else if (v == "headers") {
      auto* target = (iterations & 1) ? request : response;
      const std::uint64_t r = random();
      reinterpret_cast<std::atomic<std::uint64_t>*>(target)[r % 8].store(random(),
                                                                         std::memory_order_relaxed);
    } else if (v == "forge-lock") {
      m->lock.store(make_owner_token(slot, generation), std::memory_order_relaxed);
      if (++slot == 8) slot = 0, generation = generation % 4 + 1;
    } else if (v == "swallow-signals") {
      // Consumes the signal and clears the "someone sleeps" flag, so a set() wakes nobody.
      m->exec.store(0, std::memory_order_relaxed);
      m->done.store(0, std::memory_order_relaxed);
    } else if (v == "scribble-response") {
      reinterpret_cast<ResponseHeader*>(response)->seq.store(random(), std::memory_order_relaxed);
    } else if (v == "hidden-hog") {
      auto* req = reinterpret_cast<RequestHeader*>(request);
      if (ClientMutex(&m->lock).owner() != own_token) {
        if (ClientMutex(&m->lock).acquire(own_token, deadline_after_ms(10)).result ==
            LockResult::kAcquired) {
          session.data.as<DataHeader>()->mutex_claim.store(own_token, std::memory_order_release);
          req->seq.store(0, std::memory_order_relaxed);
          req->owner_token = own_token;
          req->slot = session.reply.slot;
          req->seq.store(1000 + iterations, std::memory_order_release);
        }
      }
      reinterpret_cast<ResponseHeader*>(response)->seq.store(random(), std::memory_order_relaxed);
    } else if (v == "drain-sleeping") {
      m->drain_sleeping.store(1, std::memory_order_relaxed);
    } else {  // hold-lock: take it whenever it is free (claiming it, as a probe does), keep it
      if (ClientMutex(&m->lock).acquire(own_token, deadline_after_ms(10)).result ==
          LockResult::kAcquired) {
        session.data.as<DataHeader>()->mutex_claim.store(own_token, std::memory_order_release);
      }
    }
  }
  say("VANDAL done iterations=" + std::to_string(iterations));
  return 0;
}

}  // namespace shmon::testclient
