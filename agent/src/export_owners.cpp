// SPDX-License-Identifier: Apache-2.0
#include "export_owners.hpp"

#include "exposition.hpp"

namespace shmon::agent {

ExportOwners::Decision ExportOwners::decide(const std::string& metric, MetricKind kind,
                                            const std::string& unit) {
  const ExportName x = export_name(metric, kind, unit);
  Decision d;
  if (!x.error.empty()) return d;
  d.exported = x.base;
  auto [it, fresh] = owners_.try_emplace(x.base, metric);
  if (fresh) {
    decided_[metric] = false;
    d.outcome = Outcome::kClaimed;
    return d;
  }
  if (it->second == metric) {
    d.outcome = Outcome::kOwner;
    return d;
  }
  d.owner = it->second;
  d.outcome = Outcome::kRefused;
  d.first = decided_.try_emplace(metric, true).second;
  if (d.first) {
    ++refused_count_;
    if (refused_.size() < kMaxListed) refused_.push_back({metric, x.base, it->second});
  }
  return d;
}

}  // namespace shmon::agent
