// SPDX-License-Identifier: Apache-2.0
#include "value_snapshots.hpp"

#include <chrono>

#include "shmon/clock.hpp"

namespace shmon::agent {

namespace {

constexpr std::uint64_t kIdlePollNs = 100'000'000;  // how soon a new big client is noticed
constexpr std::uint64_t kRestPerReadNs = 3;         // rest 3 ns per ns spent reading

std::shared_ptr<const ValueSnapshot> read_snapshot(Client& c, std::string_view only) {
  auto s = std::make_shared<ValueSnapshot>();
  s->read_ns = monotonic_ns();
  s->values = c.read_values(only);
  return s;
}

}  // namespace

bool is_big(Client& c) {
  c.refresh_descriptors();  // copies only what is new
  return c.read_cost() > kLiveReadCells;
}

ClientValues bounded_values(Client& c, std::string_view only) {
  if (!only.empty() || !is_big(c)) return {read_snapshot(c, only), false};
  if (auto s = c.snapshot()) return {std::move(s), true};
  auto first = read_snapshot(c, {});
  c.keep_snapshot(first);
  return {std::move(first), false};
}

void SnapshotThread::start() {
  thread_ = std::thread([this] { run(); });
}

void SnapshotThread::wake() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

void SnapshotThread::join() {
  if (thread_.joinable()) thread_.join();
}

void SnapshotThread::run() {
  while (!ctx_.stop.load()) {
    const std::uint64_t spent = refresh_one();
    const std::uint64_t rest = spent > 0 ? spent * kRestPerReadNs : kIdlePollNs;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::nanoseconds(rest), [&] { return ctx_.stop.load(); });
  }
}

std::uint64_t SnapshotThread::refresh_one() {
  std::vector<std::shared_ptr<Client>> clients;
  {
    std::lock_guard lock(ctx_.mu);
    clients = ctx_.live_clients();
  }
  const std::uint64_t now = monotonic_ns();
  std::shared_ptr<Client> due;
  std::uint64_t due_read_ns = 0;
  for (const auto& c : clients) {
    // A region that lost pages is being dropped: reading it would fault the holes back in.
    if (!c->serving() || c->region_lost.load(std::memory_order_acquire) || !is_big(*c)) continue;
    const auto s = c->snapshot();
    const std::uint64_t read_ns = s ? s->read_ns : 0;
    if (s && now - read_ns < kSnapshotPeriodNs) continue;
    if (!due || read_ns < due_read_ns) {
      due = c;
      due_read_ns = read_ns;
    }
  }
  if (!due) return 0;
  due->keep_snapshot(read_snapshot(*due, {}));
  return std::max<std::uint64_t>(monotonic_ns() - now, 1);
}

}  // namespace shmon::agent
