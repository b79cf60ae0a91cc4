// SPDX-License-Identifier: Apache-2.0
// Who owns each exported Prometheus name (docs/PROMETHEUS.md, "Name ownership"). Several app
// metric names can map to one exported name (http_requests and http-requests); the first metric
// this state defined keeps it for the life of the state, restarts included: ownership is decided
// when the agent first defines a metric family (metric_identity.cpp), saved in the state store
// before anything can be scraped, and restored at start. Any other metric that maps to the name
// is refused for export only (its totals stay in queries), counted, listed in status and logged
// once per agent run.
// Threads: REQUIRES ctx.mu for every call (admission and snapshots hold it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "client.hpp"

namespace shmon::agent {

class ExportOwners {
 public:
  static constexpr std::size_t kMaxListed = 64;

  struct Refused {
    std::string metric, exported, owner;
  };
  enum class Outcome {
    kUnexported,  // the name cannot be exported at all (the exposition says why)
    kOwner,       // `metric` owned its exported name already
    kClaimed,     // `metric` is the first to map to its exported name: the caller persists it
    kRefused,     // another metric owns the name: the caller logs it (once) and counts it
  };
  struct Decision {
    Outcome outcome = Outcome::kUnexported;
    std::string exported;  // the family name (ExportName::base)
    std::string owner;     // kRefused: who owns it
    bool first = false;    // kRefused: the first refusal of this metric in this run
  };

  // Owners as the state store kept them (exported name -> app metric name).
  void restore(std::map<std::string, std::string> owners) { owners_ = std::move(owners); }
  // Decides the exported name of metric family `metric`. A metric decided before (in this run)
  // gets the same answer.
  Decision decide(const std::string& metric, MetricKind kind, const std::string& unit);
  const std::map<std::string, std::string>& owners() const { return owners_; }
  // Metrics refused so far in this run (the first kMaxListed) and how many in all.
  const std::vector<Refused>& refused() const { return refused_; }
  std::uint64_t refused_count() const { return refused_count_; }

 private:
  std::map<std::string, std::string> owners_;
  std::map<std::string, bool> decided_;  // metric -> refused (each is counted and logged once)
  std::vector<Refused> refused_;
  std::uint64_t refused_count_ = 0;
};

}  // namespace shmon::agent
