// SPDX-License-Identifier: Apache-2.0
#include "attach.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>

#include "drain.hpp"
#include "persistence.hpp"
#include "regions.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/memfd.hpp"
#include "shmon/names.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::agent {

namespace {

AttachReply make_reply(const AgentContext& ctx, AttachStatus status, const std::string& message) {
  AttachReply r{};
  std::memcpy(r.magic, kReplyMagic, sizeof(r.magic));
  r.abi_version = kAbiVersion;
  r.status = std::uint32_t(status);
  r.slot = kMailboxSlot;
  r.agent_generation = ctx.generation;
  r.agent_pid = ctx.regions.header()->agent_pid;
  r.max_app_clients = ctx.options.max_clients;
  std::strncpy(r.message, message.c_str(), sizeof(r.message) - 1);
  return r;
}

void send_reply(int sock, const AttachReply& r, std::span<const int> fds = {}) {
  auto st = send_message(sock, std::as_bytes(std::span(&r, 1)), fds);
  if (!st) spdlog::debug("cannot send attach reply: {}", st.error());
}

void refuse(AgentContext& ctx, int sock, AttachStatus status, const std::string& message,
            const std::string& who) {
  ctx.stats().clients_refused.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("refused attach of {}: {}", who, message);
  send_reply(sock, make_reply(ctx, status, message));
}

// Finds a slot for `kind`; mu held. Returns capacity when none is free.
// Apps get at most --max-clients slots and tools (shmonctl, inspector) at most the reserved
// kReservedToolSlots, so neither kind can lock the other out by filling the table.
std::uint32_t find_slot(const AgentContext& ctx, ClientKind kind) {
  std::uint32_t apps = 0, tools = 0;
  for (const auto& c : ctx.slots) {
    if (c) ++(c->kind == ClientKind::kApp ? apps : tools);
  }
  if (kind == ClientKind::kApp && apps >= ctx.options.max_clients) return ctx.regions.capacity;
  if (kind != ClientKind::kApp && tools >= kReservedToolSlots) return ctx.regions.capacity;
  for (std::uint32_t i = 0; i < ctx.regions.capacity; ++i) {
    if (!ctx.slots[i]) return i;
  }
  return ctx.regions.capacity;
}

// A newcomer named the incarnation of another client without proving it is that client: it is
// attached as a new, unrelated client; counted and logged so the operator sees the attempt.
void note_reattach_mismatch(AgentContext& ctx, const std::string& who, const std::string& whose) {
  ctx.stats().reattach_mismatches.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn(
      "{} claims the incarnation of {} without its re-attach secret (or as another uid): "
      "attached as a new client",
      who, whose);
}

// True when the client's process is gone (a forked child that sent its attach from the fork
// handler and exited at once).
bool peer_exited(pid_t pid) {
  UniqueFd pidfd = open_pidfd(pid);
  if (!pidfd) return true;
  pollfd pf{pidfd.get(), POLLIN, 0};
  return ::poll(&pf, 1, 0) > 0;
}

void take_slot_locked(AgentContext& ctx, const std::shared_ptr<Client>& c, std::uint32_t slot,
                      const std::string& label) {
  const auto unfold = ctx.departed.unfold(c->reattach);
  const bool unfolded = unfold == Departed::Unfold::kUnfolded;
  if (unfold == Departed::Unfold::kMismatch) {
    note_reattach_mismatch(ctx, label, "a departed client");
    c->reattach.secret = {};  // one bound key per incarnation: the claimant gets none
  }
  c->slot = slot;
  c->lock_generation = ++ctx.slot_generation[slot];
  c->owner_token = make_owner_token(slot, c->lock_generation);
  ctx.slots[slot] = c;
  ctx.data_bytes_total += c->geo.region_size;
  persist_attach_locked(ctx, *c, unfolded);
}

// The OK reply with the control and mailbox regions; the client then owns `sock`.
void welcome(AgentContext& ctx, Client& c, UniqueFd sock) {
  ctx.stats().clients_total.fetch_add(1, std::memory_order_relaxed);
  AttachReply reply = make_reply(ctx, AttachStatus::kOk, "");
  reply.slot = c.slot;
  reply.lock_generation = c.lock_generation;
  reply.session = c.session;
  const int fds[2] = {ctx.regions.control_ro_fd.get(), ctx.regions.mailbox_fd.get()};
  send_reply(sock.get(), reply, fds);
  c.socket = std::move(sock);
  if (!c.pidfd) c.pidfd = open_pidfd(c.pid);
  // Tools come and go (one session per shmonctl command, per watch frame): theirs at debug.
  spdlog::log(c.kind == ClientKind::kApp ? spdlog::level::info : spdlog::level::debug,
              "client {} (pid {}, {}) attached in slot {}", c.name, c.pid, to_string(c.kind),
              c.slot);
}

// A directory view: the control region (read-only, sealed against writes), nothing else. It
// costs one reply and no slot, so a tool that only reads the directory is never locked out.
void serve_view(AgentContext& ctx, int sock, const std::string& who) {
  ctx.directory_views.fetch_add(1, std::memory_order_relaxed);
  const int fd = ctx.regions.control_ro_fd.get();
  send_reply(sock, make_reply(ctx, AttachStatus::kOk, ""), std::span(&fd, 1));
  spdlog::debug("served a directory view to {}", who);
}

std::string full_message(const AgentContext& ctx, ClientKind kind) {
  std::uint32_t apps = 0;
  for (const auto& o : ctx.slots) apps += (o && o->kind == ClientKind::kApp) ? 1 : 0;
  return kind == ClientKind::kApp
             ? "agent full: " + std::to_string(apps) + " of " +
                   std::to_string(ctx.options.max_clients) + " app clients connected"
             : "agent full: all " + std::to_string(kReservedToolSlots) +
                   " tool slots are taken (shmon, inspector)";
}

}  // namespace

