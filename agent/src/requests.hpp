// SPDX-License-Identifier: Apache-2.0
// Answers to validated mailbox requests. The service thread has already copied the request into
// private memory, checked the seqlock, the slot, the session and the lock owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "context.hpp"
#include "shmon/protocol.hpp"

namespace shmon::agent {

struct RequestCopy {
  std::uint64_t seq;
  std::uint64_t session;
  std::uint32_t type;
  std::uint32_t slot;
  std::uint32_t owner_token;
  std::uint32_t body_size;
  std::span<const std::byte> body;  // private copy, body_size bytes
};

struct Reply {
  ResponseStatus status = ResponseStatus::kOk;
  std::uint32_t body_size = 0;
  std::uint64_t total_size = 0;
};

// Dispatches by type and writes the answer body into `out` (kResponseBodyCapacity bytes).
Reply dispatch_request(AgentContext& ctx, Client& client, const RequestCopy& req,
                       std::span<std::byte> out);

}  // namespace shmon::agent
