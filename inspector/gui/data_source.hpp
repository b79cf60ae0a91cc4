// The inspector's only contact with the agent, on one worker thread: the probe (kind inspector)
// for queries, each a few bounded mailbox sessions at the refresh rate, and the raw connection
// for region views. The UI thread never waits on either: it takes the latest immutable Snapshot.
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

#include "derived.hpp"
#include "model.hpp"
#include "raw_connection.hpp"

namespace shmon::inspector {

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
  std::shared_ptr<const std::deque<EventInfo>> events;  // oldest first
  std::uint64_t events_missed = 0;  // fell out of the agent's buffer before we read them

  std::deque<WaitPoint> total_waits;
  std::map<std::string, ClientWaits> client_waits;
  std::deque<MutexMark> marks;
  std::deque<TimeoutEvent> timeouts;

  std::shared_ptr<const RegionImage> control, mailbox, data;
  std::string raw_error, data_error;
  std::int64_t data_slot = -1;  // the slot `data`/`data_error` answer
};

struct DataSourceOptions {
  std::string instance;
  std::string name = "shmon-inspector";
  double refresh_hz = 4;
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
  void reload_data_region();

 private:
  void run();
  void refresh(Snapshot& next);
  void publish(Snapshot next);

  DataSourceOptions options_;
  std::atomic<double> refresh_hz_;
  std::atomic<std::int64_t> wanted_slot_{-1};
  std::atomic<bool> reload_{false};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const Snapshot> current_;
  std::thread thread_;
};

}  // namespace shmon::inspector
