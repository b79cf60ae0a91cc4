// SPDX-License-Identifier: Apache-2.0
// Time series the agent does not keep for us: per-interval mutex waits (total and per client),
// lease revocations and dead-owner releases as marked moments, and timeouts as discrete events.
// They are derived from the differences between two successive query answers.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "model.hpp"

namespace shmon::inspector {

struct WaitPoint {
  double t = 0;                // seconds since the inspector started
  double p99_ns = 0;           // over this interval, from the histogram difference
  double mean_ns = 0;          // over this interval
  std::uint64_t acquired = 0;  // acquisitions in this interval
};

struct MutexMark {
  double t = 0;
  std::uint64_t wall_ns = 0;
  bool revocation = false;  // else: dead-owner release
  std::uint64_t count = 0;
};

struct TimeoutEvent {
  double t = 0;
  std::uint64_t wall_ns = 0;
  std::string client;
  std::int64_t pid = 0;
  bool lock = true;  // lock wait, else Done wait
  std::uint64_t count = 0;
  double interval_s = 0;  // the timeout happened within this long before `t`
};

struct ClientWaits {
  std::string name;
  std::int64_t pid = 0;
  std::deque<WaitPoint> points;
};

// Percentile of a log2 wait histogram (ns), interpolated inside the bucket holding it
// (shmon/wait_histogram.hpp). Interval differences have no maximum to clamp to.
double hist_percentile(const WaitHist& hist, double q);

class Deriver {
 public:
  static constexpr double kWindowS = 600;
  static constexpr std::size_t kMaxTimeouts = 2000;

  void reset();  // a new agent generation: cumulative values restart from zero
  void feed(double t, std::uint64_t wall_ns, const AgentStatus& status,
            const std::vector<ClientInfo>& clients);

  const std::deque<WaitPoint>& total() const { return total_; }
  const std::map<std::string, ClientWaits>& per_client() const { return per_client_; }
  const std::deque<MutexMark>& marks() const { return marks_; }
  const std::deque<TimeoutEvent>& timeouts() const { return timeouts_; }

 private:
  struct Prev {
    ClientMutex mutex;
    std::uint64_t lock_timeouts = 0, done_timeouts = 0;
    double t = 0;
  };
  static WaitPoint interval(double t, const WaitHist& now, const WaitHist& before,
                            std::uint64_t wait_ns_delta, std::uint64_t acquired_delta);
  void trim(double t);

  bool have_prev_ = false;
  double prev_t_ = 0;
  AgentStatus prev_status_;
  std::map<std::string, Prev> prev_clients_;
  std::deque<WaitPoint> total_;
  std::map<std::string, ClientWaits> per_client_;
  std::deque<MutexMark> marks_;
  std::deque<TimeoutEvent> timeouts_;
};

}  // namespace shmon::inspector
