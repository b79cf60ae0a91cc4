#include "data_source.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "shmon/clock.hpp"
#include "shmon/paths.hpp"
#include "shmon/probe.hpp"

namespace shmon::inspector {
namespace {

constexpr int kMaxEventPagesPerRefresh = 4;
constexpr double kHistoryPeriodS = 1.0;

// Queries are issued with the probe; a tool's region stays tiny.
ProbeOptions probe_options(const DataSourceOptions& o) {
  ProbeOptions p;
  p.instance = o.instance;
  p.name = o.name;
  p.kind = ClientKind::kInspector;
  p.params = DataParams{1, 1, 0, 2, 1};
  p.background_connect = true;
  return p;
}

std::uint64_t parse_hex(const std::string& s) {
  return std::strtoull(s.c_str(), nullptr, 16);
}

}  // namespace

DataSource::DataSource(DataSourceOptions options)
    : options_(std::move(options)), refresh_hz_(options_.refresh_hz) {
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

void DataSource::reload_data_region() {
  reload_ = true;
  cv_.notify_all();
}

void DataSource::publish(Snapshot next) {
  auto p = std::make_shared<const Snapshot>(std::move(next));
  std::lock_guard lock(mu_);
  current_ = std::move(p);
}

void DataSource::run() {
  Probe probe(probe_options(options_));
  RawConnection raw(options_.instance, options_.name + ".raw");
  Deriver deriver;
  const std::uint64_t start_ns = monotonic_ns();
  std::uint64_t cursor = 0;
  std::string generation;
  double last_history_t = -1e9;
  std::uint64_t raw_generation = 0;
  auto events = std::make_shared<std::deque<EventInfo>>();
  std::shared_ptr<const History> history = std::make_shared<History>();

  while (!stop_) {
    Snapshot next = *snapshot();
    const std::uint64_t t0 = monotonic_ns();
    next.t = double(t0 - start_ns) / 1e9;
    next.query_error.clear();
    next.placeholder = false;
    // At start, give the connector a moment so that a running agent is not reported down
    // (no socket: no agent, nothing to wait for).
    if (next.refreshes == 0 && next.generation_changes == 0 && t0 - start_ns < 1'000'000'000ull &&
        ::access(socket_path(options_.instance).c_str(), F_OK) == 0) {
      probe.wait_connected(500);
    }

    // --- Queries through the probe: one bounded mailbox session (or a few pages) each.
    if (!probe.connected()) {
      next.agent_up = false;
      next.down_reason = probe.last_error().empty() ? "no agent" : probe.last_error();
    } else {
      QueryResult st = probe.query(QueryKind::kStatus);
      std::string err;
      std::optional<AgentStatus> status;
      if (st.status == CallStatus::kOk) status = parse_status(st.json, &err);
      if (!status) {
        next.agent_up = st.status != CallStatus::kNotConnected && next.agent_up;
        if (st.status == CallStatus::kNotConnected) {
          next.down_reason = probe.last_error().empty() ? "no agent" : probe.last_error();
        }
        next.query_error =
            std::string("status: ") + (st.status == CallStatus::kOk ? err : to_string(st.status));
      } else {
        if (status->generation != generation) {
          // A new agent: its cumulative counters and event sequence start over.
          if (!generation.empty()) ++next.generation_changes;
          generation = status->generation;
          deriver.reset();
          cursor = 0;
          last_history_t = -1e9;
        }
        next.agent_up = true;
        next.down_reason.clear();
        next.status = *status;
        ++next.refreshes;

        QueryResult cl = probe.query(QueryKind::kClients);
        if (cl.status == CallStatus::kOk) {
          if (auto clients = parse_clients(cl.json, &err))
            next.clients = std::move(*clients);
          else
            next.query_error = "clients: " + err;
        } else {
          next.query_error = std::string("clients: ") + to_string(cl.status);
        }
        deriver.feed(next.t, realtime_ns(), next.status, next.clients);

        QueryResult me = probe.query(QueryKind::kMetrics);
        if (me.status == CallStatus::kOk) {
          if (auto metrics = parse_metrics(me.json, &err)) next.metrics = std::move(*metrics);
        }

        bool new_events = false;
        for (int page = 0; page < kMaxEventPagesPerRefresh; ++page) {
          QueryResult ev = probe.query(QueryKind::kEvents, {}, cursor);
          if (ev.status != CallStatus::kOk) break;
          auto parsed = parse_events(ev.json, &err);
          if (!parsed) break;
          if (parsed->oldest > cursor) next.events_missed += parsed->oldest - cursor;
          if (parsed->events.empty()) {
            cursor = std::max(cursor, parsed->next);
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

        if (next.t - last_history_t >= kHistoryPeriodS) {
          QueryResult hi = probe.query(QueryKind::kHistory);
          if (hi.status == CallStatus::kOk) {
            if (auto h = parse_history(hi.json, &err)) {
              history = std::make_shared<const History>(std::move(*h));
              next.history = history;
            }
          }
          last_history_t = next.t;
        }
      }
    }
    if (!next.agent_up) next.status.mutex.holder.reset();
    next.total_waits = deriver.total();
    next.client_waits = deriver.per_client();
    next.marks = deriver.marks();
    next.timeouts = deriver.timeouts();

    // --- Raw regions through the inspector's own connection.
    raw.tick();
    if (raw.agent_generation() != raw_generation) {
      raw_generation = raw.agent_generation();
      next.data.reset();
      next.data_slot = -1;
    }
    next.control = raw.control() ? raw.control() : next.control;
    next.mailbox = raw.mailbox() ? raw.mailbox() : next.mailbox;
    next.raw_error = raw.connected() ? "" : raw.error();
    const std::int64_t want = wanted_slot_.load();
    bool fetch = reload_.exchange(false) || want != next.data_slot;
    if (!fetch && want >= 0 && next.data) {
      // The slot now belongs to someone else: fetch the new owner's region.
      for (const ClientInfo& c : next.clients) {
        if (std::int64_t(c.slot) == want && !c.incarnation.empty() &&
            parse_hex(c.incarnation) != next.data->incarnation) {
          fetch = true;
        }
      }
    }
    if (fetch && want >= 0 && raw.connected()) {
      auto img = raw.request_data(std::uint32_t(want));
      next.data_slot = want;
      if (img) {
        next.data = img.value();
        next.data_error.clear();
      } else {
        next.data.reset();
        next.data_error = img.error();
      }
    } else if (want < 0) {
      next.data.reset();
      next.data_slot = -1;
      next.data_error.clear();
    } else if (fetch && !raw.connected()) {
      next.data_slot = want;  // retried after the raw connection comes back
      next.data_error = "not connected: " + raw.error();
    }

    next.refresh_ms = double(monotonic_ns() - t0) / 1e6;
    publish(std::move(next));

    // Sleep until the next refresh; a change of settings or of the wanted region wakes us.
    const double hz = std::clamp(refresh_hz_.load(), 0.2, 60.0);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(1.0 / hz), [&] {
      return stop_.load() || reload_.load() || wanted_slot_.load() != current_->data_slot;
    });
  }
}

}  // namespace shmon::inspector
