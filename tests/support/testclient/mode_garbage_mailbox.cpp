// SPDX-License-Identifier: Apache-2.0
// garbage-mailbox: a properly attached client that then writes nonsense into the mailbox while
// holding the client mutex: first random bytes over the whole request buffer (header included),
// then a well-formed header naming a bogus slot and session. Each time it sets Exec and waits
// (bounded) for Done; both answers must carry an error status.
#include <cstring>
#include <random>
#include <string>

#include "output.hpp"
#include "raw_attach.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/event.hpp"
#include "shmon/layout.hpp"

namespace shmon::testclient {
namespace {

constexpr std::uint64_t kDoneTimeoutMs = 5000;

// Sets Exec and waits for Done; prints "<label> status=<n> seq_match=<0|1>" or "<label> timeout".
// Returns true when an answer with a status other than kOk arrived in time.
bool exchange(const MailboxSession& mailbox, std::uint64_t request_seq, const std::string& label) {
  AutoResetEvent exec(&mailbox.header()->exec);
  AutoResetEvent done(&mailbox.header()->done);
  exec.set();
  if (!done.wait_until(deadline_after_ms(kDoneTimeoutMs))) {
    say(label + " timeout");
    return false;
  }
  const std::uint32_t status = mailbox.response()->status;
  const bool seq_match = mailbox.response()->seq.load(std::memory_order_acquire) == request_seq;
  say(label + " status=" + std::to_string(status) + " seq_match=" + std::to_string(seq_match));
  return status != std::uint32_t(ResponseStatus::kOk);
}

}  // namespace

int run_garbage_mailbox(const Args& args) {
  MailboxSession mailbox =
      attach_with_mailbox({args.instance, args.name, kAbiVersion, RegionFlaw::kNone});
  if (!mailbox.error.empty()) {
    say(mailbox.error);
    return 1;
  }
  const RawSession& session = mailbox.session;
  say("ATTACHED slot=" + std::to_string(session.reply.slot));

  ClientMutex mutex(&mailbox.header()->lock);
  const std::uint32_t token = mailbox.owner_token();
  if (mutex.acquire(token, deadline_after_ms(5000)).result != LockResult::kAcquired) {
    say("LOCK timeout");
    return 1;
  }

  // 1. Random bytes over the whole request buffer, header included (seq forced non-zero so the
  //    agent has something it may take for a request).
  std::mt19937_64 random(std::random_device{}());
  auto* bytes = reinterpret_cast<std::byte*>(mailbox.request());
  for (std::uint32_t i = 0; i < kRequestCapacity; ++i) bytes[i] = std::byte(random() & 0xff);
  std::uint64_t seq = random() | 1;
  mailbox.request()->seq.store(seq, std::memory_order_release);
  const bool garbage_refused = exchange(mailbox, seq, "GARBAGE");

  // 2. A well-formed ping naming a slot and a session that are not ours.
  RequestHeader* request = mailbox.request();
  request->seq.store(0, std::memory_order_relaxed);
  request->session = session.reply.session ^ 0x5a5a5a5a5a5a5a5aull;
  request->type = std::uint32_t(RequestType::kPing);
  request->slot = session.reply.slot + 7;
  request->owner_token = token;
  request->body_size = sizeof(PingBody);
  PingBody body{monotonic_ns(), 0};
  std::memcpy(reinterpret_cast<std::byte*>(request) + sizeof(RequestHeader), &body, sizeof body);
  seq = (seq + 2) | 1;
  request->seq.store(seq, std::memory_order_release);
  const bool bogus_refused = exchange(mailbox, seq, "BOGUS");

  const bool released = mutex.release(token);
  say(std::string("RELEASE ") + (released ? "ok" : "lost"));
  return garbage_refused && bogus_refused ? 0 : 1;
}

}  // namespace shmon::testclient