// A client that never took a slot and has exited: its region is still whole (the memfd came
// with the request), so drain it and fold it like any departure.
void fold_exited_client(AgentContext& ctx, Client& c) {
  ctx.stats().folded_without_slot.fetch_add(1, std::memory_order_relaxed);
  c.slot = UINT32_MAX;  // no slot: no journal entry, no directory entry
  {
    std::lock_guard lock(c.drain_mu);
    drain_client_locked(ctx, c);
  }
  std::uint64_t bad = 0;
  {
    std::lock_guard lock(ctx.mu);
    const Folded f = fold_client(c, bad, admitter(ctx));
    std::optional<std::uint64_t> evicted;
    // A departed incarnation coming back only to leave: its region replaces its tombstone.
    if (ctx.departed.unfold(c.reattach) == Departed::Unfold::kMismatch) c.reattach.secret = {};
    bad += ctx.departed.fold(c.reattach, f, &evicted);
    release_series_locked(ctx, c);
    persist_departure_locked(ctx, c, evicted);
  }
  if (bad > 0) count_bad_records(ctx, bad, "metrics of " + c.name + " that could not be folded");
  spdlog::info("client {} (pid {}) exited before it could take a slot; folded its values", c.name,
               c.pid);
}

bool admit_waiter(AgentContext& ctx, const std::shared_ptr<Client>& c) {
  UniqueFd sock = std::move(c->socket);
  {
    std::lock_guard lock(ctx.mu);
    const std::uint32_t slot = find_slot(ctx, c->kind);
    if (slot == ctx.regions.capacity) {
      c->socket = std::move(sock);
      return false;
    }
    take_slot_locked(ctx, c, slot, "'" + c->name + "' (pid " + std::to_string(c->pid) + ")");
  }
  welcome(ctx, *c, std::move(sock));
  return true;
}

void answer_full(AgentContext& ctx, Client& c) {
  ctx.stats().slot_waits_answered_full.fetch_add(1, std::memory_order_relaxed);
  std::string why;
  {
    std::lock_guard lock(ctx.mu);
    why = full_message(ctx, c.kind);
  }
  // Counted and logged as a refusal (its region stays until it exits or asks again).
  refuse(ctx, c.socket.get(), AttachStatus::kFull, why + " (waited for a slot)",
         "'" + c.name + "' (pid " + std::to_string(c.pid) + ")");
  c.socket.reset();
}

