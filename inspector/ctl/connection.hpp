// SPDX-License-Identifier: Apache-2.0
// shmonctl's link to the agent: one tool-kind client (shmon_client's ToolClient), attached on
// demand, with every wait bounded by the command's deadline. Failures become a CtlError
// carrying the process exit code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "model.hpp"
#include "shmon/client/tool_client.hpp"

namespace shmonctl {

// A failure that ends the command: `code` is the exit status, what() the one-line message.
class CtlError : public std::runtime_error {
 public:
  CtlError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

struct GlobalOptions {
  std::string instance;  // resolved: --instance, else $SHMON_INSTANCE, else "default"
  std::uint32_t timeout_ms = 2000;
  // One-shot commands: the timeout bounds the whole command. Otherwise (watch, events
  // --follow) it bounds each attach and each query.
  bool whole_command = true;
};

// An app client picked from the directory (shmonctl send, commands).
struct Target {
  std::uint32_t slot = 0;
  std::uint64_t incarnation = 0;
  std::string name;
};

class Connection {
 public:
  explicit Connection(const GlobalOptions& options);

  // Attaches by the deadline or throws CtlError (exit 1) saying why. When every tool slot is
  // taken, it waits (the agent queues it; asked again after the agent's answer) until the
  // deadline for one to free.
  void attach();
  // A directory view instead of a session: no tool slot (status and clients read only the
  // directory). Throws CtlError (exit 1) as attach() does.
  void view();
  // Ends the session (bye, bounded by the deadline): the tool slot is free between steps of an
  // endless command (watch between frames). try_reattach() opens the next.
  void release();
  // One bounded attach attempt when not attached (watch, follow); true when attached, else
  // false with the reason in `why` (no agent, every tool slot taken, refused).
  bool try_reattach(std::string* why = nullptr);

  // A query answer as text; throws CtlError (exit 1) on any failure.
  std::string query(shmon::QueryKind kind, std::string_view filter = {}, std::uint64_t cursor = 0);
  // Same, but reports failure as false with the reason in `error` (for loops that retry).
  bool try_query(shmon::QueryKind kind, std::string& json, std::string* error,
                 std::string_view filter = {}, std::uint64_t cursor = 0);
  // The agent's state and clients from the directory, without the client mutex.
  shmon::client::Directory directory();
  bool try_directory(shmon::client::Directory& out, std::string* error);
  // One ping's round trip (ns); throws CtlError on failure.
  std::uint64_t ping();

  // Runs a command in `target`, bounded by the command's deadline (never throws).
  shmon::client::CommandOutcome send_command(const Target& target, std::string_view command,
                                             std::span<const std::byte> payload);

  bool connected() const { return client_.connected(); }
  const GlobalOptions& options() const { return options_; }
  std::string no_agent_message() const;

 private:
  std::uint64_t deadline() const;
  void connect(bool view_only);

  GlobalOptions options_;
  std::uint64_t command_deadline_ns_;
  shmon::client::ToolClient client_;
};

// Resolves and validates the instance name; throws CtlError (exit 2) when it is invalid.
std::string resolve_instance(const std::string& from_command_line);

}  // namespace shmonctl
