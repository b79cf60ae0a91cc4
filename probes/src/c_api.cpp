// The C API (probe.h): opaque heap handles owned by the probe and freed by shmon_probe_close().
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
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
  }
  return SHMON_E_AGENT;
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

}  // namespace

extern "C" {

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
  if (probe == nullptr) return nullptr;
  return keep(probe, probe->counters, name,
              [&](std::string_view n) { return probe->probe.counter(n); });
}

void shmon_counter_add(shmon_counter* counter, uint64_t delta) {
  if (counter != nullptr) counter->handle.add(delta);
}

shmon_gauge* shmon_gauge_get(shmon_probe* probe, const char* name) {
  if (probe == nullptr) return nullptr;
  return keep(probe, probe->gauges, name,
              [&](std::string_view n) { return probe->probe.gauge(n); });
}

void shmon_gauge_set(shmon_gauge* gauge, double value) {
  if (gauge != nullptr) gauge->handle.set(value);
}

shmon_histogram* shmon_histogram_get(shmon_probe* probe, const char* name) {
  if (probe == nullptr) return nullptr;
  return keep(probe, probe->histograms, name,
              [&](std::string_view n) { return probe->probe.histogram(n); });
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