AttachResult handle_attach(AgentContext& ctx, UniqueFd sock, std::uint64_t deadline_ns,
                           const AttachHooks& hooks) {
  AttachRequest req{};
  auto got =
      receive_message(sock.get(), std::as_writable_bytes(std::span(&req, 1)), 1, deadline_ns);
  if (!got) {
    spdlog::debug("dropped a connection that sent no attach request: {}", got.error());
    return {};
  }
  auto cred = peer_credentials(sock.get());
  if (!cred) {
    refuse(ctx, sock.get(), AttachStatus::kDenied, "cannot read peer credentials", "a peer");
    return {};
  }
  const std::string who = "pid " + std::to_string(cred->pid);
  if (cred->uid != ::geteuid()) {
    refuse(ctx, sock.get(), AttachStatus::kDenied,
           "peer uid " + std::to_string(cred->uid) + " is not the agent's uid " +
               std::to_string(::geteuid()),
           who);
    return {};
  }
  if (std::memcmp(req.magic, kViewMagic, sizeof(req.magic)) == 0 &&
      req.abi_version == kAbiVersion) {
    serve_view(ctx, sock.get(), who);
    return {};  // closes the connection: a view is one answer
  }
  if (std::memcmp(req.magic, kAttachMagic, sizeof(req.magic)) != 0 ||
      req.abi_version != kAbiVersion) {
    refuse(ctx, sock.get(), AttachStatus::kAbiMismatch,
           "probe speaks ABI " + std::to_string(req.abi_version) + ", agent speaks " +
               std::to_string(kAbiVersion),
           who);
    return {};
  }
  auto name = read_fixed_name(req.name, sizeof(req.name));
  if (!name) {
    refuse(ctx, sock.get(), AttachStatus::kBadName, "client name is not NUL-terminated", who);
    return {};
  }
  if (auto bad = check_client_name(*name)) {
    refuse(ctx, sock.get(), AttachStatus::kBadName, "invalid client name: " + *bad, who);
    return {};
  }
  const std::string label = "'" + *name + "' (" + who + ")";
  if (req.kind < 1 || req.kind > 3) {
    refuse(ctx, sock.get(), AttachStatus::kBadRegion,
           "unknown client kind " + std::to_string(req.kind), label);
    return {};
  }
  if (got->fds.size() != 1) {
    refuse(ctx, sock.get(), AttachStatus::kBadRegion, "attach request carried no data region",
           label);
    return {};
  }

  auto c = std::make_shared<Client>();
  c->data_fd = std::move(got->fds[0]);
  auto size = verify_region(c->data_fd.get(), sizeof(DataHeader), DataLimits::kMaxRegionSize);
  if (!size) {
    refuse(ctx, sock.get(), AttachStatus::kBadRegion, size.error(), label);
    return {};
  }
  auto map = Mapping::map(c->data_fd.get(), *size, true);
  if (!map) {
    refuse(ctx, sock.get(), AttachStatus::kBadRegion, map.error(), label);
    return {};
  }
  c->data = std::move(map.value());
  auto copy = std::make_unique<DataHeader>();
  std::memcpy(static_cast<void*>(copy.get()), c->data.data(), sizeof(DataHeader));
  auto geo = validate_data_header(*copy, *size);
  if (!geo) {
    refuse(ctx, sock.get(), AttachStatus::kBadRegion, geo.error(), label);
    return {};
  }
  if (copy->pid != cred->pid) {
    refuse(ctx, sock.get(), AttachStatus::kBadRegion,
           "data region says pid " + std::to_string(copy->pid) + " but the peer is pid " +
               std::to_string(cred->pid),
           label);
    return {};
  }
  c->geo = *geo;
  c->kind = ClientKind(req.kind);
  c->pid = cred->pid;
  c->incarnation = req.incarnation;
  c->reattach.incarnation = req.incarnation;
  std::memcpy(c->reattach.secret.data(), req.reattach_secret, c->reattach.secret.size());
  c->reattach.uid = cred->uid;
  c->name = *name;
  c->attached_realtime_ns = realtime_ns();
  c->attached_monotonic_ns = monotonic_ns();
  c->last_seen_ns.store(c->attached_monotonic_ns, std::memory_order_relaxed);

  // A client re-attaching before we saw its old socket close: retire the old slot first, but
  // only for the probe that proves it is that client (the incarnation alone is public).
  std::shared_ptr<Client> previous;
  std::shared_ptr<Client> claimed;
  {
    std::lock_guard lock(ctx.mu);
    for (const auto& other : ctx.slots) {
      if (!other || other->incarnation != c->incarnation) continue;
      if (c->reattach.proves(other->reattach))
        previous = other;
      else if (other->reattach.bound())
        claimed = other;  // (an unbound one is an earlier claimant: nobody's to protect)
    }
  }
  if (hooks.forget_waiter) hooks.forget_waiter(*c);  // the same probe asking again
  if (previous) {
    spdlog::info("client {} re-attached; retiring its old slot {}", c->name, previous->slot);
    hooks.retire(previous);
  } else if (claimed) {
    c->reattach.secret = {};  // one bound key per incarnation: the claimant gets none
    note_reattach_mismatch(ctx, label,
                           "live client '" + claimed->name + "' (pid " +
                               std::to_string(claimed->pid) + ", slot " +
                               std::to_string(claimed->slot) + ")");
  }

  c->drops_observed_ns = c->attached_monotonic_ns;
  const std::uint64_t bad_tails = c->init_tails();
  if (bad_tails > 0) count_bad_records(ctx, bad_tails, "ring positions of client " + c->name);
  adopt_drained_tails(ctx, *c);
  note_implausible(ctx, *c, c->start_credit(process_age_ns(c->pid)),
                   "claims more events or drops at attach than a process of its age can count");
  c->start_time = process_start_time(c->pid);
  if (auto bad = c->refresh_descriptors())
    count_bad_records(ctx, bad, "metric descriptors of " + c->name);
  c->session = random_u64();

  // A full table: a newcomer that has exited is folded at once; one that lives waits for a slot
  // of its kind (the caller keeps it, and folds it if it exits first), or is refused when the wait
  // list of its kind is full. A tool waits too: a one-shot shmonctl beside long sessions gets the
  // next tool slot that frees within its own --timeout-ms rather than an immediate refusal.
  enum { kTake, kExited, kWait, kRefuse } place = kTake;
  std::string why;
  if (c->kind == ClientKind::kApp && ctx.memory.pressure()) {
    // Near the agent's memory cgroup limit (memory_watch.hpp): a new app's series would push it
    // over. Tools still attach (they are how one finds out).
    ctx.memory.clients_refused.fetch_add(1, std::memory_order_relaxed);
    refuse(ctx, sock.get(), AttachStatus::kFull,
           "the agent is near its memory cgroup limit; new app clients are refused until it has "
           "room",
           label);
    return {};
  }
  {
    std::lock_guard lock(ctx.mu);
    const std::uint32_t slot = find_slot(ctx, c->kind);
    if (slot != ctx.regions.capacity) {
      take_slot_locked(ctx, c, slot, label);
    } else if (peer_exited(c->pid)) {
      place = kExited;
    } else if (hooks.may_wait(c->kind)) {
      place = kWait;
    } else {
      place = kRefuse;
      why = full_message(ctx, c->kind);
    }
  }
  switch (place) {
    case kExited:
      fold_exited_client(ctx, *c);
      return {};
    case kRefuse:
      ctx.stats().slot_waits_refused.fetch_add(1, std::memory_order_relaxed);
      why += " (and " +
             std::to_string(c->kind == ClientKind::kApp ? kMaxSlotWaiters : kMaxToolSlotWaiters) +
             " waiting)";
      refuse(ctx, sock.get(), AttachStatus::kFull, why, label);
      return {};
    case kWait:
      ctx.stats().slot_waits.fetch_add(1, std::memory_order_relaxed);
      c->socket = std::move(sock);
      c->pidfd = open_pidfd(c->pid);
      spdlog::debug("client {} waits for a slot", label);
      return {c, true};
    case kTake:
      break;
  }
  welcome(ctx, *c, std::move(sock));
  return {c, false};
}

