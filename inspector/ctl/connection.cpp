// SPDX-License-Identifier: Apache-2.0
#include "connection.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "shmon/clock.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"
#include "shmon/paths.hpp"

namespace shmonctl {
namespace {

using shmon::client::AttachOutcome;
using shmon::client::CallStatus;

shmon::client::ToolOptions tool_options(const GlobalOptions& options) {
  shmon::client::ToolOptions o;
  o.instance = options.instance;
  o.name = "shmonctl";
  o.kind = shmon::ClientKind::kTool;
  o.limits.lock_timeout_ms = options.timeout_ms;
  o.limits.done_timeout_ms = options.timeout_ms;
  return o;
}

}  // namespace

std::string resolve_instance(const std::string& from_command_line) {
  const std::string name = shmon::resolve_instance_name(from_command_line);
  if (auto problem = shmon::check_instance_name(name)) {
    throw CtlError(shmon::exit_code::kUsage, "invalid instance name: " + *problem);
  }
  return name;
}

Connection::Connection(const GlobalOptions& options)
    : options_(options),
      command_deadline_ns_(shmon::deadline_after_ms(options.timeout_ms)),
      client_(tool_options(options)) {}

std::uint64_t Connection::deadline() const {
  return options_.whole_command ? command_deadline_ns_
                                : shmon::deadline_after_ms(options_.timeout_ms);
}

std::string Connection::no_agent_message() const {
  return "no agent running on instance '" + options_.instance + "' (socket " +
         shmon::socket_path(options_.instance) + ")";
}

void Connection::attach() {
  connect(false);
}

void Connection::view() {
  connect(true);
}

void Connection::release() {
  client_.detach(deadline());
}

void Connection::connect(bool view_only) {
  const std::uint64_t until = deadline();
  // An agent that is restarting, or whose tool slots are all taken, may accept us a moment
  // later: retry until the deadline. (A full agent first keeps us waiting for a slot, up to
  // 3/4 of its attach timeout, then answers "full"; we ask again.)
  for (;;) {
    const AttachOutcome outcome = view_only ? client_.view(until) : client_.attach(until);
    switch (outcome) {
      case AttachOutcome::kAttached:
        return;
      case AttachOutcome::kNoAgent:
        throw CtlError(shmon::exit_code::kFailure, no_agent_message());
      case AttachOutcome::kRefused:
        throw CtlError(shmon::exit_code::kFailure, "the agent on instance '" + options_.instance +
                                                       "' refused shmonctl: " + client_.error());
      case AttachOutcome::kFull:
      case AttachOutcome::kFailed:
        break;
    }
    if (shmon::monotonic_ns() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // pacing between attempts
  }
  throw CtlError(shmon::exit_code::kFailure,
                 "could not attach to the agent on instance '" + options_.instance + "' within " +
                     std::to_string(options_.timeout_ms) + " ms: " + client_.error());
}

bool Connection::try_reattach(std::string* why) {
  if (client_.check_alive()) return true;
  const AttachOutcome outcome = client_.attach(deadline());
  if (outcome == AttachOutcome::kAttached) return true;
  if (why != nullptr) {
    if (outcome == AttachOutcome::kNoAgent) {
      *why = no_agent_message();
    } else if (outcome == AttachOutcome::kFull) {
      *why = "every tool slot of the agent on instance '" + options_.instance +
             "' is taken (shmonctl clients lists the sessions)";
    } else if (client_.error().find("timed out") != std::string::npos) {
      // The agent queues a tool while its tool slots are taken and answers once one frees.
      *why = "the agent on instance '" + options_.instance + "' gave no tool slot within " +
             std::to_string(options_.timeout_ms) +
             " ms (--timeout-ms): other sessions may hold them all (shmonctl clients lists them)";
    } else {
      *why = client_.error().empty() ? "the agent refused the attach" : client_.error();
    }
  }
  return false;
}

bool Connection::try_query(shmon::QueryKind kind, std::string& json, std::string* error,
                           std::string_view filter, std::uint64_t cursor) {
  const CallStatus st = client_.query(kind, json, filter, cursor, deadline());
  if (st == CallStatus::kOk) return true;
  if (error != nullptr) {
    *error = std::string("query failed: ") + shmon::client::to_string(st);
    if (st == CallStatus::kLockTimeout || st == CallStatus::kTimeout) {
      *error += " (no answer within " + std::to_string(options_.timeout_ms) + " ms)";
    } else if (!client_.error().empty() && !client_.connected()) {
      *error += " (" + client_.error() + ")";
    }
  }
  return false;
}

std::string Connection::query(shmon::QueryKind kind, std::string_view filter,
                              std::uint64_t cursor) {
  std::string json, error;
  if (!try_query(kind, json, &error, filter, cursor)) {
    throw CtlError(shmon::exit_code::kFailure, error);
  }
  return json;
}

bool Connection::try_directory(shmon::client::Directory& out, std::string* error) {
  if (client_.connected() && !client_.check_alive()) {
    if (error != nullptr) *error = client_.error();
    return false;
  }
  auto d = client_.directory();
  if (!d) {
    if (error != nullptr) *error = d.error();
    return false;
  }
  out = std::move(*d);
  return true;
}

shmon::client::Directory Connection::directory() {
  shmon::client::Directory d;
  std::string error;
  if (!try_directory(d, &error)) throw CtlError(shmon::exit_code::kFailure, error);
  return d;
}

std::uint64_t Connection::ping() {
  std::uint64_t rtt = 0;
  const CallStatus st = client_.ping(rtt, deadline());
  if (st != CallStatus::kOk) {
    throw CtlError(shmon::exit_code::kFailure,
                   std::string("ping failed: ") + shmon::client::to_string(st));
  }
  return rtt;
}

shmon::client::CommandOutcome Connection::send_command(const Target& target,
                                                       std::string_view command,
                                                       std::span<const std::byte> payload) {
  return client_.send_command(target.slot, target.incarnation, command, payload, deadline());
}

}  // namespace shmonctl
