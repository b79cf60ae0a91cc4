// SPDX-License-Identifier: Apache-2.0
// shmonctl send CLIENT COMMAND [PAYLOAD] and shmonctl commands CLIENT (docs/COMMANDS.md).
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command_list.hpp"
#include "commands.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"

namespace shmonctl {
namespace {

using shmon::CommandStatus;
namespace exit_code = shmon::exit_code;

int exit_code_for(CommandStatus status) {
  switch (status) {
    case CommandStatus::kOk:
      return exit_code::kOk;
    case CommandStatus::kUnknownCommand:
      return exit_code::kNoSuchCommand;
    case CommandStatus::kTimeout:
      return exit_code::kCommandTimeout;
    case CommandStatus::kClientGone:
      return exit_code::kClientDied;
    case CommandStatus::kNoSuchClient:
      return exit_code::kNoSuchClient;
    case CommandStatus::kPayloadTooLarge:
      return exit_code::kPayloadTooLarge;
    case CommandStatus::kAgentGone:
      return exit_code::kFailure;
    default:
      return exit_code::kCommandFailed;
  }
}

// Client-written text for a terminal: every line escaped, line breaks kept.
std::string escape_lines(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    out += shmon::inspector::escape_for_terminal(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    out += '\n';
    text.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

Target resolve_client(Connection& connection, const std::string& spec) {
  const shmon::client::Directory dir = connection.directory();
  const bool is_slot = !spec.empty() && spec.size() <= 9 &&
                       spec.find_first_not_of("0123456789") == std::string::npos;
  std::vector<const shmon::DirectoryEntry*> found;
  for (const shmon::DirectoryEntry& e : dir.clients) {
    if (shmon::ClientKind(e.kind) != shmon::ClientKind::kApp) continue;
    const auto s = shmon::ClientState(e.state);
    if (s != shmon::ClientState::kLive && s != shmon::ClientState::kAttached) continue;
    if (is_slot ? e.slot == std::stoul(spec) : spec == e.name) found.push_back(&e);
  }
  const std::string shown = shmon::inspector::escape_for_terminal(spec);
  if (found.empty()) {
    throw CtlError(exit_code::kNoSuchClient,
                   is_slot ? "no app client in slot " + spec + " (see shmonctl clients)"
                           : "no app client named '" + shown + "' (see shmonctl clients)");
  }
  if (found.size() > 1) {
    std::string slots;
    for (const auto* e : found) slots += (slots.empty() ? "" : ", ") + std::to_string(e->slot);
    throw CtlError(exit_code::kUsage, "client name '" + shown + "' is shared by slots " + slots +
                                          ": name the client by its slot");
  }
  return Target{found[0]->slot, found[0]->incarnation, found[0]->name};
}

int run_send(Connection& connection, const std::string& client, const std::string& command,
             const std::string& payload, bool json, bool raw) {
  if (auto bad = shmon::check_command_name(command)) {
    throw CtlError(exit_code::kUsage, "invalid command name: " + *bad);
  }
  if (payload.size() > shmon::kMaxCommandPayload) {
    throw CtlError(exit_code::kPayloadTooLarge,
                   "payload of " + std::to_string(payload.size()) + " bytes exceeds the " +
                       std::to_string(shmon::kMaxCommandPayload) + "-byte limit");
  }
  const Target target = resolve_client(connection, client);
  const shmon::client::CommandOutcome r =
      connection.send_command(target, command, std::as_bytes(std::span(payload)));
  const int code = exit_code_for(r.status);
  if (json) {
    const nlohmann::json out{{"client", target.name},
                             {"slot", target.slot},
                             {"command", command},
                             {"status", shmon::to_string(r.status)},
                             {"id", r.id},
                             {"payload", r.payload},
                             {"agent_ns", r.agent_ns},
                             {"round_trip_ns", r.round_trip_ns}};
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else if (code == exit_code::kOk && raw) {
    std::cout << r.payload;  // the reply's bytes exactly (the reply is the app's to define)
  } else if (code == exit_code::kOk) {
    // A line like every other command's: escaped on a terminal, as sent into a pipe or file.
    std::cout << (::isatty(STDOUT_FILENO) != 0 ? escape_lines(r.payload) : r.payload);
    if (!r.payload.empty() && r.payload.back() != '\n') std::cout << '\n';
  }
  check_output();
  if (code != exit_code::kOk) {
    throw CtlError(
        code, "'" + command + "' to " + shmon::inspector::escape_for_terminal(target.name) +
                  " (slot " + std::to_string(target.slot) + "): " + shmon::to_string(r.status) +
                  (r.payload.empty() ? std::string()
                                     : ": " + shmon::inspector::escape_for_terminal(r.payload)));
  }
  return code;
}

int run_commands(Connection& connection, const std::string& client, bool json) {
  const Target target = resolve_client(connection, client);
  const shmon::client::CommandOutcome r = connection.send_command(target, "commands", {});
  if (r.status != CommandStatus::kOk) {
    throw CtlError(exit_code_for(r.status), "'commands' to " +
                                                shmon::inspector::escape_for_terminal(target.name) +
                                                " (slot " + std::to_string(target.slot) +
                                                "): " + shmon::to_string(r.status) + ": " +
                                                shmon::inspector::escape_for_terminal(r.payload));
  }
  using shmon::inspector::CommandInfo;
  const std::vector<CommandInfo> list = shmon::inspector::parse_command_list(r.payload);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const CommandInfo& c : list)
      out.push_back({{"name", c.name}, {"description", c.description}});
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    Table t;
    t.add_column("COMMAND", Table::Align::kLeft);
    t.add_column("DESCRIPTION", Table::Align::kLeft);
    for (const CommandInfo& c : list) t.add_row({c.name, c.description});
    t.print(std::cout);
  }
  return exit_code::kOk;
}

}  // namespace shmonctl
