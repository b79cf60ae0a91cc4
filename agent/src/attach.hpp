// SPDX-License-Identifier: Apache-2.0
// The rendezvous on the main thread: a new connection's AttachRequest is checked (uid, ABI,
// name, data region, pid, free slot), answered, and on success the client enters the table.
// Also serves a tool's RegionRequest on an attached socket.
#pragma once

#include <functional>
#include <memory>

#include "context.hpp"
#include "shmon/fd.hpp"

namespace shmon::agent {

// Retires a client (as on its death). Attach calls it for a live slot that holds the same
// incarnation as the newcomer.
using RetireFn = std::function<void(const std::shared_ptr<Client>&)>;

// Reads and answers one AttachRequest on `sock` (bounded by `deadline_ns`). Returns the new
// client (already in ctx.slots, owning `sock`) or null when the attach was refused or the peer
// sent nothing usable (`sock` is then closed).
std::shared_ptr<Client> handle_attach(AgentContext& ctx, UniqueFd sock, std::uint64_t deadline_ns,
                                      const RetireFn& retire);

// Serves one message on an attached client's socket. Returns false when the socket is at EOF or
// broken or the peer spoke nonsense: the caller retires the client.
bool handle_client_message(AgentContext& ctx, Client& client);

}  // namespace shmon::agent
