// SPDX-License-Identifier: Apache-2.0
#include "derived.hpp"

#include "shmon/wait_histogram.hpp"

namespace shmon::inspector {

double hist_percentile(const WaitHist& hist, double q) {
  return wait_percentile_ns(hist, q);
}

void Deriver::reset() {
  have_prev_ = false;
  prev_clients_.clear();
}

WaitPoint Deriver::interval(double t, const WaitHist& now, const WaitHist& before,
                            std::uint64_t wait_ns_delta, std::uint64_t acquired_delta) {
  WaitHist diff{};
  for (std::size_t i = 0; i < diff.size(); ++i)
    diff[i] = now[i] >= before[i] ? now[i] - before[i] : 0;
  WaitPoint p;
  p.t = t;
  p.acquired = acquired_delta;
  p.p99_ns = hist_percentile(diff, 0.99);
  p.mean_ns = acquired_delta ? double(wait_ns_delta) / double(acquired_delta) : 0;
  return p;
}

void Deriver::feed(double t, std::uint64_t wall_ns, const AgentStatus& s,
                   const std::vector<ClientInfo>& clients) {
  auto delta = [](std::uint64_t now, std::uint64_t before) {
    return now >= before ? now - before : 0;
  };
  if (have_prev_) {
    const AgentMutex& a = s.mutex;
    const AgentMutex& b = prev_status_.mutex;
    // The agent's status has no cumulative wait total: the mean comes from the histogram.
    WaitPoint p = interval(t, a.hist, b.hist, 0, delta(a.acquired, b.acquired));
    WaitHist diff{};
    double sum = 0;
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < diff.size(); ++i) {
      const auto d = delta(a.hist[i], b.hist[i]);
      sum += double(d) * (wait_bucket_lower_ns(i) + wait_bucket_upper_ns(i)) / 2;
      n += d;
    }
    p.mean_ns = n ? sum / double(n) : 0;
    total_.push_back(p);
    if (auto d = delta(s.lease_revocations, prev_status_.lease_revocations)) {
      marks_.push_back({t, wall_ns, true, d});
    }
    if (auto d = delta(s.dead_owner_releases, prev_status_.dead_owner_releases)) {
      marks_.push_back({t, wall_ns, false, d});
    }
  }
  std::map<std::string, Prev> next;
  for (const ClientInfo& c : clients) {
    const std::string key = c.key();
    Prev now{c.mutex, c.lock_timeouts, c.done_timeouts, t};
    auto it = prev_clients_.find(key);
    ClientWaits& w = per_client_[key];
    w.name = c.name;
    w.pid = c.pid;
    if (it != prev_clients_.end()) {
      const Prev& b = it->second;
      w.points.push_back(interval(t, c.mutex.hist, b.mutex.hist,
                                  delta(c.mutex.wait_total_ns, b.mutex.wait_total_ns),
                                  delta(c.mutex.acquired, b.mutex.acquired)));
      if (auto d = delta(c.lock_timeouts, b.lock_timeouts)) {
        timeouts_.push_back({t, wall_ns, c.name, c.pid, true, d, t - b.t});
      }
      if (auto d = delta(c.done_timeouts, b.done_timeouts)) {
        timeouts_.push_back({t, wall_ns, c.name, c.pid, false, d, t - b.t});
      }
    } else if (have_prev_ && (c.lock_timeouts || c.done_timeouts)) {
      // A client seen for the first time: its earlier timeouts happened before we watched.
    }
    next.emplace(key, now);
  }
  prev_clients_ = std::move(next);
  prev_status_ = s;
  prev_t_ = t;
  have_prev_ = true;
  trim(t);
}

void Deriver::trim(double t) {
  const double horizon = t - kWindowS;
  while (!total_.empty() && total_.front().t < horizon) total_.pop_front();
  while (!marks_.empty() && marks_.front().t < horizon) marks_.pop_front();
  while (timeouts_.size() > kMaxTimeouts) timeouts_.pop_front();
  for (auto it = per_client_.begin(); it != per_client_.end();) {
    auto& pts = it->second.points;
    while (!pts.empty() && pts.front().t < horizon) pts.pop_front();
    // Forget departed clients once their series has scrolled out of the window.
    if (pts.empty() && !prev_clients_.count(it->first)) {
      it = per_client_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace shmon::inspector
