// SPDX-License-Identifier: Apache-2.0
// The agent's drain rate during /metrics scrapes (issue 9: "within 10 % of without"). The real
// agent serves /metrics for 256 clients x 100 metrics (70 counters, 20 gauges, 10 histograms each,
// the shape of shmon_bench_scrape) while producer processes emit events with the wait policy.
// Windows alternate, A B B A A B B A ..., between a scraper process that GETs /metrics and no
// scraper; a window's rate is what the agent delivered in it, confirmed by every producer's flush
// (its events_received), over the time from the window's start to the last producer's flush.
// Three phases: the scraper back to back (the worst case); ten times a second (still ten times
// Prometheus's shortest usual interval; a window lasts about half a second, so slower pacing
// would leave windows without a scrape); and two controls in the scraper's process, which touch
// nothing of the agent's: a thread that only spins, demanding a core as back-to-back scrapes do
// (an agent HTTP worker that is always busy), and one that streams through as much memory as a
// scrape reads (every shard's cells and buckets of every client, 22 MB with the defaults). On a
// machine with few cores they say how much of the loss is the CPU and the memory traffic of the
// scrapes rather than their interference with the drain (locks).
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent_process.hpp"
#include "children.hpp"
#include "driver.hpp"
#include "proc_stats.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::bench {
namespace {

constexpr std::uint32_t kMaxProducers = 8;
constexpr std::uint32_t kMaxWindows = 80;
constexpr std::uint32_t kMaxScrapeSamples = 100'000;
constexpr std::uint32_t kCounters = 70, kGauges = 20, kHistograms = 10;
constexpr std::uint32_t kQuit = ~0u;
constexpr std::uint32_t kScrape = 1, kSpin = 2, kStream = 3;  // DrainShared::scrape_on

struct WindowResult {
  std::uint64_t delivered;  // events_received gained in the window, by flush
  std::uint64_t end_ns;     // monotonic: this producer's flush confirmed its events
  std::int32_t status;      // 0 = the window's events were all delivered
};

struct DrainShared {
  Gate holders;  // ready: clients attached with their metrics set; open: leave
  std::atomic<std::uint32_t> holder_failures;
  std::atomic<std::uint32_t> producers_ready;
  std::atomic<std::uint32_t> window;       // producers run window w (1-based) when it appears
  std::atomic<std::uint32_t> window_done;  // producers done with the current window
  std::atomic<std::uint32_t> scrape_on;    // kScrape or kSpin: the scraper's work; 0: idle
  // The controller bumps stop_gen after clearing scrape_on; the scraper acknowledges a generation
  // (idle_ack) only when it read it and then scrape_on == 0, i.e. with no work in flight.
  std::atomic<std::uint32_t> stop_gen;
  std::atomic<std::uint32_t> idle_ack;
  std::atomic<std::uint32_t> scrape_interval_ms;  // 0 = back to back
  std::atomic<std::uint32_t> quit;
  std::atomic<std::uint64_t> scrapes;
  std::atomic<std::uint64_t> scrape_failures;
  std::uint64_t scrape_bytes;  // of the last scrape
  double first_counter_total;  // app_requests_0_total in the first scrape
  std::uint64_t stream_sum;    // of the stream control (kept, so that its reads are kept)
  std::atomic<std::uint32_t> scrape_count;  // samples in scrape_ns
  std::uint64_t scrape_ns[kMaxScrapeSamples];
  WindowResult results[kMaxWindows][kMaxProducers];
};

// Every client's app.requests.0 is 1000 * (client index + 1): the scrape's total of it.
double expected_counter_total(std::uint32_t clients) {
  return 1000.0 * double(clients) * double(clients + 1) / 2;
}

// Holds `count` clients (one probe each) with their 100 metrics set, until told to leave.
int metric_holders(DrainShared* s, std::uint32_t first, std::uint32_t count) {
  std::vector<std::unique_ptr<Probe>> probes;
  for (std::uint32_t i = 0; i < count; ++i) {
    ProbeOptions options;
    options.name = "replica-" + std::to_string(first + i);
    probes.push_back(std::make_unique<Probe>(options));
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    Probe& p = *probes[i];
    if (!p.wait_connected(60'000)) {
      s->holder_failures.fetch_add(1);
      continue;
    }
    const std::uint64_t c = first + i;
    for (std::uint32_t k = 0; k < kCounters; ++k) {
      p.counter("app.requests." + std::to_string(k)).add(1000 * (c + 1) + k);
    }
    for (std::uint32_t k = 0; k < kGauges; ++k) p.gauge("app.queue." + std::to_string(k)).set(k);
    for (std::uint32_t k = 0; k < kHistograms; ++k) {
      Histogram h = p.histogram("app.latency." + std::to_string(k), {}, "ns");
      for (std::int64_t v = 1; v < (1 << 20); v = v * 3 + std::int64_t(c)) h.record(v);
    }
    s->holders.ready.fetch_add(1);
  }
  const std::uint64_t deadline = deadline_after_ms(1'800'000);
  while (s->holders.open.load() == 0 && monotonic_ns() < deadline) ::usleep(20'000);
  return 0;
}

// Emits `per_window` events (wait policy) in every window the controller opens, then flushes
// until the agent has received them all.
int producer(DrainShared* s, std::uint32_t index, std::uint64_t per_window) {
  ProbeOptions options;
  options.name = "producer-" + std::to_string(index);
  options.overflow = OverflowPolicy::kWait;
  options.overflow_wait_ms = 1000;
  Probe probe(options);
  if (!probe.wait_connected(60'000)) return 2;
  const EventType type = probe.event_type("bench.drain");
  s->producers_ready.fetch_add(1);
  std::uint64_t received = 0;
  std::uint32_t seen = 0;
  const std::uint64_t deadline = deadline_after_ms(1'800'000);
  for (;;) {
    std::uint32_t w;
    while ((w = s->window.load(std::memory_order_acquire)) == seen) {
      if (monotonic_ns() > deadline) return 3;
      std::this_thread::yield();
    }
    if (w == kQuit) return 0;
    seen = w;
    WindowResult& r = s->results[w - 1][index];
    r.status = 1;
    for (std::uint64_t i = 0; i < per_window; ++i) probe.emit(type, EventLevel::kInfo, "request");
    const std::uint64_t flush_deadline = deadline_after_ms(30'000);
    FlushResult f{};
    do {
      f = probe.flush();
    } while ((f.status != CallStatus::kOk || f.events_received < f.events_written) &&
             monotonic_ns() < flush_deadline);
    r.end_ns = monotonic_ns();
    if (f.status == CallStatus::kOk && f.events_received >= received) {
      r.delivered = f.events_received - received;
      received = f.events_received;
      r.status = f.events_received < f.events_written ? 4 : 0;
    }
    s->window_done.fetch_add(1, std::memory_order_acq_rel);
  }
}

// The value of the sample line "NAME VALUE" in a text exposition, or -1.
double sample_value(const std::string& body, const std::string& name) {
  const std::size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::strtod(body.c_str() + at + name.size() + 2, nullptr);
}

// Bytes of client cells one scrape reads: every shard's cell of each metric and every shard's
// buckets of each histogram, for every client (default region parameters).
std::size_t scrape_read_bytes(std::uint32_t clients) {
  const DataParams d;
  return std::size_t(clients) * d.shard_count * 8 *
         (kCounters + kGauges + kHistograms + kHistograms * d.histogram_buckets);
}

// GETs /metrics while scrape_on is kScrape, paced by scrape_interval_ms; spins while it is kSpin;
// reads `stream` over and over while it is kStream; idle otherwise. (The endpoint serves one
// request per connection: every scrape connects, as the agent makes Prometheus do.)
int scraper(DrainShared* s, int port, std::size_t stream_bytes) {
  std::vector<std::uint64_t> stream(stream_bytes / 8, 1);
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  const std::uint64_t deadline = deadline_after_ms(1'800'000);
  std::uint64_t next = 0;
  while (s->quit.load() == 0 && monotonic_ns() < deadline) {
    const std::uint32_t gen = s->stop_gen.load();  // before scrape_on: see DrainShared
    if (s->scrape_on.load() == kSpin) {
      while (s->scrape_on.load(std::memory_order_relaxed) == kSpin && monotonic_ns() < deadline) {
      }
      continue;
    }
    if (s->scrape_on.load() == kStream) {
      std::uint64_t sum = 0;
      while (s->scrape_on.load(std::memory_order_relaxed) == kStream && monotonic_ns() < deadline) {
        for (const std::uint64_t v : stream) sum += v;
      }
      s->stream_sum = sum;  // keeps the reads
      continue;
    }
    if (s->scrape_on.load() == 0) {
      s->idle_ack.store(gen);
      ::usleep(500);
      continue;
    }
    if (monotonic_ns() < next) {
      ::usleep(500);
      continue;
    }
    const std::uint64_t t0 = monotonic_ns();
    next = t0 + std::uint64_t(s->scrape_interval_ms.load()) * 1'000'000u;
    const auto response = client.Get("/metrics");
    const std::uint64_t t1 = monotonic_ns();
    if (!response || response->status != 200) {
      s->scrape_failures.fetch_add(1);
      continue;
    }
    if (s->first_counter_total == 0) {
      s->first_counter_total = sample_value(response->body, "app_requests_0_total");
    }
    s->scrape_bytes = response->body.size();
    const std::uint32_t n = s->scrape_count.load();
    if (n < kMaxScrapeSamples) {
      s->scrape_ns[n] = t1 - t0;
      s->scrape_count.store(n + 1);
    }
    s->scrapes.fetch_add(1);
  }
  return 0;
}

struct Run {
  DrainShared* s;
  pid_t agent;
  std::uint32_t producers;
  std::uint64_t per_window;
  int timeout_ms;
  std::uint32_t next_window = 1;
};

// One window: the producers' events, with the scraper doing `work` (kScrape, kSpin) or idle
// (0). Its JSON, or an "error".
Json run_window(Run& run, std::uint32_t work) {
  const bool scraping = work != 0;
  DrainShared* s = run.s;
  const std::uint32_t w = run.next_window++;
  if (w > kMaxWindows) return Json{{"error", "too many windows"}};
  s->window_done.store(0);
  s->scrape_on.store(work);
  const std::uint64_t scrapes0 = s->scrapes.load();
  const std::int64_t cpu0 = cpu_time_ns(run.agent);
  const std::uint64_t start = monotonic_ns();
  s->window.store(w, std::memory_order_release);
  const std::uint64_t deadline = deadline_after_ms(run.timeout_ms);
  while (s->window_done.load() < run.producers && monotonic_ns() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const std::uint64_t scrapes1 = s->scrapes.load();
  const std::int64_t cpu1 = cpu_time_ns(run.agent);
  s->scrape_on.store(0);
  // The next window starts only once no scrape is in flight.
  const std::uint32_t gen = s->stop_gen.fetch_add(1) + 1;
  for (const std::uint64_t until = deadline_after_ms(30'000);
       s->idle_ack.load() != gen && monotonic_ns() < until;) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (s->window_done.load() < run.producers) return Json{{"error", "a producer did not finish"}};
  std::uint64_t end = start, delivered = 0;
  int failed = 0;
  for (std::uint32_t i = 0; i < run.producers; ++i) {
    const WindowResult& r = s->results[w - 1][i];
    end = std::max(end, r.end_ns);
    delivered += r.delivered;
    failed += r.status != 0;
  }
  const double seconds = double(end - start) / 1e9;
  Json j;
  j["scraping"] = scraping;
  j["seconds"] = seconds;
  j["delivered"] = delivered;
  j["lost"] = run.per_window * run.producers - std::min(run.per_window * run.producers, delivered);
  j["producers_failed"] = failed;
  j["events_per_s"] = seconds > 0 ? double(delivered) / seconds : 0;
  j["scrapes"] = scrapes1 - scrapes0;
  j["agent_cpu_cores"] = seconds > 0 ? double(cpu1 - cpu0) / 1e9 / seconds : 0;
  return j;
}

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// `windows` windows, A B B A ... (A: the scraper idle; B: doing `work`), scrapes paced by
// `interval_ms`. The
// ratio is reported twice: of the medians over all windows, and the median over A B B A blocks
// of each block's ratio.
Json run_phase(Run& run, std::uint32_t windows, std::uint32_t work, std::uint32_t interval_ms) {
  DrainShared* s = run.s;
  s->scrape_interval_ms.store(interval_ms);
  const std::uint32_t samples0 = s->scrape_count.load();
  Json j;
  j["scrape_interval_ms"] = interval_ms;
  std::vector<double> with, without, scrapes_per_s, cpu_with, cpu_without, blocks;
  double block_with = 0, block_without = 0;  // sums over the current A B B A block
  std::uint64_t lost = 0;
  for (std::uint32_t k = 0; k < windows; ++k) {
    const bool scraping = ((k + 1) / 2) % 2 == 1;
    Json w = run_window(run, scraping ? work : 0);
    j["windows"].push_back(w);
    if (w.contains("error")) {
      j["error"] = w["error"];
      return j;
    }
    const double seconds = w["seconds"].get<double>();
    lost += w["lost"].get<std::uint64_t>();
    (scraping ? with : without).push_back(w["events_per_s"].get<double>());
    (scraping ? cpu_with : cpu_without).push_back(w["agent_cpu_cores"].get<double>());
    (scraping ? block_with : block_without) += w["events_per_s"].get<double>();
    if (k % 4 == 3) {  // a block's ratio cancels a drift of the machine's load within it
      if (block_without > 0) blocks.push_back(block_with / block_without);
      block_with = block_without = 0;
    }
    if (scraping && seconds > 0)
      scrapes_per_s.push_back(double(w["scrapes"].get<std::uint64_t>()) / seconds);
  }
  const double m_with = median_of(with), m_without = median_of(without);
  j["events_per_s_without"] = m_without;
  j["events_per_s_with"] = m_with;
  j["with_over_without"] = m_without > 0 ? m_with / m_without : 0;
  j["with_over_without_blocks"] = blocks;
  j["with_over_without_block_median"] = median_of(blocks);
  j["scrapes_per_s"] = median_of(scrapes_per_s);
  j["agent_cpu_cores_without"] = median_of(cpu_without);
  j["agent_cpu_cores_with"] = median_of(cpu_with);
  j["lost"] = lost;
  const std::uint32_t samples1 = s->scrape_count.load();
  j["scrape_wall"] = latency_summary({s->scrape_ns + samples0, s->scrape_ns + samples1});
  return j;
}

}  // namespace

Json run_scrape_drain(const DriverConfig& config) {
  const std::uint32_t clients = config.scrape_clients;
  const std::uint32_t producers = std::min(config.scrape_producers, kMaxProducers);
  SharedBlock<DrainShared> s;
  AgentProcess agent;
  const std::string max = std::to_string(clients + producers + 8);
  if (!s.ok() ||
      !agent.start("bench-scrape-drain", {"--log-level", "warn", "--no-state", "--max-clients", max,
                                          "--metrics-listen", "127.0.0.1:0"})) {
    return Json{{"error", "cannot start agent: " + agent.error()}};
  }
  // "metrics=http://127.0.0.1:PORT/metrics" on the ready line.
  const std::string& ready = agent.ready_output();
  const std::size_t at = ready.find("metrics=http://127.0.0.1:");
  const int port = at == std::string::npos ? 0 : std::atoi(ready.c_str() + at + 25);
  if (port <= 0) return Json{{"error", "the agent serves no /metrics: " + ready}};

  Json j;
  j["clients"] = clients;
  j["metrics_per_client"] = kCounters + kGauges + kHistograms;
  j["client_processes"] = config.scrape_client_processes;
  j["producers"] = producers;
  j["events_per_producer_per_window"] = config.scrape_window_events;
  ChildGroup children;
  const std::uint32_t per =
      (clients + config.scrape_client_processes - 1) / std::max(1u, config.scrape_client_processes);
  for (std::uint32_t first = 0; first < clients; first += per) {
    const std::uint32_t n = std::min(per, clients - first);
    children.add(spawn([&, first, n] { return metric_holders(&*s, first, n); }));
  }
  for (std::uint32_t i = 0; i < producers; ++i) {
    children.add(spawn([&, i] { return producer(&*s, i, config.scrape_window_events); }));
  }
  children.add(spawn([&] { return scraper(&*s, port, scrape_read_bytes(clients)); }));
  const bool ready_clients = s->holders.wait_ready(clients, 120'000);
  j["clients_attached"] = s->holders.ready.load();
  bool ready_producers = false;
  for (const std::uint64_t until = deadline_after_ms(60'000); !ready_producers;) {
    ready_producers = s->producers_ready.load() == producers;
    if (monotonic_ns() > until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!ready_clients || !ready_producers) {
    j["error"] = "clients or producers did not attach";
  } else {
    Run run{&*s, agent.pid(), producers, config.scrape_window_events, config.child_timeout_ms};
    run_window(run, 0);  // warm-up: page faults, first drains
    j["back_to_back"] = run_phase(run, config.scrape_windows, kScrape, 0);
    j["every_100ms"] = run_phase(run, config.scrape_windows, kScrape, 100);
    j["spin_control"] = run_phase(run, config.scrape_windows, kSpin, 0);
    j["stream_control"] = run_phase(run, config.scrape_windows, kStream, 0);
    j["stream_control"]["bytes"] = scrape_read_bytes(clients);
    j["scrape_bytes"] = s->scrape_bytes;
    j["scrape_failures"] = s->scrape_failures.load();
    j["counter_total_in_scrape"] = s->first_counter_total;
    j["counter_total_expected"] = expected_counter_total(clients);
  }
  s->window.store(kQuit, std::memory_order_release);
  s->quit.store(1);
  s->holders.open.store(1);
  const std::uint64_t leave = monotonic_ns();
  j["children_ok"] = children.wait_all(60'000);
  j["teardown_seconds"] = double(monotonic_ns() - leave) / 1e9;  // 256 clients detach at once
  return j;
}

}  // namespace shmon::bench
