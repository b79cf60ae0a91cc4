#include "connection.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "shmon/clock.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"
#include "shmon/paths.hpp"
#include "shmon/unix_socket.hpp"

namespace shmonctl {
namespace {

shmon::ProbeOptions tool_probe_options(const GlobalOptions& options) {
  shmon::ProbeOptions o;
  o.instance = options.instance;
  o.name = "shmonctl";
  o.kind = shmon::ClientKind::kTool;
  // A tool writes no telemetry: the smallest region the geometry accepts.
  o.params.metric_capacity = 1;
  o.params.shard_count = 1;
  o.params.histogram_capacity = 0;
  o.params.ring_capacity = 1;
  o.background_connect = false;  // no thread: shmonctl attaches when it needs to
  return o;
}

// True when nothing listens on the socket (missing file or a stale one that refuses).
bool nobody_listens(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno == ENOENT;
  // connect_unix closes its socket on destruction; an accepted connection that sends nothing is
  // only a blip for the agent, and this runs only after an attach attempt already failed.
  return shmon::connect_unix(path).error == shmon::ConnectError::kNoAgent;
}

}  // namespace

std::string resolve_instance(const std::string& from_command_line) {
  std::string name = from_command_line;
  if (name.empty()) {
    const char* env = std::getenv("SHMON_INSTANCE");
    name = (env != nullptr && *env != '\0') ? env : shmon::kDefaultInstance;
  }
  if (auto problem = shmon::check_instance_name(name)) {
    throw CtlError(shmon::exit_code::kUsage, "invalid instance name: " + *problem);
  }
  return name;
}

Connection::Connection(const GlobalOptions& options)
    : options_(options), probe_(std::make_unique<shmon::Probe>(tool_probe_options(options))) {}

std::string Connection::no_agent_message() const {
  return "no agent running on instance '" + options_.instance + "' (socket " +
         shmon::socket_path(options_.instance) + ")";
}

void Connection::attach() {
  if (probe_->poll()) return;
  const std::string path = shmon::socket_path(options_.instance);
  if (nobody_listens(path)) throw CtlError(shmon::exit_code::kFailure, no_agent_message());

  const std::uint64_t deadline = shmon::deadline_after_ms(options_.timeout_ms);
  while (shmon::monotonic_ns() < deadline) {
    if (probe_->poll()) return;
    const auto state = probe_->state();
    if (state == shmon::ConnectionState::kRefused ||
        state == shmon::ConnectionState::kRefusedFull) {
      throw CtlError(shmon::exit_code::kFailure, "the agent on instance '" + options_.instance +
                                                     "' refused shmonctl: " + probe_->last_error());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (nobody_listens(path)) throw CtlError(shmon::exit_code::kFailure, no_agent_message());
  std::string why = probe_->last_error();
  throw CtlError(shmon::exit_code::kFailure, "could not attach to the agent on instance '" +
                                                 options_.instance + "' within " +
                                                 std::to_string(options_.timeout_ms) + " ms" +
                                                 (why.empty() ? std::string() : ": " + why));
}

std::optional<nlohmann::json> Connection::try_query(shmon::QueryKind kind, std::string* error,
                                                    std::string_view filter, std::uint64_t cursor) {
  shmon::QueryResult result = probe_->query(kind, filter, cursor);
  if (result.status != shmon::CallStatus::kOk) {
    if (error != nullptr) {
      *error = std::string("query failed: ") + shmon::to_string(result.status);
      std::string why = probe_->last_error();
      if (!why.empty() && result.status == shmon::CallStatus::kNotConnected)
        *error += " (" + why + ")";
    }
    return std::nullopt;
  }
  auto parsed = nlohmann::json::parse(result.json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    if (error != nullptr) *error = "the agent answered with invalid JSON";
    return std::nullopt;
  }
  return parsed;
}

nlohmann::json Connection::query(shmon::QueryKind kind, std::string_view filter,
                                 std::uint64_t cursor) {
  std::string error;
  auto answer = try_query(kind, &error, filter, cursor);
  if (!answer) throw CtlError(shmon::exit_code::kFailure, error);
  return std::move(*answer);
}

}  // namespace shmonctl
