// SPDX-License-Identifier: Apache-2.0
// A client for tools (shmonctl, the inspector, and the ones to come): one attach, one slot in
// the agent's table, calls and paged queries through the mailbox, read-only views of other
// clients' regions, and the lock-free directory. It owns a tiny data region of its own (the
// agent requires one; a tool writes no telemetry into it, only its call statistics).
//
// Threads: one thread at a time (the caller serialises). Every wait ends by the deadline given
// (monotonic ns; 0 = the defaults of CallLimits and kAttachTimeoutMs).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shmon/client/attach.hpp"
#include "shmon/client/call.hpp"
#include "shmon/client/directory.hpp"
#include "shmon/fd.hpp"
#include "shmon/memfd.hpp"
#include "shmon/result.hpp"

namespace shmon::client {

struct ToolOptions {
  std::string instance;
  std::string name;
  ClientKind kind = ClientKind::kTool;  // kTool or kInspector
  CallLimits limits;
};

// A read-only view of a client's data region, header validated on a private copy.
struct RegionView {
  Mapping mapping;
  std::uint32_t slot = 0;
  std::uint64_t incarnation = 0;
  std::string client_name;
};

// The end of one command (docs/COMMANDS.md): the client's reply (status < kTimeout) or a verdict
// of the agent or of this tool; `payload` is the reply, or a one-line reason for a verdict.
struct CommandOutcome {
  CommandStatus status = CommandStatus::kAgentGone;
  std::string payload;
  std::uint64_t id = 0;             // the agent's id for the command; 0 if it got none
  std::uint64_t agent_ns = 0;       // the agent's time from receipt to reply
  std::uint64_t round_trip_ns = 0;  // this tool's time from send to reply
};

class ToolClient {
 public:
  explicit ToolClient(ToolOptions options);
  ~ToolClient();  // says bye (bounded by the call limits) when attached
  ToolClient(const ToolClient&) = delete;
  ToolClient& operator=(const ToolClient&) = delete;

  // Attaches and says hello, ending by `deadline_ns`. On anything but kAttached, error() says
  // why. REQUIRES: not connected.
  AttachOutcome attach(std::uint64_t deadline_ns);
  bool connected() const { return attached_; }
  // Notices without blocking that the agent closed the socket; drops the session then.
  bool check_alive();
  void drop(const std::string& why);
  const std::string& error() const { return error_; }

  // One mailbox session; the answer is in `page` (valid until the next call).
  CallStatus call(RequestType type, std::span<const std::byte> body, Reply& reply,
                  std::span<const std::byte>& page, std::uint64_t deadline_ns = 0);
  // A whole query answer (paged) into `json`.
  CallStatus query(QueryKind kind, std::string& json, std::string_view filter = {},
                   std::uint64_t cursor = 0, std::uint64_t deadline_ns = 0);
  // Round trip through the agent in ns (kOk), measured with a ping request.
  CallStatus ping(std::uint64_t& round_trip_ns, std::uint64_t deadline_ns = 0);

  // The agent's directory, read without the client mutex. REQUIRES: connected() or a view().
  Result<Directory> directory() const;
  // A directory view without a slot (docs/DESIGN.md, "Tools share the agent"): the control
  // region alone, by `deadline_ns`; directory() reads it from then on. A tool that only reads the
  // directory (shmonctl status and clients, the tray) is so never locked out by tool sessions.
  // Outcomes as attach(); kAttached means viewing. REQUIRES: not connected.
  AttachOutcome view(std::uint64_t deadline_ns);
  // Says bye (bounded by `deadline_ns`) and drops the session: the slot is free for others.
  void detach(std::uint64_t deadline_ns);
  // Read-only views over the socket (no mutex): a client's data region.
  Result<RegionView> request_region(std::uint32_t slot, std::uint64_t deadline_ns);

  // Runs command `name` in the app at `slot` (whose directory entry has `incarnation`) and waits
  // for its one reply until `deadline_ns`. The command's own deadline is set a little earlier, so
  // that the agent's timeout verdict arrives in time. A payload over kMaxCommandPayload is refused
  // here (kPayloadTooLarge) without sending. If no reply arrives in time, or the agent closes the
  // socket, the session is dropped (kTimeout, kAgentGone).
  CommandOutcome send_command(std::uint32_t slot, std::uint64_t incarnation, std::string_view name,
                              std::span<const std::byte> payload, std::uint64_t deadline_ns);

  std::span<const std::byte> control() const;
  // The session's mappings, shared: a viewer may keep them after the session is dropped.
  std::shared_ptr<const Mapping> control_mapping() const { return control_; }
  std::shared_ptr<const Mapping> mailbox_mapping() const { return mailbox_; }
  // The session's socket, for a caller that runs its own exchange on it (a test tool that
  // sends commands back to back); -1 when not connected.
  int socket_fd() const { return attached_ ? at_.sock.get() : -1; }
  std::uint64_t agent_generation() const { return at_.agent_generation; }
  std::int32_t agent_pid() const { return at_.agent_pid; }
  std::uint32_t slot() const { return at_.slot; }
  const ToolOptions& options() const { return options_; }

 private:
  Status make_region();
  CallLimits limits_until(std::uint64_t deadline_ns) const;

  ToolOptions options_;
  std::uint64_t incarnation_ = 0;
  std::array<std::uint8_t, kReattachSecretSize> secret_{};
  UniqueFd region_fd_;
  Mapping region_;
  Attachment at_;
  std::shared_ptr<Mapping> control_, mailbox_;  // moved out of at_ after attach
  bool attached_ = false;
  std::atomic<std::uint64_t> next_seq_{1};
  std::vector<std::byte> response_;
  std::string error_ = "not attached";
};

}  // namespace shmon::client
