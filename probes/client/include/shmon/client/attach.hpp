// SPDX-License-Identifier: Apache-2.0
// Attaching to an agent: the rendezvous conversation every client (probe, shmonctl, inspector)
// speaks, with everything a client must check before it trusts the agent.
//
// Order of checks, each before the next step:
//   1. the runtime directory is ours (owner = our uid, not group/other writable, not a link);
//   2. the peer on the socket runs as our uid (SO_PEERCRED), before we send a byte or a fd;
//   3. the reply: magic, ABI, status, two descriptors;
//   4. the control region: seals and size, then magic and ABI (refused: another program or
//      version), then the geometry; the mailbox: seals, size and header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "shmon/fd.hpp"
#include "shmon/layout.hpp"
#include "shmon/memfd.hpp"
#include "shmon/protocol.hpp"

namespace shmon::client {

// kRefused: the agent or what it sent is wrong in a way a retry soon will not fix (another
// version, another user, a refusal); kFailed: a passing fault; kFull: no free slot now.
enum class AttachOutcome { kAttached, kNoAgent, kFull, kRefused, kFailed };

struct AttachParams {
  std::string instance;
  std::string name;
  ClientKind kind = ClientKind::kApp;
  std::uint64_t incarnation = 0;
  // Binds a later re-attach with this incarnation to us: the agent takes over an incarnation's
  // totals only from a client that knows its secret (the incarnation is public, the secret not).
  std::array<std::uint8_t, kReattachSecretSize> reattach_secret{};
  int data_fd = -1;  // the client's sealed data region
  // A socket on which the request was already sent (a fork child's handler, probes/src/fork.cpp);
  // attach() takes ownership and only reads the reply (after the SO_PEERCRED check). -1: none.
  int pending_sock = -1;
  std::uint64_t data_region_size = 0;
  // Where to map the mailbox: a reservation of mailbox_reservation_size() bytes (mapped over
  // with MAP_FIXED; on failure zero pages are put back), or nullptr for anywhere.
  void* mailbox_at = nullptr;
  std::uint64_t deadline_ns = 0;  // monotonic; the whole conversation ends by then
  // A directory view (docs/DESIGN.md, "Tools share the agent"): no slot, no mailbox, no data
  // region (data_fd is not sent); the agent answers with the control region alone and closes
  // the connection. The result's Attachment then holds only `control` and the agent's identity.
  bool view_only = false;
};

// What a successful attach yields. Valid as long as the object lives; `sock` stays open for the
// whole session (EOF = the agent is gone).
struct Attachment {
  UniqueFd sock;
  Mapping control;  // read-only, header validated
  Mapping mailbox;  // only when mapped anywhere (mailbox_at == nullptr)
  MailboxHeader* mailbox_header = nullptr;
  std::uint32_t slot = 0;
  std::uint32_t owner_token = 0;
  std::uint64_t session = 0;
  std::int32_t agent_pid = 0;
  std::uint64_t agent_generation = 0;
};

struct AttachResult {
  AttachOutcome outcome = AttachOutcome::kFailed;
  std::string message;  // one sentence: why, when not attached (empty on success)
  Attachment attachment;
};

// Runs the conversation. REQUIRES: params.data_fd is a sealed region of data_region_size bytes.
// Never blocks past params.deadline_ns. Sends no hello: the caller does (it owns the call).
AttachResult attach(const AttachParams& params);

// Byte size to reserve for a mailbox mapped at a fixed address (whole pages).
std::size_t mailbox_reservation_size();

}  // namespace shmon::client
