// SPDX-License-Identifier: Apache-2.0
#include "exposition.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "shmon/labels.hpp"

namespace shmon::agent {

namespace {

struct UnitRule {
  std::string_view unit;    // as the app declared it
  std::string_view suffix;  // Prometheus base unit
  double mul;               // app value x mul / div = base-unit value (dividing keeps 1000 ns
  double div;               // exactly 1e-06 s; multiplying by 1e-9 would not)
};
// Units with a Prometheus base unit. Anything else is exported unscaled, without a suffix, and
// named in HELP.
constexpr UnitRule kUnits[] = {
    {"ns", "seconds", 1, 1e9},    {"us", "seconds", 1, 1e6},       {"\xC2\xB5s", "seconds", 1, 1e6},
    {"ms", "seconds", 1, 1e3},    {"s", "seconds", 1, 1},          {"seconds", "seconds", 1, 1},
    {"B", "bytes", 1, 1},         {"bytes", "bytes", 1, 1},        {"KiB", "bytes", 1024, 1},
    {"MiB", "bytes", 1048576, 1}, {"GiB", "bytes", 1073741824, 1}, {"kB", "bytes", 1e3, 1},
    {"MB", "bytes", 1e6, 1},      {"GB", "bytes", 1e9, 1},
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void strip_suffix(std::string& s, std::string_view suffix) {
  if (s.size() > suffix.size() && ends_with(s, suffix)) s.resize(s.size() - suffix.size());
}

// Printable ASCII only; anything else becomes '?' (HELP and label values must be UTF-8).
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return out;
}

std::string escape_help(std::string_view s, ExpositionFormat f) {
  std::string out;
  for (char c : printable(s)) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"' && f == ExpositionFormat::kOpenMetrics) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_label(std::string_view s) {
  std::string out;
  for (char c : printable(s)) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

struct Scale {
  double mul = 1, div = 1;
  double operator()(double v) const { return v * mul / div; }
};

// Writes families and samples in either format.
class Writer {
 public:
  Writer(std::string& out, ExpositionFormat f) : out_(out), f_(f) {}
  bool om() const { return f_ == ExpositionFormat::kOpenMetrics; }

  // `base` without `_total`; the 0.0.4 family of a counter is base_total.
  void family(std::string_view base, std::string_view type, std::string_view unit,
              std::string_view help) {
    const bool counter = type == "counter";
    const std::string name = counter && !om() ? std::string(base) + "_total" : std::string(base);
    out_ += fmt::format("# HELP {} {}\n", name, escape_help(help, f_));
    out_ += fmt::format("# TYPE {} {}\n", name, type);
    if (om() && !unit.empty()) out_ += fmt::format("# UNIT {} {}\n", name, unit);
  }
  void sample(std::string_view name, std::string_view labels, std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void counter(std::string_view base, std::string_view labels, std::uint64_t v) {
    sample(std::string(base) + "_total", labels, std::to_string(v));
  }
  void histogram(std::string_view base, std::string_view labels, const HistogramValue& h,
                 const Scale& scale) {
    std::string prefix(labels);
    if (!prefix.empty()) prefix += ',';
    std::uint64_t cumulative = 0;
    // The last bucket holds everything past the previous bound (histogram_buckets.hpp), so
    // its real bound is +Inf whatever the last stored bound says.
    // Bounds given at registration are padded with INT64_MAX up to the region's bucket count:
    // those, and any bound not above the previous one, are not exported (a repeated `le` would
    // be a duplicate series); their counts stay in the cumulative sum.
    std::int64_t previous = INT64_MIN;
    for (std::size_t i = 0; i + 1 < h.bounds.size() && i < h.buckets.size(); ++i) {
      cumulative += h.buckets[i];
      if (h.bounds[i] == INT64_MAX || h.bounds[i] <= previous) continue;
      previous = h.bounds[i];
      sample(std::string(base) + "_bucket",
             prefix + "le=\"" + number(scale(double(h.bounds[i]))) + "\"",
             std::to_string(cumulative));
    }
    if (!h.buckets.empty() && h.buckets.size() == h.bounds.size()) cumulative += h.buckets.back();
    // _count is the +Inf bucket: the shard cells are read one by one, so the count cell alone
    // can disagree with the buckets by an update in flight.
    sample(std::string(base) + "_bucket", prefix + "le=\"+Inf\"", std::to_string(cumulative));
    sample(std::string(base) + "_sum", labels, number(scale(double(h.sum))));
    sample(std::string(base) + "_count", labels, std::to_string(cumulative));
  }

 private:
  std::string& out_;
  ExpositionFormat f_;
};

std::string client_labels(const ClientMetricValue& c) {
  return fmt::format("client=\"{}\",slot=\"{}\"", escape_label(c.name), c.slot);
}

// The sample names a family of `kind` uses (for collision checks).
std::vector<std::string> names_of(const std::string& base, std::string_view type) {
  if (type == "counter") return {base, base + "_total", base + "_created"};
  if (type == "histogram")
    return {base, base + "_bucket", base + "_sum", base + "_count", base + "_created"};
  return {base};
}

struct OwnFamily {
  std::string_view base;
  std::string_view type;
};
// Every name the agent exports for itself, claimed before any app metric.
constexpr OwnFamily kOwnFamilies[] = {
    {"shmon_clients_connected", "gauge"},
    {"shmon_clients_attached", "counter"},
    {"shmon_clients_refused", "counter"},
    {"shmon_clients_departed", "counter"},
    {"shmon_requests", "counter"},
    {"shmon_request_errors", "counter"},
    {"shmon_torn_requests", "counter"},
    {"shmon_events_received", "counter"},
    {"shmon_events_dropped", "counter"},
    {"shmon_live_clients_events_dropped", "gauge"},
    {"shmon_bad_records", "counter"},
    {"shmon_drain_batches", "counter"},
    {"shmon_lease_revocations", "counter"},
    {"shmon_dead_owner_releases", "counter"},
    {"shmon_lock_repairs", "counter"},
    {"shmon_unattributed_interference", "counter"},
    {"shmon_metric_clashes", "counter"},
    {"shmon_series_refused", "counter"},
    {"shmon_series_refused_by_cause", "counter"},
    {"shmon_series_held", "gauge"},
    {"shmon_series_max", "gauge"},
    {"shmon_series_retired", "counter"},
    {"shmon_slot_waits", "counter"},
    {"shmon_folded_without_slot", "counter"},
    {"shmon_slot_waits_refused", "counter"},
    {"shmon_pending_dropped", "counter"},
    {"shmon_live_clients_fork_handoffs_missed", "gauge"},
    {"shmon_live_clients_label_sets_refused", "gauge"},
    {"shmon_implausible_values", "counter"},
    {"shmon_regions_dropped", "counter"},
    {"shmon_live_clients_lock_timeouts", "gauge"},
    {"shmon_live_clients_done_timeouts", "gauge"},
    {"shmon_client_mutex_wait_seconds", "histogram"},
    {"shmon_scrapes", "counter"},
    {"shmon_http_errors", "counter"},
    {"shmon_http_connections_cut", "counter"},
    {"shmon_exposition_skipped_metrics", "counter"},
    {"shmon_scrape_duration_seconds", "histogram"},
};

void render_own(Writer& w, const AgentNumbers& n, const ExporterNumbers& e) {
  const auto counter = [&](std::string_view base, std::string_view help, std::uint64_t v) {
    w.family(base, "counter", "", help);
    w.counter(base, "", v);
  };
  const auto gauge = [&](std::string_view base, std::string_view help, std::uint64_t v) {
    w.family(base, "gauge", "", help);
    w.sample(base, "", std::to_string(v));
  };
  gauge("shmon_clients_connected", "Clients attached to the agent now.", n.clients_connected);
  counter("shmon_clients_attached", "Attaches the agent accepted.", n.clients_attached);
  counter("shmon_clients_refused", "Attaches the agent refused (full, version, name, uid).",
          n.clients_refused);
  counter("shmon_clients_departed", "Clients that attached and left.", n.clients_departed);
  counter("shmon_requests", "Mailbox requests answered.", n.requests);
  counter("shmon_request_errors", "Mailbox requests answered with an error.", n.request_errors);
  counter("shmon_torn_requests", "Requests that changed while the agent copied them.",
          n.torn_requests);
  counter("shmon_events_received", "Events drained, live and departed clients.", n.events_received);
  counter("shmon_events_dropped", "Events dropped by clients, live and departed.",
          n.events_dropped);
  w.family("shmon_live_clients_events_dropped", "gauge", "",
           "Events dropped by the clients attached now, by cause.");
  static constexpr std::string_view kCauses[] = {"ring_full", "payload_too_large", "not_connected"};
  for (std::size_t k = 0; k < 3; ++k) {
    w.sample("shmon_live_clients_events_dropped", fmt::format("cause=\"{}\"", kCauses[k]),
             std::to_string(n.live_drops_by_cause[k]));
  }
  counter("shmon_bad_records", "Records or descriptors that failed validation.", n.bad_records);
  counter("shmon_drain_batches", "Batches the drain thread copied.", n.drain_batches);
  counter("shmon_lease_revocations", "Client mutex taken back from a stuck owner.",
          n.lease_revocations);
  counter("shmon_dead_owner_releases", "Client mutex released for a client that died.",
          n.dead_owner_releases);
  counter("shmon_lock_repairs", "Client mutex words released that held no valid token.",
          n.lock_repairs);
  counter("shmon_unattributed_interference",
          "Lease expiries whose holder still waited for an answer: mutex released, nobody "
          "revoked.",
          n.unattributed_interference);
  counter("shmon_metric_clashes", "Metrics refused: their name means another metric.",
          n.metric_clashes);
  counter("shmon_series_refused", "Series refused: the agent keeps --max-series series already.",
          n.series_refused);
  w.family("shmon_series_refused_by_cause", "counter", "",
           "Series refused by the --max-series rule, by cause (docs/DESIGN.md, series bound).");
  static constexpr std::string_view kSeriesCauses[] = {"full", "client_share", "reserve"};
  for (std::size_t k = 0; k < 3; ++k) {
    w.counter("shmon_series_refused_by_cause", fmt::format("cause=\"{}\"", kSeriesCauses[k]),
              n.series_refused_by[k]);
  }
  gauge("shmon_series_held", "Series the agent holds (live and departed, restored included).",
        n.series_held);
  gauge("shmon_series_max", "The --max-series bound.", n.series_max);
  counter("shmon_series_retired",
          "Series retired: no live publisher and nothing in their departed totals.",
          n.series_retired);
  counter("shmon_slot_waits", "Newcomers that waited for a free slot.", n.slot_waits);
  counter("shmon_folded_without_slot",
          "Regions folded at their process's exit without ever taking a slot.",
          n.folded_without_slot);
  counter("shmon_slot_waits_refused", "Newcomers refused at once: the wait list was full.",
          n.slot_waits_refused);
  counter("shmon_pending_dropped", "Silent connections dropped (none carried a complete request).",
          n.pending_dropped);
  gauge("shmon_live_clients_fork_handoffs_missed",
        "Forked children of the clients attached now whose region no agent took at fork time.",
        n.fork_handoffs_missed);
  gauge("shmon_live_clients_label_sets_refused",
        "Labelled registrations the clients attached now refused (bad labels or bounds).",
        n.label_sets_refused);
  counter("shmon_implausible_values", "Client values no honest client produces.",
          n.implausible_values);
  counter("shmon_regions_dropped", "Clients dropped because their region lost pages.",
          n.regions_dropped);
  gauge("shmon_live_clients_lock_timeouts",
        "Client mutex lock timeouts of the clients attached now.", n.lock_timeouts);
  gauge("shmon_live_clients_done_timeouts", "Done timeouts of the clients attached now.",
        n.done_timeouts);

  w.family("shmon_client_mutex_wait_seconds", "histogram", "seconds",
           "Client mutex waits of the clients attached now.");
  HistogramValue wait;
  for (std::size_t i = 0; i < kWaitHistBuckets; ++i) {
    wait.bounds.push_back(std::int64_t(1) << (i + 1));  // bucket i: [2^i, 2^(i+1)) ns
    wait.buckets.push_back(n.lock_wait_hist[i]);
  }
  wait.sum = std::int64_t(std::min<std::uint64_t>(n.lock_wait_total_ns, INT64_MAX));
  w.histogram("shmon_client_mutex_wait_seconds", "", wait, Scale{1, 1e9});

  counter("shmon_scrapes", "Scrapes of /metrics answered.", e.scrapes);
  counter("shmon_http_errors", "HTTP answers other than 200 on the metrics endpoint.",
          e.http_errors);
  counter("shmon_http_connections_cut",
          "HTTP connections the agent closed: too slow, or pushed out by newer ones (slowloris).",
          e.connections_cut);
  counter("shmon_exposition_skipped_metrics",
          "App metrics not exported: invalid or colliding names (each logged once).",
          e.skipped_names);
  w.family("shmon_scrape_duration_seconds", "histogram", "seconds",
           "Time to snapshot and format a scrape.");
  HistogramValue scrape;
  scrape.bounds.assign(std::begin(kScrapeBoundsNs), std::end(kScrapeBoundsNs));
  scrape.bounds.push_back(INT64_MAX);
  scrape.buckets = e.scrape_ns_buckets;
  scrape.buckets.resize(scrape.bounds.size(), 0);
  scrape.sum = std::int64_t(std::min<std::uint64_t>(e.scrape_ns_sum, INT64_MAX));
  w.histogram("shmon_scrape_duration_seconds", "", scrape, Scale{1, 1e9});
}

std::string_view type_of(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
    case MetricKind::kEvent:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string help_of(const std::string& name, const MetricAggregate& m, bool per_client) {
  std::string what;
  switch (m.kind) {
    case MetricKind::kCounter:
      what = "counter";
      break;
    case MetricKind::kEvent:
      what = "events of this type";
      break;
    case MetricKind::kGauge:
      what = "gauge";
      break;
    case MetricKind::kHistogram:
      what = "histogram";
      break;
  }
  std::string help = "shmon " + what + " '" + name + "'";
  if (!m.unit.empty()) help += " (unit " + m.unit + ")";
  if (per_client) return help + ", one series per attached client";
  return help + (m.kind == MetricKind::kGauge ? ", summed over attached clients"
                                              : ", total over all clients, live and departed");
}

}  // namespace

ExpositionFormat negotiate_format(std::string_view accept) {
  return accept.find("application/openmetrics-text") != std::string_view::npos
             ? ExpositionFormat::kOpenMetrics
             : ExpositionFormat::kText004;
}

const char* content_type(ExpositionFormat format) {
  return format == ExpositionFormat::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

ExportName export_name(std::string_view name, MetricKind kind, std::string_view unit) {
  ExportName out;
  if (name.empty()) {
    out.error = "the name is empty";
    return out;
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '_') {
      out.base += c;
    } else if (u > 0x20 && u < 0x7f) {
      out.base += '_';  // '.', '-', '/', ':' and other punctuation
    } else {
      out.error = fmt::format("byte 0x{:02x} has no Prometheus spelling", u);
      return out;
    }
  }
  if (std::isdigit(static_cast<unsigned char>(out.base[0])) != 0) {
    out.error = "a Prometheus name cannot start with a digit";
    return out;
  }
  if (out.base.starts_with("__")) {
    out.error = "names starting with '__' are reserved by Prometheus";
    return out;
  }
  if (kind == MetricKind::kCounter) strip_suffix(out.base, "_total");
  for (const UnitRule& r : kUnits) {
    if (r.unit != unit) continue;
    out.unit = r.suffix;
    out.mul = r.mul;
    out.div = r.div;
    // "latency_ns" in ns becomes latency_seconds, not latency_ns_seconds.
    std::string unit_token = "_";
    for (char c : r.unit) unit_token += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    strip_suffix(out.base, unit_token);
    if (!ends_with(out.base, "_" + out.unit)) out.base += "_" + out.unit;
    break;
  }
  if (kind == MetricKind::kEvent) out.base += "_events";
  return out;
}

Exposition::Exposition() {
  for (const OwnFamily& f : kOwnFamilies) {
    for (const std::string& n : names_of(std::string(f.base), f.type)) claims_[n] = "";
  }
}

bool Exposition::claim(const std::string& owner, const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    auto it = claims_.find(n);
    if (it != claims_.end() && it->second != owner) return false;
  }
  for (const std::string& n : names) claims_[n] = owner;
  return true;
}

std::string Exposition::render(const MetricsSnapshot& snap, ExpositionFormat format,
                               bool per_client, const ExporterNumbers& own,
                               std::vector<std::string>* newly_skipped) {
  // App metrics first (into their own buffer), so that names skipped by this very scrape are
  // already in the agent's count it exports.
  std::string apps;
  apps.reserve(snap.metrics.size() * (per_client ? 512 : 160));
  Writer w(apps, format);
  std::uint64_t skipped = 0;
  // Every series of one metric name is one family, written together: snapshot keys are series
  // keys (name{labels}), whose sort order can interleave families ("a{x}" sorts after "a.b").
  std::map<std::string_view, std::vector<const std::pair<const std::string, MetricAggregate>*>>
      families;
  for (const auto& entry : snap.metrics)
    families[split_series_key(entry.first).metric].push_back(&entry);
  // The owners of their exported names claim first (export_owners.hpp), so that no other
  // family can take one of their sample names by sorting earlier.
  const auto owns = [&](std::string_view name, const MetricAggregate& first) {
    const ExportName x = export_name(name, first.kind, first.unit);
    auto it = snap.export_owners.find(x.base);
    return x.error.empty() && it != snap.export_owners.end() && it->second == name;
  };
  std::vector<const decltype(families)::value_type*> order;
  for (const auto& f : families) {
    if (owns(f.first, f.second.front()->second)) order.push_back(&f);
  }
  for (const auto& f : families) {
    if (!owns(f.first, f.second.front()->second)) order.push_back(&f);
  }
  std::unique_lock lock(mu_);
  for (const auto* family : order) {
    const auto& [name_view, series] = *family;
    const std::string name(name_view);
    // Identities hold kind and unit for every label set of a name (metric_identity.hpp).
    const MetricAggregate& first = series.front()->second;
    const ExportName x = export_name(name, first.kind, first.unit);
    const Scale scale{x.mul, x.div};
    const std::string_view type = type_of(first.kind);
    std::string why = x.error;
    if (auto owner = snap.export_owners.find(x.base);
        why.empty() && owner != snap.export_owners.end() && owner->second != name) {
      // Refused when its family was defined: logged and listed there (export_owners.hpp); counted
      // among the skipped names here.
      if (reported_.insert(name).second) ++skipped;
      continue;
    }
    if (why.empty()) {
      std::vector<std::string> names = names_of(x.base, type);
      if (per_client) {
        for (std::string& n : names_of(x.base + "_by_client", type)) names.push_back(n);
      }
      if (!claim(name, names)) {
        why = fmt::format("its exported name {} is taken by another metric", x.base);
      }
    }
    if (!why.empty()) {
      if (reported_.insert(name).second) {
        ++skipped;
        if (newly_skipped != nullptr)
          newly_skipped->push_back(
              fmt::format("metric '{}' is not exported to Prometheus: {}", printable(name), why));
      }
      continue;
    }
    w.family(x.base, type, x.unit, help_of(name, first, false));
    // Event types are exported by level (their level series, layout.hpp); the type's own series
    // is their sum, so exporting it too would count every event twice in sum(). What the levels
    // do not account for (totals kept from before event levels existed) is level="unknown".
    std::uint64_t level_sum = 0, type_total = 0;
    bool by_level = false;
    for (const auto* entry : series) {
      if (entry->second.kind != MetricKind::kEvent) continue;
      if (split_series_key(entry->first).labels.empty()) {
        type_total += entry->second.total;
      } else {
        by_level = true;
        level_sum += entry->second.total;
      }
    }
    const auto is_levels_sum = [&](const auto* entry) {
      return by_level && split_series_key(entry->first).labels.empty();
    };
    if (by_level && type_total > level_sum) {
      w.counter(x.base, "level=\"unknown\"", type_total - level_sum);
    }
    for (const auto* entry : series) {
      if (is_levels_sum(entry)) continue;
      const MetricAggregate& m = entry->second;
      const std::string labels(split_series_key(entry->first).labels);
      switch (m.kind) {
        case MetricKind::kCounter:
        case MetricKind::kEvent:
          w.counter(x.base, labels, m.total);
          break;
        case MetricKind::kGauge:
          w.sample(x.base, labels, number(scale(m.gauge_total)));
          break;
        case MetricKind::kHistogram:
          w.histogram(x.base, labels, m.hist, scale);
          break;
      }
    }
    if (!per_client) continue;
    const std::string by = x.base + "_by_client";
    w.family(by, type, x.unit, help_of(name, first, true));
    for (const auto* entry : series) {
      if (is_levels_sum(entry)) continue;
      const MetricAggregate& m = entry->second;
      const std::string_view app_labels = split_series_key(entry->first).labels;
      std::set<std::uint32_t> slots;  // one series per client, even if it repeats a name
      for (const ClientMetricValue& c : m.clients) {
        if (!slots.insert(c.slot).second) continue;
        std::string labels = client_labels(c);
        if (!app_labels.empty()) labels = std::string(app_labels) + "," + labels;
        switch (m.kind) {
          case MetricKind::kCounter:
          case MetricKind::kEvent:
            w.counter(by, labels, std::uint64_t(c.value));
            break;
          case MetricKind::kGauge:
            w.sample(by, labels, number(scale(c.value)));
            break;
          case MetricKind::kHistogram:
            w.histogram(by, labels, c.hist, scale);
            break;
        }
      }
    }
  }
  lock.unlock();
  std::string out;
  out.reserve(8192 + apps.size());
  Writer own_writer(out, format);
  ExporterNumbers numbers = own;
  numbers.skipped_names += skipped;
  render_own(own_writer, snap.agent, numbers);
  out += apps;
  if (format == ExpositionFormat::kOpenMetrics) out += "# EOF\n";
  return out;
}

}  // namespace shmon::agent
