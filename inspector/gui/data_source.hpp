// SPDX-License-Identifier: Apache-2.0
// The inspector's only contact with the agent, on one worker thread, through one client of kind
// inspector (shmon_client's ToolClient: one slot in the agent's table). The agent's state and
// the clients come from the lock-free directory; metrics, events and history are mailbox
// queries (events only when the agent received new ones); region views are requests on the
// socket. The UI thread never waits: it takes the latest immutable Snapshot.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "command_list.hpp"
#include "derived.hpp"
#include "model.hpp"
#include "shmon/client/tool_client.hpp"
#include "shmon/memfd.hpp"

namespace shmon::inspector {

enum class RegionKind { kControl, kMailbox, kData };

// A read-only view of a region, kept alive by whoever holds the pointer (it outlives a dead
// agent).
struct RegionImage {
  RegionKind kind = RegionKind::kControl;
  std::uint32_t slot = 0;         // kData: the client's slot
  std::uint64_t incarnation = 0;  // kData: from the validated header
  std::uint64_t agent_generation = 0;
  std::string label;  // "control region", "data region of loadgen-1 (slot 3)"
  std::shared_ptr<const Mapping> mapping;
  std::size_t size = 0;
  const std::byte* bytes() const { return mapping->data(); }
};

// A command the UI asked the worker to send (docs/COMMANDS.md); `list` asks for the client's
// command list (the `commands` built-in) instead.
struct CommandJob {
  std::uint32_t slot = 0;
  std::uint64_t incarnation = 0;
  std::string client;
  std::string command;
  std::string payload;
  bool list = false;
};

// One reply (or error) shown in the client details window.
struct CommandLogEntry {
  std::string client, command, payload;
  std::uint32_t slot = 0;
  bool ok = false;
  std::string status;  // to_string(CommandStatus)
  std::string reply;   // the client's text, or the reason; escape before showing
  double round_trip_ms = 0, agent_ms = 0;
  double t = 0;  // seconds since the inspector started
};

// A client's answer to `commands`, for the incarnation it came from.
struct CommandListEntry {
  std::uint64_t incarnation = 0;
  std::vector<CommandInfo> commands;
  std::string error;
};

struct Snapshot {
  std::string instance;
  bool placeholder = false;     // the value before the worker's first round
  bool agent_up = false;        // the last status query answered
  std::string down_reason;      // why not, for the banner
  std::string query_error;      // a query that failed while the agent is up
  std::uint64_t refreshes = 0;  // answered status queries since start
  double t = 0;                 // seconds since the inspector started, at this refresh
  double refresh_ms = 0;        // how long the last round of queries took
  std::uint64_t generation_changes = 0;

  AgentStatus status;
  std::vector<ClientInfo> clients;
  std::vector<MetricInfo> metrics;
  std::shared_ptr<const History> history;
  std::shared_ptr<const HistorySeries> heatmap;  // the histogram want_heatmap() names, if any
  std::shared_ptr<const std::deque<EventInfo>> events;  // oldest first
  std::uint64_t events_missed = 0;  // fell out of the agent's buffer before we read them

  std::deque<WaitPoint> total_waits;
  std::map<std::string, ClientWaits> client_waits;
  std::deque<MutexMark> marks;
  std::deque<TimeoutEvent> timeouts;

  std::shared_ptr<const RegionImage> control, mailbox, data;
  std::string raw_error, data_error;
  std::int64_t data_slot = -1;  // the slot `data`/`data_error` answer

  std::shared_ptr<const std::deque<CommandLogEntry>> command_log;  // newest last
  std::map<std::uint32_t, CommandListEntry> command_lists;         // by slot
};

struct DataSourceOptions {
  std::string instance;
  std::string name = "shmon-inspector";
  double refresh_hz = 4;
  std::string heatmap;  // the first want_heatmap(), so the first history answer carries it
};

class DataSource {
 public:
  static constexpr std::size_t kMaxEvents = 20000;

  explicit DataSource(DataSourceOptions options);
  ~DataSource();
  DataSource(const DataSource&) = delete;
  DataSource& operator=(const DataSource&) = delete;

  std::shared_ptr<const Snapshot> snapshot() const;
  void set_refresh_hz(double hz);
  // The data region the raw view wants (-1: none). Fetched on the worker thread.
  void want_data_region(std::int64_t slot);
  // The histogram whose latency heatmap the telemetry view shows ("" for none). Fetched with the
  // history, once a second.
  void want_heatmap(const std::string& metric);
  // Queues a command for the worker (at most kMaxQueuedCommands wait; more are dropped).
  // Its reply appears in Snapshot::command_log (a list request: in command_lists).
  void send_command(CommandJob job);
  static constexpr std::size_t kMaxQueuedCommands = 16;
  static constexpr std::size_t kMaxCommandLog = 100;

 private:
  void run();
  void refresh(Snapshot& next);
  void publish(Snapshot next);
  // Runs the queued commands on the worker's client (each bounded by kCommandTimeoutMs).
  void run_commands(client::ToolClient& client, Snapshot& next);

  DataSourceOptions options_;
  std::atomic<double> refresh_hz_;
  std::atomic<std::int64_t> wanted_slot_{-1};
  std::string wanted_heatmap_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const Snapshot> current_;
  std::deque<CommandJob> jobs_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace shmon::inspector
