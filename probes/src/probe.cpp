// SPDX-License-Identifier: Apache-2.0
// shmon::Probe and the metric handles: thin wrappers over ProbeCore and the inline fast paths.
#include "shmon/probe.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "events.hpp"
#include "fast_path.hpp"
#include "probe_core.hpp"
#include "probe_testing.hpp"
#include "shmon/client/call.hpp"
#include "shmon/clock.hpp"
#include "shmon/names.hpp"

namespace shmon {

// Same values in the same order as the client library's (checked in session.cpp): one wording.
const char* to_string(CallStatus status) {
  return client::to_string(client::CallStatus(int(status)));
}

const char* to_string(ConnectionState state) {
  switch (state) {
    case ConnectionState::kDisconnected:
      return "disconnected";
    case ConnectionState::kConnected:
      return "connected";
    case ConnectionState::kRefusedFull:
      return "refused (agent full)";
    case ConnectionState::kRefused:
      return "refused";
  }
  return "unknown";
}

std::string name_problem(NameKind kind, std::string_view name) {
  std::optional<std::string> problem;
  switch (kind) {
    case NameKind::kInstance:
      problem = check_instance_name(name);
      break;
    case NameKind::kClient:
      problem = check_client_name(name);
      break;
    case NameKind::kMetric:
      problem = check_metric_name(name);
      break;
    case NameKind::kCommand:
      problem = check_command_name(name);
      break;
  }
  return problem.value_or(std::string());
}

void Counter::add(std::uint64_t delta) noexcept {
  if (core_ != nullptr) [[likely]]
    detail::counter_add(*core_, index_, delta);
}

void Gauge::set(double value) noexcept {
  if (core_ != nullptr) [[likely]]
    detail::gauge_set(*core_, index_, value);
}

void Histogram::record(std::int64_t value) noexcept {
  if (core_ != nullptr) [[likely]]
    detail::histogram_record(*core_, histogram_, value);
}

Probe::Probe(ProbeOptions options) : core_(std::make_unique<detail::ProbeCore>(options)) {}

Probe::~Probe() = default;

namespace {

std::uint32_t register_or_none(detail::ProbeCore& core, std::string_view name, MetricKind kind,
                               std::string_view unit, std::span<const std::int64_t> bounds,
                               std::uint32_t* histogram, std::span<const Label> labels = {}) {
  try {
    return core.register_metric(name, kind, unit, bounds, histogram, labels);
  } catch (...) {
    return detail::ProbeCore::kNoMetric;
  }
}

std::span<const Label> as_span(std::initializer_list<Label> labels) {
  return {labels.begin(), labels.size()};
}

}  // namespace

Counter Probe::counter(std::string_view name, std::string_view unit) {
  return counter(name, std::span<const Label>{}, unit);
}
Counter Probe::counter(std::string_view name, std::initializer_list<Label> labels,
                       std::string_view unit) {
  return counter(name, as_span(labels), unit);
}
Counter Probe::counter(std::string_view name, std::span<const Label> labels,
                       std::string_view unit) {
  const auto i = register_or_none(*core_, name, MetricKind::kCounter, unit, {}, nullptr, labels);
  return i == detail::ProbeCore::kNoMetric ? Counter() : Counter(core_.get(), i);
}

Gauge Probe::gauge(std::string_view name, std::string_view unit) {
  return gauge(name, std::span<const Label>{}, unit);
}
Gauge Probe::gauge(std::string_view name, std::initializer_list<Label> labels,
                   std::string_view unit) {
  return gauge(name, as_span(labels), unit);
}
Gauge Probe::gauge(std::string_view name, std::span<const Label> labels, std::string_view unit) {
  const auto i = register_or_none(*core_, name, MetricKind::kGauge, unit, {}, nullptr, labels);
  return i == detail::ProbeCore::kNoMetric ? Gauge() : Gauge(core_.get(), i);
}

Histogram Probe::histogram(std::string_view name, std::span<const std::int64_t> upper_bounds,
                           std::string_view unit) {
  return histogram(name, std::span<const Label>{}, upper_bounds, unit);
}
Histogram Probe::histogram(std::string_view name, std::initializer_list<Label> labels,
                           std::span<const std::int64_t> upper_bounds, std::string_view unit) {
  return histogram(name, as_span(labels), upper_bounds, unit);
}
Histogram Probe::histogram(std::string_view name, std::span<const Label> labels,
                           std::span<const std::int64_t> upper_bounds, std::string_view unit) {
  std::uint32_t h = 0;
  const auto i =
      register_or_none(*core_, name, MetricKind::kHistogram, unit, upper_bounds, &h, labels);
  return i == detail::ProbeCore::kNoMetric ? Histogram() : Histogram(core_.get(), i, h);
}

EventType Probe::event_type(std::string_view name) {
  const auto i = register_or_none(*core_, name, MetricKind::kEvent, {}, {}, nullptr);
  return i == detail::ProbeCore::kNoMetric ? EventType() : EventType(core_.get(), i);
}

bool Probe::emit(EventType type, EventLevel level, std::string_view text) noexcept {
  if (type.core_ != core_.get() || type.core_ == nullptr) return false;
  return detail::emit_event(*core_, type.index_, level, PayloadKind::kText, text.data(),
                            text.size());
}

bool Probe::emit_bytes(EventType type, EventLevel level,
                       std::span<const std::uint8_t> bytes) noexcept {
  if (type.core_ != core_.get() || type.core_ == nullptr) return false;
  return detail::emit_event(*core_, type.index_, level, PayloadKind::kBytes, bytes.data(),
                            bytes.size());
}

PingResult Probe::ping() noexcept {
  std::unique_lock<detail::TimedMutex> lock;
  if (auto st = core_->begin_call(lock); st != CallStatus::kOk) return {st, 0};
  PingBody body{monotonic_ns(), 0};
  detail::ProbeCore::Reply reply;
  const CallStatus st =
      core_->session_locked(RequestType::kPing, std::as_bytes(std::span(&body, 1)), reply);
  return {st, st == CallStatus::kOk ? monotonic_ns() - body.client_ns : 0};
}

FlushResult Probe::flush() noexcept {
  FlushResult out{CallStatus::kNotConnected, 0, 0, 0};
  std::unique_lock<detail::TimedMutex> lock;
  if (out.status = core_->begin_call(lock); out.status != CallStatus::kOk) return out;
  detail::ProbeCore::Reply reply;
  out.status = core_->session_locked(RequestType::kFlush, {}, reply);
  if (out.status == CallStatus::kOk || out.status == CallStatus::kNotDurable) {
    FlushReply r{};
    std::memcpy(&r, core_->response.data(), std::min<std::size_t>(reply.body_size, sizeof(r)));
    out.events_written = r.events_written;
    out.events_received = r.events_received;
    out.submitted_records = r.submitted_records;
  }
  return out;
}

// A test hook (probe_testing.hpp): the mailbox's kSubmit takes wire records, so it is not API.
CallStatus testing::submit(Probe& probe, std::span<const SubmitRecord> records,
                           SubmitReply* reply) noexcept {
  detail::ProbeCore* const core_ = detail::ProbeAccess::core(probe);
  SubmitReply total{0, 0};
  std::unique_lock<detail::TimedMutex> lock;
  if (auto st = core_->begin_call(lock); st != CallStatus::kOk) return st;
  // One session per batch that fits the request buffer.
  alignas(8) std::byte body[kRequestBodyCapacity];
  std::size_t done = 0;
  do {
    const std::size_t n = std::min<std::size_t>(records.size() - done, kMaxSubmitRecords);
    const SubmitHeader h{std::uint32_t(n), 0};
    std::memcpy(body, &h, sizeof(h));
    if (n > 0) std::memcpy(body + sizeof(h), records.data() + done, n * sizeof(SubmitRecord));
    detail::ProbeCore::Reply r;
    const CallStatus st = core_->session_locked(
        RequestType::kSubmit, std::span(body, sizeof(h) + n * sizeof(SubmitRecord)), r);
    if (st != CallStatus::kOk) {
      if (reply != nullptr) *reply = total;
      return st;
    }
    SubmitReply part{0, 0};
    std::memcpy(&part, core_->response.data(), std::min<std::size_t>(r.body_size, sizeof(part)));
    total.accepted += part.accepted;
    total.rejected += part.rejected;
    done += n;
  } while (done < records.size());
  if (reply != nullptr) *reply = total;
  return CallStatus::kOk;
}

QueryResult Probe::query(QueryKind kind, std::string_view filter, std::uint64_t cursor) {
  QueryResult out{CallStatus::kOk, {}};
  // Each page is its own call: other threads' calls may run between pages.
  const auto page = [&](std::span<const std::byte> body, client::Reply& reply,
                        std::span<const std::byte>& got) {
    std::unique_lock<detail::TimedMutex> lock;
    if (auto st = core_->begin_call(lock); st != CallStatus::kOk) return client::CallStatus(st);
    const CallStatus st = core_->session_locked(RequestType::kQuery, body, reply);
    got = std::span<const std::byte>(core_->response.data(), reply.body_size);
    return client::CallStatus(st);
  };
  try {
    out.status = CallStatus(client::query_pages(kind, filter, cursor, page, out.json));
  } catch (...) {
    return {CallStatus::kNotConnected, {}};
  }
  if (out.status != CallStatus::kOk) out.json.clear();
  return out;
}

bool Probe::poll() noexcept {
  core_->ensure_connector();
  if (!core_->opts.background_connect && !core_->connected.load()) {
    std::unique_lock lk(core_->call_mutex, std::try_to_lock);
    if (lk.owns_lock() && !core_->connected.load() && core_->attach_due_locked()) {
      try {
        core_->note_attach_outcome_locked(core_->attach_locked());
      } catch (...) {
      }
    }
  }
  if (!core_->opts.background_connect) {
    // No connector thread: the command channel is served here. Two loads when nothing waits.
    UniqueFd notify;
    if (core_->command_pending()) {
      std::unique_lock lk(core_->call_mutex, std::try_to_lock);
      if (lk.owns_lock() && core_->connected.load() && core_->session.sock) {
        notify.reset(::fcntl(core_->session.sock.get(), F_DUPFD_CLOEXEC, 0));
        char buf[256];  // the agent's wake-up bytes, read so they do not pile up
        while (::recv(notify.get(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
        }
      }
    }
    core_->serve_commands(notify.get());
  }
  return connected();
}

bool Probe::on_command(std::string_view name, std::string_view description,
                       CommandHandler handler) {
  try {
    return core_->commands.add(name, description, std::move(handler));
  } catch (...) {
    return false;
  }
}

void Probe::on_stop(std::function<void()> handler) {
  try {
    core_->commands.set_stop(std::move(handler));
  } catch (...) {
  }
}

bool Probe::connected() const noexcept {
  return core_->connected.load(std::memory_order_acquire);
}

ConnectionState Probe::state() const noexcept {
  return core_->state.load();
}

bool Probe::wait_connected(std::uint32_t timeout_ms) noexcept {
  const std::uint64_t deadline = deadline_after_ms(timeout_ms);
  for (;;) {
    if (poll()) return true;
    if (monotonic_ns() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string Probe::last_error() const {
  return core_->error();
}

ClientStatsSnapshot Probe::stats() const noexcept {
  if (core_->header == nullptr) return ClientStatsSnapshot{};
  return snapshot(core_->header->stats);
}

const std::string& Probe::instance() const {
  return core_->opts.instance;
}
const std::string& Probe::name() const {
  return core_->opts.name;
}

std::uint32_t Probe::slot() const noexcept {
  return core_->public_slot.load(std::memory_order_relaxed);
}

}  // namespace shmon
