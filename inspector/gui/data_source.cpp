// SPDX-License-Identifier: Apache-2.0
#include "data_source.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "shmon/client/tool_client.hpp"
#include "shmon/clock.hpp"
#include "shmon/limits.hpp"

namespace shmon::inspector {
namespace {

constexpr int kMaxEventPagesPerRefresh = 4;
constexpr double kHistoryPeriodS = 1.0;

constexpr std::uint64_t kRetryNs = 500'000'000;
// A command's whole round trip from the worker: a slow handler holds the worker (and with it the
// refreshes) at most this long.
constexpr std::uint32_t kCommandTimeoutMs = 5000;

client::ToolOptions tool_options(const DataSourceOptions& o) {
  client::ToolOptions t;
  t.instance = o.instance;
  t.name = o.name;
  t.kind = ClientKind::kInspector;
  return t;
}

std::shared_ptr<const RegionImage> image(RegionKind kind, std::shared_ptr<const Mapping> m,
                                         std::uint64_t generation, std::string label) {
  if (!m || !m->valid()) return nullptr;
  auto img = std::make_shared<RegionImage>();
  img->kind = kind;
  img->agent_generation = generation;
  img->label = std::move(label);
  img->size = m->size();
  img->mapping = std::move(m);
  return img;
}

std::uint64_t parse_hex(const std::string& s) {
  return std::strtoull(s.c_str(), nullptr, 16);
}

}  // namespace

DataSource::DataSource(DataSourceOptions options)
    : options_(std::move(options)),
      refresh_hz_(options_.refresh_hz),
      wanted_heatmap_(options_.heatmap) {
  auto first = std::make_shared<Snapshot>();
  first->instance = options_.instance;
  first->placeholder = true;
  first->down_reason = "connecting";
  first->events = std::make_shared<std::deque<EventInfo>>();
  first->history = std::make_shared<History>();
  current_ = first;
  thread_ = std::thread([this] { run(); });
}

DataSource::~DataSource() {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const Snapshot> DataSource::snapshot() const {
  std::lock_guard lock(mu_);
  return current_;
}

void DataSource::set_refresh_hz(double hz) {
  refresh_hz_ = hz;
  cv_.notify_all();
}

void DataSource::want_data_region(std::int64_t slot) {
  if (wanted_slot_.exchange(slot) != slot) cv_.notify_all();
}

void DataSource::want_heatmap(const std::string& metric) {
  std::lock_guard lock(mu_);
  wanted_heatmap_ = metric;
}

void DataSource::send_command(CommandJob job) {
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= kMaxQueuedCommands) return;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
}

void DataSource::run_commands(client::ToolClient& client, Snapshot& next) {
  std::deque<CommandJob> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  if (jobs.empty()) return;
  auto log = next.command_log ? std::make_shared<std::deque<CommandLogEntry>>(*next.command_log)
                              : std::make_shared<std::deque<CommandLogEntry>>();
  for (CommandJob& job : jobs) {
    client::CommandOutcome r;
    if (client.connected()) {
      r = client.send_command(job.slot, job.incarnation, job.command,
                              std::as_bytes(std::span(job.payload)),
                              deadline_after_ms(kCommandTimeoutMs));
    } else {
      r.payload = "not connected: " + client.error();
    }
    if (job.list) {
      CommandListEntry& l = next.command_lists[job.slot];
      l.incarnation = job.incarnation;
      l.commands.clear();
      l.error.clear();
      if (r.status == CommandStatus::kOk)
        l.commands = parse_command_list(r.payload);
      else
        l.error = std::string(to_string(r.status)) + ": " + r.payload;
      continue;
    }
    CommandLogEntry e;
    e.client = job.client;
    e.slot = job.slot;
    e.command = job.command;
    e.payload = job.payload;
    e.ok = r.status == CommandStatus::kOk;
    e.status = to_string(r.status);
    e.reply = std::move(r.payload);
    e.round_trip_ms = double(r.round_trip_ns) / 1e6;
    e.agent_ms = double(r.agent_ns) / 1e6;
    e.t = next.t;
    log->push_back(std::move(e));
    while (log->size() > kMaxCommandLog) log->pop_front();
  }
  next.command_log = std::move(log);
}

void DataSource::publish(Snapshot next) {
  auto p = std::make_shared<const Snapshot>(std::move(next));
  std::lock_guard lock(mu_);
  current_ = std::move(p);
}

void DataSource::run() {
  client::ToolClient client(tool_options(options_));
  Deriver deriver;
  const std::uint64_t start_ns = monotonic_ns();
  std::uint64_t next_attempt_ns = 0;
  std::uint64_t cursor = 0;
  std::uint64_t events_seen =
      ~std::uint64_t(0);  // agent's events_received at the last events query
  std::string generation;
  double last_history_t = -1e9;
  std::uint64_t raw_generation = 0;
  auto events = std::make_shared<std::deque<EventInfo>>();
  std::shared_ptr<const History> history = std::make_shared<History>();
  std::string json, err;

  while (!stop_) {
    Snapshot next = *snapshot();
    const std::uint64_t t0 = monotonic_ns();
    next.t = double(t0 - start_ns) / 1e9;
    next.query_error.clear();
    next.placeholder = false;

    // --- One client: attach when needed (bounded by the attach timeout), notice EOF.
    if (!client.check_alive() && t0 >= next_attempt_ns) {
      next_attempt_ns = t0 + kRetryNs;
      client.attach(deadline_after_ms(kAttachTimeoutMs));
    }
    auto directory = client.connected() ? client.directory() : Error{client.error()};
    if (!directory) {
      next.agent_up = false;
      next.down_reason = client.error().empty() ? "no agent" : client.error();
      if (client.connected()) next.query_error = "directory: " + directory.error();
    } else {
      // --- The agent and its clients: read from the directory, no client mutex.
      AgentStatus status = status_from_directory(*directory);
      if (status.generation != generation) {
        // A new agent: its cumulative counters and event sequence start over.
        if (!generation.empty()) ++next.generation_changes;
        generation = status.generation;
        deriver.reset();
        cursor = 0;
        events_seen = ~std::uint64_t(0);
        last_history_t = -1e9;
      }
      next.agent_up = true;
      next.down_reason.clear();
      next.status = std::move(status);
      next.clients = clients_from_directory(*directory);
      ++next.refreshes;
      deriver.feed(next.t, realtime_ns(), next.status, next.clients);

      // --- What only the agent can compute: one bounded mailbox session (or a few pages) each.
      if (auto st = client.query(QueryKind::kMetrics, json); st == client::CallStatus::kOk) {
        if (auto metrics = parse_metrics(json, &err)) next.metrics = std::move(*metrics);
      } else {
        next.query_error = std::string("metrics: ") + client::to_string(st);
      }

      // Events only when the agent received some since the last look.
      bool new_events = false;
      for (int page = 0; page < kMaxEventPagesPerRefresh &&
                         next.status.events_received != events_seen && client.connected();
           ++page) {
        if (client.query(QueryKind::kEvents, json, {}, cursor) != client::CallStatus::kOk) break;
        auto parsed = parse_events(json, &err);
        if (!parsed) break;
        if (parsed->oldest > cursor) next.events_missed += parsed->oldest - cursor;
        if (parsed->events.empty()) {
          cursor = std::max(cursor, parsed->next);
          events_seen = next.status.events_received;
          break;
        }
        if (!new_events) events = std::make_shared<std::deque<EventInfo>>(*next.events);
        new_events = true;
        for (auto& e : parsed->events) events->push_back(std::move(e));
        while (events->size() > kMaxEvents) events->pop_front();
        if (parsed->next <= cursor) break;  // no progress: do not spin
        cursor = parsed->next;
      }
      if (new_events) next.events = events;

      if (next.t - last_history_t >= kHistoryPeriodS && client.connected()) {
        if (client.query(QueryKind::kHistory, json) == client::CallStatus::kOk) {
          if (auto h = parse_history(json, &err)) {
            history = std::make_shared<const History>(std::move(*h));
            next.history = history;
          }
        }
        std::string wanted;
        {
          std::lock_guard lock(mu_);
          wanted = wanted_heatmap_;
        }
        next.heatmap.reset();
        if (!wanted.empty() &&
            client.query(QueryKind::kHistory, json, wanted) == client::CallStatus::kOk) {
          if (auto h = parse_history(json, &err); h && h->series.size() == 1) {
            next.heatmap = std::make_shared<const HistorySeries>(std::move(h->series.front()));
          }
        }
        last_history_t = next.t;
      }
    }
    if (!next.agent_up) next.status.mutex.holder.reset();
    next.total_waits = deriver.total();
    next.client_waits = deriver.per_client();
    next.marks = deriver.marks();
    next.timeouts = deriver.timeouts();

    // --- Raw regions: the session's own mappings, and data regions requested on the socket.
    if (client.connected() && client.agent_generation() != raw_generation) {
      raw_generation = client.agent_generation();
      next.control =
          image(RegionKind::kControl, client.control_mapping(), raw_generation, "control region");
      next.mailbox =
          image(RegionKind::kMailbox, client.mailbox_mapping(), raw_generation, "mailbox region");
      next.data.reset();
      next.data_slot = -1;
    }
    next.raw_error = client.connected() ? "" : client.error();
    const std::int64_t want = wanted_slot_.load();
    bool fetch = want != next.data_slot;
    if (!fetch && want >= 0 && next.data) {
      // The slot now belongs to someone else: fetch the new owner's region.
      for (const ClientInfo& c : next.clients) {
        if (std::int64_t(c.slot) == want && !c.incarnation.empty() &&
            parse_hex(c.incarnation) != next.data->incarnation) {
          fetch = true;
        }
      }
    }
    if (fetch && want >= 0 && client.connected()) {
      auto view = client.request_region(std::uint32_t(want), deadline_after_ms(kAttachTimeoutMs));
      next.data_slot = want;
      if (view) {
        auto img = std::make_shared<RegionImage>();
        img->kind = RegionKind::kData;
        img->slot = view->slot;
        img->incarnation = view->incarnation;
        img->agent_generation = raw_generation;
        img->label = "data region of " + view->client_name + " (slot " + std::to_string(want) + ")";
        img->size = view->mapping.size();
        img->mapping = std::make_shared<const Mapping>(std::move(view->mapping));
        next.data = std::move(img);
        next.data_error.clear();
      } else {
        next.data.reset();
        next.data_error = view.error();
      }
    } else if (want < 0) {
      next.data.reset();
      next.data_slot = -1;
      next.data_error.clear();
    } else if (fetch && !client.connected()) {
      next.data_slot = want;  // retried after the connection comes back
      next.data_error = "not connected: " + client.error();
    }

    next.refresh_ms = double(monotonic_ns() - t0) / 1e6;
    run_commands(client, next);
    publish(std::move(next));

    // Sleep until the next refresh; a change of settings or of the wanted region wakes us.
    const double hz = std::clamp(refresh_hz_.load(), 0.2, 60.0);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(1.0 / hz), [&] {
      return stop_.load() || wanted_slot_.load() != current_->data_slot || !jobs_.empty();
    });
  }
}

}  // namespace shmon::inspector
