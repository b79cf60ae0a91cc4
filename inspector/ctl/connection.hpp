// shmonctl's link to the agent: a tool-kind probe with a tiny data region, attached on demand,
// and JSON queries that turn every failure into a CtlError carrying the process exit code.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "shmon/probe.hpp"

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
};

class Connection {
 public:
  explicit Connection(const GlobalOptions& options);

  // Attaches within the timeout or throws CtlError (exit 1) saying why.
  void attach();
  // One non-blocking reattach attempt (for watch); true when attached.
  bool try_reattach() { return probe_->poll(); }

  // Runs a query and parses its answer; throws CtlError (exit 1) on any failure.
  nlohmann::json query(shmon::QueryKind kind, std::string_view filter = {},
                       std::uint64_t cursor = 0);
  // Same, but reports failure as nullopt with the reason in `error` (for loops that retry).
  std::optional<nlohmann::json> try_query(shmon::QueryKind kind, std::string* error,
                                          std::string_view filter = {}, std::uint64_t cursor = 0);

  shmon::Probe& probe() { return *probe_; }
  const GlobalOptions& options() const { return options_; }
  std::string no_agent_message() const;

 private:
  GlobalOptions options_;
  std::unique_ptr<shmon::Probe> probe_;
};

// Resolves and validates the instance name; throws CtlError (exit 2) when it is invalid.
std::string resolve_instance(const std::string& from_command_line);

}  // namespace shmonctl
