// SPDX-License-Identifier: Apache-2.0
// shmonctl state: where the agent keeps its durable state, how big it is, when it was last made
// durable; `state reset` deletes it (only while no agent serves the instance: it holds the
// instance lock while deleting, so no agent can start meanwhile).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "format.hpp"
#include "json_fields.hpp"
#include "shmon/limits.hpp"
#include "shmon/paths.hpp"

namespace shmonctl {

namespace {

std::string when(std::uint64_t realtime_ns) {
  if (realtime_ns == 0) return "never";
  const std::time_t t = std::time_t(realtime_ns / 1'000'000'000ull);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  const double age = double(std::time(nullptr) - t);
  return std::string(buf) + " (" + shmon::inspector::fmt_duration_s(age) + " ago)";
}

}  // namespace

int run_state(Connection& connection, bool json) {
  const nlohmann::json s =
      nlohmann::json::parse(connection.query(shmon::QueryKind::kStatus), nullptr, false);
  const nlohmann::json& st = member(s, "state");
  if (json) {
    std::cout << st.dump() << '\n';
    return 0;
  }
  if (!st.value("enabled", false)) {
    std::cout << "state             memory only"
              << (st.contains("error") && st["error"].is_string()
                      ? " (" + st["error"].get<std::string>() + ")"
                      : std::string(" (--no-state)"))
              << '\n';
    return 0;
  }
  std::cout << "state dir         " << text(st, "dir") << '\n'
            << "size              " << shmon::inspector::fmt_bytes(double(count(st, "bytes")))
            << '\n'
            << "last commit       " << when(count(st, "last_commit_realtime_ns"))
            << "  (survives an agent crash)\n"
            << "last sync         " << when(count(st, "last_sync_realtime_ns"))
            << "  (survives a power cut; every "
            << shmon::inspector::fmt_ns(double(count(st, "sync_interval_ms")) * 1e6) << ")\n"
            << "event log         "
            << shmon::inspector::fmt_count(double(count(st, "event_log_capacity"))) << " records, "
            << (st.value("event_log_durable", false) ? "on disk" : "in memory only")
            << ", next seq " << count(st, "event_log_next_seq") << '\n'
            << "tombstones        " << shmon::inspector::fmt_count(double(count(st, "tombstones")))
            << '\n'
            << "bad files         " << shmon::inspector::fmt_count(double(count(st, "bad_files")))
            << " moved aside\n"
            << "write errors      "
            << shmon::inspector::fmt_count(double(count(st, "write_errors")));
  if (st.contains("last_error") && st["last_error"].is_string()) {
    std::cout << " (last: " << st["last_error"].get<std::string>() << ")";
  }
  std::cout << '\n';
  return 0;
}

namespace {

// Where the running agent keeps its state, as it says (its --state-dir and environment may differ
// from ours); empty when it cannot be asked or keeps none.
std::string agent_state_dir(const GlobalOptions& options) {
  try {
    Connection connection(options);
    connection.attach();
    const nlohmann::json s =
        nlohmann::json::parse(connection.query(shmon::QueryKind::kStatus), nullptr, false);
    const nlohmann::json& st = member(s, "state");
    return st.value("enabled", false) ? text(st, "dir") : std::string();
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

int run_state_reset(const GlobalOptions& options, const std::string& state_dir_flag) {
  const std::string& instance = options.instance;
  const std::string dir = shmon::state_dir(state_dir_flag, instance);
  if (dir.empty()) {
    throw CtlError(shmon::exit_code::kUsage, "no state directory: give --state-dir or set HOME");
  }
  // The agent holds an flock on the instance lock for its whole life: taking it proves no agent
  // serves the instance, and keeps one from starting while we delete.
  const std::string lock = shmon::lock_path(instance);
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    const std::string served = agent_state_dir(options);
    throw CtlError(
        shmon::exit_code::kFailure,
        "an agent serves instance '" + instance + "'; stop it first (" +
            (served.empty() ? "it keeps no state on disk" : "its state is in " + served) + ")");
  }
  std::error_code ec;
  std::uintmax_t removed = 0;
  if (std::filesystem::is_directory(dir, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("state.db", 0) == 0 || name.rfind("events.log", 0) == 0) {
        removed += std::filesystem::remove(e.path(), ec) ? 1 : 0;
      }
    }
  }
  if (fd >= 0) ::close(fd);
  std::cout << "state of instance '" << instance << "' reset: " << removed << " files removed from "
            << dir << '\n';
  return 0;
}

}  // namespace shmonctl
