// SPDX-License-Identifier: Apache-2.0
// The C API (probe.h): opaque heap handles owned by the probe and freed by shmon_probe_close().
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <vector>

#include "shmon/probe.h"
#include "shmon/probe.hpp"

struct shmon_counter {
  shmon::Counter handle;
};
struct shmon_gauge {
  shmon::Gauge handle;
};
struct shmon_histogram {
  shmon::Histogram handle;
};
struct shmon_event_type {
  shmon::EventType handle;
};

struct shmon_probe {
  explicit shmon_probe(shmon::ProbeOptions options) : probe(std::move(options)) {}
  shmon::Probe probe;
  std::mutex mutex;  // guards the handle lists
  std::vector<std::unique_ptr<shmon_counter>> counters;
  std::vector<std::unique_ptr<shmon_gauge>> gauges;
  std::vector<std::unique_ptr<shmon_histogram>> histograms;
  std::vector<std::unique_ptr<shmon_event_type>> event_types;
};

namespace {

int to_code(shmon::CallStatus status) {
  using shmon::CallStatus;
  switch (status) {
    case CallStatus::kOk:
      return SHMON_OK;
    case CallStatus::kNotConnected:
      return SHMON_E_NOT_CONNECTED;
    case CallStatus::kLockTimeout:
      return SHMON_E_LOCK_TIMEOUT;
    case CallStatus::kTimeout:
      return SHMON_E_TIMEOUT;
    case CallStatus::kRevoked:
      return SHMON_E_REVOKED;
    case CallStatus::kAgentError:
      return SHMON_E_AGENT;
    case CallStatus::kBadArgument:
      return SHMON_E_ARGUMENT;
    case CallStatus::kNotDurable:
      return SHMON_E_NOT_DURABLE;
  }
  return SHMON_E_AGENT;
}

// The C label array as C++ labels (views of the caller's strings, valid during the call);
// nullopt when the array or a string in it is NULL.
std::optional<std::vector<shmon::Label>> labels_of(const shmon_label* labels, size_t count) {
  if (labels == nullptr && count != 0) return std::nullopt;
  std::vector<shmon::Label> out;
  for (size_t i = 0; i < count; ++i) {
    if (labels[i].name == nullptr || labels[i].value == nullptr) return std::nullopt;
    out.push_back({labels[i].name, labels[i].value});
  }
  return out;
}

// Registers through `make` and keeps the handle alive until close; NULL on failure.
template <class H, class Make>
H* keep(shmon_probe* p, std::vector<std::unique_ptr<H>>& list, const char* name, Make make) {
  if (p == nullptr || name == nullptr) return nullptr;
  try {
    auto h = std::make_unique<H>(H{make(std::string_view(name))});
    std::lock_guard lock(p->mutex);
    list.push_back(std::move(h));
    return list.back().get();
  } catch (...) {
    return nullptr;
  }
}

std::string_view view(const char* s) {
  return s != nullptr ? std::string_view(s) : std::string_view();
}

// keep() for a labelled registration: NULL when the label array (or a string in it) is NULL or
// the probe refused the set (the C functions tell a refusal apart; their handles cannot).
template <class H, class Make>
H* keep_labelled(shmon_probe* p, std::vector<std::unique_ptr<H>> shmon_probe::*list,
                 const char* name, const shmon_label* labels, size_t label_count, Make make) {
  if (p == nullptr) return nullptr;
  try {
    const auto set = labels_of(labels, label_count);
    if (!set) return nullptr;
    H* h = keep(p, p->*list, name,
                [&](std::string_view n) { return make(n, std::span<const shmon::Label>(*set)); });
    return h != nullptr && h->handle.registered() ? h : nullptr;
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

extern "C" {

void shmon_probe_options_init(shmon_probe_options* options) {
  if (options == nullptr) return;
  const shmon::ProbeOptions d;
  *options = shmon_probe_options{};
  options->size = sizeof(shmon_probe_options);
  options->metric_capacity = d.params.metric_capacity;
  options->shard_count = d.params.shard_count;
  options->histogram_capacity = d.params.histogram_capacity;
  options->histogram_buckets = d.params.histogram_buckets;
  options->ring_capacity = d.params.ring_capacity;
  options->background_connect = d.background_connect ? 1 : 0;
  options->lock_timeout_ms = d.lock_timeout_ms;
  options->done_timeout_ms = d.done_timeout_ms;
  options->overflow = SHMON_OVERFLOW_DROP;
  options->overflow_wait_ms = d.overflow_wait_ms;
  options->max_label_sets_per_metric = d.max_label_sets_per_metric;
  options->max_labelled_series = d.max_labelled_series;
}

shmon_probe* shmon_probe_open_with(const shmon_probe_options* o) {
  try {
    shmon::ProbeOptions options;
    // Read only what the caller's struct holds (an older, smaller struct leaves the rest default).
    shmon_probe_options c;
    shmon_probe_options_init(&c);
    if (o != nullptr) std::memcpy(&c, o, std::min(o->size, sizeof(c)));
    if (c.instance != nullptr) options.instance = c.instance;
    if (c.name != nullptr) options.name = c.name;
    auto pick = [](std::uint32_t v, std::uint32_t def) { return v != 0 ? v : def; };
    options.params.metric_capacity = pick(c.metric_capacity, options.params.metric_capacity);
    options.params.shard_count = pick(c.shard_count, options.params.shard_count);
    options.params.histogram_capacity =
        pick(c.histogram_capacity, options.params.histogram_capacity);
    options.params.histogram_buckets = pick(c.histogram_buckets, options.params.histogram_buckets);
    options.params.ring_capacity = pick(c.ring_capacity, options.params.ring_capacity);
    options.background_connect = c.background_connect != 0;
    options.lock_timeout_ms = pick(c.lock_timeout_ms, options.lock_timeout_ms);
    options.done_timeout_ms = pick(c.done_timeout_ms, options.done_timeout_ms);
    options.overflow = c.overflow == SHMON_OVERFLOW_WAIT ? shmon::OverflowPolicy::kWait
                                                         : shmon::OverflowPolicy::kDrop;
    options.overflow_wait_ms = c.overflow_wait_ms;
    options.max_label_sets_per_metric =
        pick(c.max_label_sets_per_metric, options.max_label_sets_per_metric);
    options.max_labelled_series = pick(c.max_labelled_series, options.max_labelled_series);
    return new shmon_probe(std::move(options));
  } catch (...) {
    return nullptr;
  }
}

int shmon_probe_poll(shmon_probe* probe) {
  return probe != nullptr && probe->probe.poll() ? 1 : 0;
}

int shmon_probe_wait_connected(shmon_probe* probe, uint32_t timeout_ms) {
  return probe != nullptr && probe->probe.wait_connected(timeout_ms) ? 1 : 0;
}

size_t shmon_probe_last_error(const shmon_probe* probe, char* buffer, size_t size) {
  if (buffer != nullptr && size > 0) buffer[0] = '\0';
  if (probe == nullptr) return 0;
  try {
    const std::string e = probe->probe.last_error();
    if (buffer != nullptr && size > 0) {
      const std::size_t n = std::min(e.size(), size - 1);
      std::memcpy(buffer, e.data(), n);
      buffer[n] = '\0';
    }
    return e.size();
  } catch (...) {
    return 0;
  }
}

shmon_probe* shmon_probe_open(const char* instance, const char* name) {
  try {
    shmon::ProbeOptions options;
    if (instance != nullptr) options.instance = instance;
    if (name != nullptr) options.name = name;
    return new shmon_probe(std::move(options));
  } catch (...) {
    return nullptr;
  }
}

void shmon_probe_close(shmon_probe* probe) {
  delete probe;
}

int shmon_probe_connected(const shmon_probe* probe) {
  return probe != nullptr && probe->probe.connected() ? 1 : 0;
}

shmon_counter* shmon_counter_get(shmon_probe* probe, const char* name) {
  return shmon_counter_get_unit(probe, name, nullptr);
}

shmon_counter* shmon_counter_get_unit(shmon_probe* probe, const char* name, const char* unit) {
  if (probe == nullptr) return nullptr;
  return keep(probe, probe->counters, name,
              [&](std::string_view n) { return probe->probe.counter(n, view(unit)); });
}

void shmon_counter_add(shmon_counter* counter, uint64_t delta) {
  if (counter != nullptr) counter->handle.add(delta);
}

shmon_counter* shmon_counter_get_labels(shmon_probe* probe, const char* name,
                                        const shmon_label* labels, size_t label_count,
                                        const char* unit) {
  return keep_labelled(probe, &shmon_probe::counters, name, labels, label_count,
                       [&](std::string_view n, std::span<const shmon::Label> set) {
                         return probe->probe.counter(n, set, view(unit));
                       });
}

shmon_gauge* shmon_gauge_get(shmon_probe* probe, const char* name) {
  return shmon_gauge_get_unit(probe, name, nullptr);
}

shmon_gauge* shmon_gauge_get_unit(shmon_probe* probe, const char* name, const char* unit) {
  if (probe == nullptr) return nullptr;
  return keep(probe, probe->gauges, name,
              [&](std::string_view n) { return probe->probe.gauge(n, view(unit)); });
}

void shmon_gauge_set(shmon_gauge* gauge, double value) {
  if (gauge != nullptr) gauge->handle.set(value);
}

shmon_gauge* shmon_gauge_get_labels(shmon_probe* probe, const char* name, const shmon_label* labels,
                                    size_t label_count, const char* unit) {
  return keep_labelled(probe, &shmon_probe::gauges, name, labels, label_count,
                       [&](std::string_view n, std::span<const shmon::Label> set) {
                         return probe->probe.gauge(n, set, view(unit));
                       });
}

shmon_histogram* shmon_histogram_get(shmon_probe* probe, const char* name) {
  return shmon_histogram_get_bounds(probe, name, nullptr, 0, nullptr);
}

shmon_histogram* shmon_histogram_get_bounds(shmon_probe* probe, const char* name,
                                            const int64_t* upper_bounds, size_t count,
                                            const char* unit) {
  if (probe == nullptr || (upper_bounds == nullptr && count != 0)) return nullptr;
  const std::span<const std::int64_t> bounds(upper_bounds, upper_bounds != nullptr ? count : 0);
  return keep(probe, probe->histograms, name,
              [&](std::string_view n) { return probe->probe.histogram(n, bounds, view(unit)); });
}

shmon_histogram* shmon_histogram_get_labels(shmon_probe* probe, const char* name,
                                            const shmon_label* labels, size_t label_count,
                                            const int64_t* upper_bounds, size_t count,
                                            const char* unit) {
  if (upper_bounds == nullptr && count != 0) return nullptr;
  const std::span<const std::int64_t> bounds(upper_bounds, upper_bounds != nullptr ? count : 0);
  return keep_labelled(probe, &shmon_probe::histograms, name, labels, label_count,
                       [&](std::string_view n, std::span<const shmon::Label> set) {
                         return probe->probe.histogram(n, set, bounds, view(unit));
                       });
}

void shmon_histogram_record(shmon_histogram* histogram, int64_t value) {
  if (histogram != nullptr) histogram->handle.record(value);
}

shmon_event_type* shmon_event_type_get(shmon_probe* probe, const char* name) {
  if (probe == nullptr) return nullptr;
  return keep(probe, probe->event_types, name,
              [&](std::string_view n) { return probe->probe.event_type(n); });
}

int shmon_event_emit(shmon_probe* probe, shmon_event_type* type, int level, const char* text) {
  if (probe == nullptr || type == nullptr) return SHMON_E_ARGUMENT;
  if (level < SHMON_TRACE || level > SHMON_FATAL) return SHMON_E_ARGUMENT;
  const std::string_view t = text != nullptr ? std::string_view(text) : std::string_view();
  return probe->probe.emit(type->handle, shmon::EventLevel(level), t) ? SHMON_OK : SHMON_E_DROPPED;
}

int shmon_event_emit_bytes(shmon_probe* probe, shmon_event_type* type, int level, const void* data,
                           size_t size) {
  if (probe == nullptr || type == nullptr || (data == nullptr && size != 0)) {
    return SHMON_E_ARGUMENT;
  }
  if (level < SHMON_TRACE || level > SHMON_FATAL) return SHMON_E_ARGUMENT;
  const std::span<const std::uint8_t> bytes(static_cast<const std::uint8_t*>(data), size);
  return probe->probe.emit_bytes(type->handle, shmon::EventLevel(level), bytes) ? SHMON_OK
                                                                                : SHMON_E_DROPPED;
}

int shmon_ping(shmon_probe* probe, uint64_t* round_trip_ns) {
  if (probe == nullptr) return SHMON_E_ARGUMENT;
  const shmon::PingResult r = probe->probe.ping();
  if (round_trip_ns != nullptr) *round_trip_ns = r.round_trip_ns;
  return to_code(r.status);
}

int shmon_flush(shmon_probe* probe) {
  if (probe == nullptr) return SHMON_E_ARGUMENT;
  return to_code(probe->probe.flush().status);
}

}  // extern "C"

extern "C" {

int shmon_probe_on_command(shmon_probe* probe, const char* name, const char* description,
                           shmon_command_fn fn, void* user) {
  static_assert(SHMON_COMMAND_PAYLOAD_MAX == shmon::kMaxCommandPayload);
  static_assert(SHMON_COMMAND_REPLY_MAX == shmon::kMaxCommandReply);
  if (probe == nullptr || name == nullptr || fn == nullptr) return SHMON_E_ARGUMENT;
  try {
    auto handler = [fn, user](std::string_view payload) {
      shmon::CommandResult r;
      r.payload.resize(shmon::kMaxCommandReply);
      size_t size = 0;
      const int code =
          fn(user, payload.data(), payload.size(), r.payload.data(), r.payload.size(), &size);
      r.payload.resize(std::min(size, r.payload.size()));
      r.status =
          code == SHMON_COMMAND_OK ? shmon::CommandStatus::kOk : shmon::CommandStatus::kError;
      return r;
    };
    return probe->probe.on_command(name, view(description), handler) ? SHMON_OK : SHMON_E_ARGUMENT;
  } catch (...) {
    return SHMON_E_ARGUMENT;
  }
}

int shmon_probe_on_stop(shmon_probe* probe, void (*fn)(void* user), void* user) {
  if (probe == nullptr) return SHMON_E_ARGUMENT;
  try {
    if (fn == nullptr)
      probe->probe.on_stop({});
    else
      probe->probe.on_stop([fn, user] { fn(user); });
    return SHMON_OK;
  } catch (...) {
    return SHMON_E_ARGUMENT;
  }
}

}  // extern "C"
