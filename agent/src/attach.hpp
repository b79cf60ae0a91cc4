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

// Newcomers that may wait for a slot at once (each holds a socket, its region and a pidfd): apps,
// and, on a list of their own so that they can never crowd apps out of it, tools.
inline constexpr std::size_t kMaxSlotWaiters = 4096;
inline constexpr std::size_t kMaxToolSlotWaiters = 256;

struct AttachHooks {
  RetireFn retire;
  // Drops, without folding, a slot waiter that `newcomer` proves to be (the same probe asking
  // again: its region comes with the new request).
  std::function<void(const Client& newcomer)> forget_waiter;
  // Whether a newcomer of this kind may wait for a slot (false when its wait list is full: it
  // is refused instead). Asked only when the table of its kind is full.
  std::function<bool(ClientKind)> may_wait = [](ClientKind) { return true; };
};

struct AttachResult {
  std::shared_ptr<Client> client;  // null: refused, dropped, or folded at once (it had exited)
  bool waiting = false;  // the table is full: the client (owning its socket and a pidfd) waits
};

// Reads and answers one AttachRequest on `sock` (bounded by `deadline_ns`). On success the client
// is in ctx.slots owning `sock`. When the table of its kind is full, a client whose process has
// exited is folded at once (fold_exited_client), one that lives (app or tool) is returned
// `waiting` and not answered yet (the caller queues it: admit_waiter, answer_full,
// fold_exited_client), or refused "agent full" when its wait list is full.
// A directory view (kViewMagic) is answered with the control region alone and closed: no slot,
// no client (counted in ctx.directory_views).
AttachResult handle_attach(AgentContext& ctx, UniqueFd sock, std::uint64_t deadline_ns,
                           const AttachHooks& hooks);

// A slot waiter: takes a free slot and answers OK (true), or leaves it waiting (false).
bool admit_waiter(AgentContext& ctx, const std::shared_ptr<Client>& c);
// A slot waiter that waited long enough: answers "agent full" and closes its socket. The caller
// keeps its region until its process exits (then folds it) or it asks again.
void answer_full(AgentContext& ctx, Client& c);
// A client that never took a slot and whose process has exited: drains and folds its region
// into the departed totals (counted in folded_without_slot).
void fold_exited_client(AgentContext& ctx, Client& c);

// Answers a tool's RegionRequest (already read whole, tool_inbox.hpp): a read-only descriptor of
// the region asked for, or a refusal. Returns false when the request is not one this agent
// speaks (the caller retires the client).
bool handle_region_request(AgentContext& ctx, Client& client, const RegionRequest& req);

}  // namespace shmon::agent
