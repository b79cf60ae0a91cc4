// SPDX-License-Identifier: Apache-2.0
// shmon_bench_report --gbench FILE... --driver FILE...
// Reads Google Benchmark JSON (every repetition) and shmon_bench_driver JSON (one per run),
// takes medians over repetitions/runs, computes ratios against the baselines of the same run and
// prints one Markdown table with the targets and whether each was met.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "report_table.hpp"

namespace shmon::bench {
namespace {

using Json = nlohmann::json;

struct Sources {
  std::map<std::string, std::vector<Json>> gbench;  // run_name -> repetitions
  std::vector<Json> driver;

  std::vector<double> gb(const std::string& run, const std::string& field) const {
    std::vector<double> out;
    if (auto it = gbench.find(run); it != gbench.end()) {
      for (const Json& e : it->second) {
        if (e.contains(field) && e[field].is_number()) out.push_back(e[field].get<double>());
      }
    }
    return out;
  }
  std::vector<double> dr(const std::string& pointer) const {
    std::vector<double> out;
    for (const Json& d : driver) {
      const Json::json_pointer p(pointer);
      if (d.contains(p) && d[p].is_number()) out.push_back(d[p].get<double>());
    }
    return out;
  }
};

// Google Benchmark writes NaN and inf (e.g. the cv of a counter that is always 0): not JSON.
bool load(const std::string& path, Json& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  static const std::regex non_finite(R"((:\s*)-?(nan|NaN|inf|Infinity)\b)");
  try {
    out = Json::parse(std::regex_replace(text.str(), non_finite, "$1null"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "report: %s: %s\n", path.c_str(), e.what());
    return false;
  }
  return true;
}

constexpr const char* kNa = "n/a";

// A "lower is better" row against an upper bound (0 = no target).
Row at_most(const std::string& metric, const std::vector<double>& v, double bound,
            std::string (*fmt)(double), const std::string& note = "") {
  const auto m = median(v);
  Row r{metric, m ? fmt(*m) : kNa, spread(v), bound > 0 ? "≤ " + fmt(bound) : "", "", note};
  if (bound > 0 && m) {
    r.verdict = *m <= bound ? "met" : "MISSED (" + format_number(*m / bound, 1) + "× the target)";
  }
  return r;
}

// A "higher is better" row against a lower bound (0 = no target).
Row at_least(const std::string& metric, const std::vector<double>& v, double bound,
             std::string (*fmt)(double), const std::string& note = "") {
  const auto m = median(v);
  Row r{metric, m ? fmt(*m) : kNa, spread(v), bound > 0 ? "≥ " + fmt(bound) : "", "", note};
  if (bound > 0 && m) {
    r.verdict =
        *m >= bound ? "met" : "MISSED (" + format_number(100.0 * *m / bound, 0) + "% of target)";
  }
  return r;
}

std::string times(double v) {
  return format_number(v, v < 10 ? 1 : 0) + "×";
}
std::string plain(double v) {
  return format_number(v, 0);
}
std::string pct(double v) {
  return format_number(v, 2) + " %";
}
std::string ratio3(double v) {
  return format_number(v, 3);
}
std::string kib(double v) {
  return format_bytes(v * 1024);
}

// Ratio of two medians (baseline / shmon): how many times cheaper or faster shmon is.
std::vector<double> ratio(const std::vector<double>& baseline, const std::vector<double>& ours) {
  const auto b = median(baseline), o = median(ours);
  if (!b || !o || *o == 0) return {};
  return {*b / *o};
}

void probe_rows(const Sources& s, Table& t) {
  t.section("Probe update cost (ns per operation per thread; agent attached and draining)");
  const auto name = [](const char* bm, int threads) {
    return std::string(bm) + "/real_time/threads:" + std::to_string(threads);
  };
  struct Op {
    const char* bm;
    const char* label;
    double target;
  };
  for (const Op& op :
       {Op{"BM_CounterAdd", "counter add", 2}, Op{"BM_GaugeSet", "gauge set", 2},
        Op{"BM_HistogramRecord", "histogram record", 5}, Op{"BM_EventEmit", "event emit", 20}}) {
    for (int threads : {1, 2}) {
      std::string note;
      if (std::string(op.bm) == "BM_EventEmit") {
        const auto d = median(s.gb(name(op.bm, threads), "dropped_pct"));
        note = d ? format_number(*d, 2) + " % found the ring full (dropped)" : "";
      }
      t.add(at_most(std::string(op.label) + ", " + std::to_string(threads) + " thread" +
                        (threads > 1 ? "s (same metric)" : ""),
                    s.gb(name(op.bm, threads), "ns_per_op"), op.target, format_ns, note));
    }
  }
  for (int threads : {1, 2}) {
    const std::string bm = "BM_EventEmitWritten/manual_time/threads:" + std::to_string(threads);
    const auto d = median(s.gb(bm, "dropped_pct"));
    t.add(at_most("event emit, accepted (burst of 1024 into a drained ring), " +
                      std::to_string(threads) + " thread" + (threads > 1 ? "s" : ""),
                  s.gb(bm, "ns_per_op"), 20, format_ns,
                  d && *d > 0 ? format_number(*d, 2) + " % dropped" : ""));
  }
  t.add(at_most("reference: locked add, private line",
                s.gb("BM_RefAtomicAdd/0/real_time/threads:1", "ns_per_op"), 0, format_ns));
  t.add(at_most("reference: locked add, line shared by 2 threads",
                s.gb("BM_RefAtomicAdd/1/real_time/threads:2", "ns_per_op"), 0, format_ns));

  t.section("Baselines, producer cost per event (same run)");
  const auto emit = s.gb(name("BM_EventEmit", 1), "ns_per_op");
  const auto seed = s.gb(name("BM_SeedSubmitOneRecord", 1), "ns_per_op");
  const auto statsd = s.gb(name("BM_StatsdLine", 1), "ns_per_op");
  t.add(at_most("seed handshake: Probe::submit, 1 record per call", seed, 0, format_ns));
  const auto lost = median(s.gb(name("BM_StatsdLine", 1), "lost_pct"));
  t.add(at_most("StatsD line over unix datagram", statsd, 0, format_ns,
                lost ? format_number(*lost, 1) + " % lost (receiver behind)" : ""));
  t.add(at_least("event: seed handshake / data plane", ratio(seed, emit), 100, times));
  t.add(at_least("event: StatsD line / data plane", ratio(statsd, emit), 0, times));
}

void prometheus_rows(const Sources& s, Table& t) {
  t.section("Prometheus: prometheus-cpp update cost against the probe's (same run)");
  const auto name = [](const char* bm, int threads) {
    return std::string(bm) + "/real_time/threads:" + std::to_string(threads);
  };
  for (int threads : {1, 2}) {
    const std::string th = std::to_string(threads) + " thread" + (threads > 1 ? "s" : "");
    const auto pc = s.gb(name("BM_PromCppCounterInc", threads), "ns_per_op");
    const auto ph = s.gb(name("BM_PromCppHistogramObserve", threads), "ns_per_op");
    t.add(at_most("prometheus-cpp counter Increment, " + th, pc, 0, format_ns));
    t.add(at_least("  counter: prometheus-cpp / probe, " + th,
                   ratio(pc, s.gb(name("BM_CounterAdd", threads), "ns_per_op")), 3, times));
    t.add(at_most("prometheus-cpp histogram Observe (127 bounds), " + th, ph, 0, format_ns));
    t.add(at_least("  histogram: prometheus-cpp / probe, " + th,
                   ratio(ph, s.gb(name("BM_HistogramRecord", threads), "ns_per_op")), 3, times));
  }
  t.section("Prometheus: one /metrics scrape, 256 clients x 100 metrics (in-process)");
  for (int per_client : {0, 1}) {
    const std::string bm = "BM_Scrape/" + std::to_string(per_client) + "/real_time";
    const std::string what = per_client ? "per-client series too" : "totals";
    t.add(
        at_most("scrape CPU, " + what + " (ms)", s.gb(bm, "cpu_ms"), per_client ? 0 : 20, ratio3));
    t.add(at_most("scrape wall time, " + what + " (ms)", s.gb(bm, "wall_ms"), 0, ratio3));
    t.add(at_most("scrape size, " + what, s.gb(bm, "bytes"), 0, format_bytes));
  }
}

// shmon_bench_driver's scrape-drain step: the agent's drain rate in windows with a scraper and
// without, alternating in one run.
void scrape_drain_rows(const Sources& s, Table& t) {
  t.section("Prometheus: agent drain during scrapes (256 clients x 100 metrics, 2 producers)");
  for (const char* phase : {"back_to_back", "every_100ms"}) {
    const std::string p = std::string("/scrape_drain/") + phase + "/";
    const std::string how =
        std::string(phase) == "back_to_back" ? "back to back" : "10 times a second";
    t.add(at_least("drain rate, no scraper", s.dr(p + "events_per_s_without"), 0, format_rate));
    t.add(at_least("drain rate, scraper " + how, s.dr(p + "events_per_s_with"), 0, format_rate));
    t.add(at_least("  with / without (scraper " + how + ")", s.dr(p + "with_over_without"), 0.9,
                   ratio3, "target: within 10 %"));
    t.add(at_least("  with / without, median of A B B A blocks",
                   s.dr(p + "with_over_without_block_median"), 0.9, ratio3));
    t.add(at_least("  scrapes per second", s.dr(p + "scrapes_per_s"), 0, ratio3));
    t.add(at_most("  scrape wall time, p50", s.dr(p + "scrape_wall/p50_ns"), 0, format_ns));
    t.add(at_most("  events lost", s.dr(p + "lost"), 0.5, plain, "target: zero"));
  }
  t.add(at_least("control: a spinning thread instead of scrapes, with / without",
                 s.dr("/scrape_drain/spin_control/with_over_without"), 0, ratio3,
                 "demands a core as back-to-back scrapes do, touches nothing of the agent"));
  t.add(at_least("  control, median of A B B A blocks",
                 s.dr("/scrape_drain/spin_control/with_over_without_block_median"), 0, ratio3));
  t.add(at_least("control: a thread streaming through 22 MB instead, with / without",
                 s.dr("/scrape_drain/stream_control/with_over_without"), 0, ratio3,
                 "reads as much memory as a scrape, none of the agent's"));
  t.add(at_least("  control, median of A B B A blocks",
                 s.dr("/scrape_drain/stream_control/with_over_without_block_median"), 0, ratio3));
}

void drain_rows(const Sources& s, Table& t) {
  t.section("Agent drain (one thread, in-process over a producer-filled region)");
  t.add(at_least("drain, 1 ring of 2048", s.gb("BM_AgentDrain/1/2048/manual_time", "events_per_s"),
                 50e6, format_rate));
  t.add(at_least("drain, 8 rings of 8192", s.gb("BM_AgentDrain/8/8192/manual_time", "events_per_s"),
                 50e6, format_rate));
}

void e2e_rows(const Sources& s, Table& t) {
  t.section("End to end (4 producer processes into one agent)");
  const auto events = s.driver.empty()
                          ? 0.0
                          : s.driver[0].value(Json::json_pointer("/e2e/events_per_producer"), 0.0);
  const auto rate = s.dr("/e2e/events_per_s");
  t.add(at_least(
      "shmon data plane, wait policy, " + format_number(events / 1e6, 0) + " M events each", rate,
      20e6, format_rate));
  t.add(at_most("  events lost", s.dr("/e2e/lost"), 0.5, plain, "target: zero"));
  t.add(at_most("  agent CPU during the run (cores)", s.dr("/e2e/agent_cpu_cores"), 0, ratio3));
  const auto seed = s.dr("/seed_e2e/events_per_s");
  const auto statsd = s.dr("/statsd_e2e/events_per_s");
  t.add(at_least("seed handshake, 1 record per submit", seed, 0, format_rate));
  t.add(at_most("  records lost", s.dr("/seed_e2e/lost"), 0, plain));
  t.add(at_least("StatsD lines (fire and forget)", statsd, 0, format_rate));
  t.add(at_most("  lines lost", s.dr("/statsd_e2e/lost"), 0, plain));
  t.add(at_least("delivered rate: data plane / seed handshake", ratio(rate, seed), 0, times));
  t.add(at_least("delivered rate: data plane / StatsD", ratio(rate, statsd), 0, times));
}

void ping_rows(const Sources& s, Table& t) {
  t.section("Control calls (ping round trip as the caller sees it)");
  t.add(at_most("unix stream socket echo, p50", s.dr("/ping/unix_echo/p50_ns"), 0, format_ns));
  t.add(at_most("unix stream socket echo, p99", s.dr("/ping/unix_echo/p99_ns"), 0, format_ns));
  t.add(at_most("ping, agent idle, p50", s.dr("/ping/idle/p50_ns"), 0, format_ns));
  t.add(at_most("ping, agent idle, p99", s.dr("/ping/idle/p99_ns"), 0, format_ns));
  const auto busy = s.dr("/ping/busy/p50_ns");
  const auto busy_rate = median(s.dr("/ping/busy/busy_events_per_s"));
  t.add(at_most("ping, agent busy draining, p50", busy, 1500, format_ns,
                busy_rate ? "producer meanwhile: " + format_rate(*busy_rate) : ""));
  t.add(at_most("ping, agent busy draining, p99", s.dr("/ping/busy/p99_ns"), 0, format_ns));
  t.add(at_least("unix echo p50 / busy ping p50", ratio(s.dr("/ping/unix_echo/p50_ns"), busy), 10,
                 times));
  t.add(at_least("unix echo p50 / idle ping p50",
                 ratio(s.dr("/ping/unix_echo/p50_ns"), s.dr("/ping/idle/p50_ns")), 0, times));
  t.add(at_most("command echo to an idle app, p50", s.dr("/commands/echo/p50_ns"), 0, format_ns));
  t.add(at_most("command echo to an idle app, p99", s.dr("/commands/echo/p99_ns"), 0, format_ns));
  t.add(
      at_most("tool ping beside it (same run), p50", s.dr("/commands/ping/p50_ns"), 0, format_ns));
  t.add(
      at_most("tool ping beside it (same run), p99", s.dr("/commands/ping/p99_ns"), 0, format_ns));
  t.add(at_most("4 clients contending: round trip p50", s.dr("/ping/contended/p50_ns"), 0,
                format_ns));
  t.add(at_most("4 clients contending: round trip p99", s.dr("/ping/contended/p99_ns"), 0,
                format_ns));
  t.add(at_most("4 clients contending: mutex wait p50", s.dr("/ping/contended/mutex_wait_p50_ns"),
                0, format_ns, "log2 buckets; 0 = uncontended"));
  t.add(at_most("4 clients contending: mutex wait p99", s.dr("/ping/contended/mutex_wait_p99_ns"),
                0, format_ns, "log2 buckets: ±41 %"));
  t.add(at_most("4 clients contending: mutex wait mean", s.dr("/ping/contended/mutex_wait_mean_ns"),
                0, format_ns));
  t.add(at_most("4 clients contending: mutex wait max", s.dr("/ping/contended/mutex_wait_max_ns"),
                0, format_ns));
  t.add(at_least("4 clients: Jain fairness of calls served", s.dr("/ping/contended/jain_fairness"),
                 0, ratio3, "1 = perfectly even"));
  t.add(at_least("4 clients: fewest / most calls served", s.dr("/ping/contended/min_max_ratio"), 0,
                 ratio3));
}

void rest_rows(const Sources& s, Table& t) {
  t.section("Cost at rest");
  t.add(at_most("agent CPU, 10 idle clients over 10 s", s.dr("/rest/idle_cpu/agent_cpu_pct"), 0.5,
                pct, "utime+stime, 10 ms ticks"));
  t.add(at_most("agent VmRSS, no client", s.dr("/rest/rss/agent_rss_kib_empty"), 0, kib));
  t.add(at_most("agent VmRSS, 256 clients connected", s.dr("/rest/rss/agent_rss_kib"), 0, kib));
  t.add(at_most("control region (64 + 4 slots)",
                s.dr("/rest/region_sizes/control_region_bytes_default"), 0, format_bytes));
  t.add(at_most("control region (256 + 4 slots)",
                s.dr("/rest/region_sizes/control_region_bytes_256"), 0, format_bytes));
  t.add(
      at_most("mailbox region", s.dr("/rest/region_sizes/mailbox_region_bytes"), 0, format_bytes));
  t.add(at_most("data region per client (defaults)",
                s.dr("/rest/region_sizes/data_region_bytes_default"), 0, format_bytes));
}

}  // namespace
}  // namespace shmon::bench

int main(int argc, char** argv) {
  using namespace shmon::bench;
  Sources sources;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string kind = argv[i];
    Json j;
    if (!load(argv[i + 1], j)) {
      std::fprintf(stderr, "report: cannot read %s (skipped)\n", argv[i + 1]);
      continue;
    }
    if (kind == "--gbench") {
      for (const Json& b : j.value("benchmarks", Json::array())) {
        if (b.value("run_type", "") != "iteration" || b.contains("error_occurred")) continue;
        sources.gbench[b.value("run_name", "")].push_back(b);
      }
    } else if (kind == "--driver") {
      sources.driver.push_back(std::move(j));
    } else {
      std::fprintf(stderr, "usage: %s [--gbench FILE]... [--driver FILE]...\n", argv[0]);
      return 2;
    }
  }
  Table table;
  probe_rows(sources, table);
  drain_rows(sources, table);
  prometheus_rows(sources, table);
  scrape_drain_rows(sources, table);
  e2e_rows(sources, table);
  ping_rows(sources, table);
  rest_rows(sources, table);
  table.print(std::cout);
  return 0;
}