bool handle_region_request(AgentContext& ctx, Client& c, const RegionRequest& req) {
  if (std::memcmp(req.magic, kRegionRequestMagic, sizeof(req.magic)) != 0 ||
      req.abi_version != kAbiVersion) {
    spdlog::warn("client {} (pid {}) sent an unknown message; closing its connection", c.name,
                 c.pid);
    return false;
  }
  if (c.kind == ClientKind::kApp) {
    send_reply(c.socket.get(),
               make_reply(ctx, AttachStatus::kDenied, "region views are for tools"));
    return true;
  }
  UniqueFd ro;
  std::string error;
  if (req.slot == kMailboxSlot) {
    auto r = reopen_read_only(ctx.regions.mailbox_fd.get());
    if (r)
      ro = std::move(r.value());
    else
      error = r.error();
  } else {
    auto target = ctx.client_at(req.slot);
    if (!target) {
      error = "slot " + std::to_string(req.slot) + " is free";
    } else {
      auto r = reopen_read_only(target->data_fd.get());
      if (r)
        ro = std::move(r.value());
      else
        error = r.error();
    }
  }
  if (!ro) {
    send_reply(c.socket.get(), make_reply(ctx, AttachStatus::kBadRegion, error));
    return true;
  }
  AttachReply reply = make_reply(ctx, AttachStatus::kOk, "");
  reply.slot = req.slot;
  const int fd = ro.get();
  send_reply(c.socket.get(), reply, std::span(&fd, 1));
  return true;
}

}  // namespace shmon::agent
