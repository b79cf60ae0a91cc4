// SPDX-License-Identifier: Apache-2.0
// One mailbox session, the seed handshake: lock -> request (seqlock) -> Exec -> Done ->
// response -> unlock, every wait bounded. Shared by every client.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "shmon/layout.hpp"
#include "shmon/limits.hpp"
#include "shmon/protocol.hpp"

namespace shmon::client {

// How a call ended. The probe's public shmon::CallStatus has the same values in the same order.
enum class CallStatus {
  kOk,
  kNotConnected,  // no session; nothing was sent
  kLockTimeout,   // the client mutex was not acquired in time
  kTimeout,       // no Done in time: the session is dead
  kRevoked,       // the lease was revoked, or the agent no longer knows the session
  kAgentError,    // the agent answered with an error status
  kBadArgument,
  kNotDurable,  // carried out, but the agent's state store could not make it durable (full disk)
};
const char* to_string(CallStatus status);

// Who calls: the identity the attach reply gave.
struct CallTarget {
  MailboxHeader* mailbox = nullptr;
  std::uint32_t slot = 0;
  std::uint32_t owner_token = 0;
  std::uint64_t session = 0;
  // The caller's own DataHeader::mutex_claim: the token is stored there while the mutex is held,
  // the one proof of ownership no other client can forge (the shared lock word can be).
  std::atomic<std::uint32_t>* mutex_claim = nullptr;
  // The caller's own DataHeader::awaiting_seq: the seq of the request whose answer it waits for.
  // The agent revokes a holder past the lease only when this says it waits for nothing (a hidden
  // or garbled answer is not the holder's fault, and only the holder writes its region).
  std::atomic<std::uint64_t>* awaiting_seq = nullptr;
};

struct CallLimits {
  std::uint32_t lock_timeout_ms = kDefaultLockTimeoutMs;
  std::uint32_t done_timeout_ms = kDefaultDoneTimeoutMs;
  std::uint64_t deadline_ns = 0;  // monotonic; when non-zero no wait goes past it
};

struct Reply {
  ResponseStatus status = ResponseStatus::kOk;
  std::uint32_t body_size = 0;   // bytes copied into the response buffer
  std::uint64_t total_size = 0;  // for paged answers
  // Set when the session is dead (no Done in time, lease revoked, stale session): the caller
  // must drop it and attach again. A static sentence saying why.
  const char* dropped = nullptr;
};

// Runs one session. `next_seq` numbers requests (0 is skipped: it means "being written");
// `stats` is the client's own statistics block (in its data region); `response` receives the
// body (REQUIRES: at least kResponseBodyCapacity bytes). `while_holding`, if set, runs while the
// mutex is held (test hooks). Never throws.
CallStatus call(const CallTarget& target, RequestType type, std::span<const std::byte> body,
                std::span<std::byte> response, Reply& reply, std::atomic<std::uint64_t>& next_seq,
                ClientStats& stats, const CallLimits& limits,
                const std::function<void()>* while_holding = nullptr) noexcept;

// A query answer is paged through the 64 KiB response: `page` runs one call for a QueryRequest
// body and returns the page in `out_page`. Appends the whole answer to `json`.
using PageCall = std::function<CallStatus(std::span<const std::byte> body, Reply& reply,
                                          std::span<const std::byte>& out_page)>;
CallStatus query_pages(QueryKind kind, std::string_view filter, std::uint64_t cursor,
                       const PageCall& page, std::string& json);

}  // namespace shmon::client
