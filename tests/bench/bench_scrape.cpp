// SPDX-License-Identifier: Apache-2.0
// One /metrics scrape (take_snapshot + Exposition::render, what an HTTP worker does) over an
// agent context with 256 live clients of 100 metrics each (70 counters, 20 gauges, 10
// histograms of 128 buckets; every client publishes the same names, as replicas of one app do),
// with and without per-client series. Reports the scrape's bytes.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "exposition.hpp"
#include "metric_identity.hpp"
#include "metrics_snapshot.hpp"
#include "regions.hpp"
#include "shmon/histogram_buckets.hpp"
#include "shmon/memfd.hpp"
#include "shmon/names.hpp"

namespace shmon::bench {
namespace {

using agent::AgentContext;
using agent::Client;

constexpr std::uint32_t kClients = 256;
constexpr std::uint32_t kCounters = 70, kGauges = 20, kHistograms = 10;

struct ScrapeFixture {
  AgentContext ctx;
  bool ok = false;

  ScrapeFixture() {
    auto regions = agent::create_regions({"bench-scrape", kClients, 500, 1});
    if (!regions) return;
    ctx.regions = std::move(*regions);
    ctx.slots.resize(ctx.regions.capacity);
    DataParams params;
    params.metric_capacity = 128;
    params.shard_count = 2;
    params.histogram_capacity = kHistograms;
    params.ring_capacity = 64;
    auto geo = compute_data_geometry(params);
    if (!geo) return;
    for (std::uint32_t c = 0; c < kClients && c < ctx.slots.size(); ++c) {
      auto fd = create_region("bench-scrape", geo->region_size);
      if (!fd) return;
      auto map = Mapping::map(fd->get(), geo->region_size, true);
      if (!map) return;
      const std::string name = "replica-" + std::to_string(c);
      auto* h = map->as<DataHeader>();
      init_data_header(*h, *geo, ClientKind::kApp, ::getpid(), 1000 + c, name);
      const DataRegion r(map->data(), *geo);
      std::uint32_t i = 0;
      const auto add = [&](const std::string& metric, MetricKind kind, std::uint32_t hist,
                           const char* unit) {
        auto* d = map->as<MetricDescriptor>(geo->descriptors_offset) + i;
        write_fixed_name(d->name, sizeof(d->name), metric);
        write_fixed_name(d->unit, sizeof(d->unit), unit);
        d->kind = std::uint32_t(kind);
        d->histogram_index = hist;
        ++i;
      };
      for (std::uint32_t k = 0; k < kCounters; ++k) {
        add("app.requests." + std::to_string(k), MetricKind::kCounter, 0, "");
        *reinterpret_cast<std::uint64_t*>(r.cell(0, i - 1)) = 1000 * (c + 1) + k;
      }
      for (std::uint32_t k = 0; k < kGauges; ++k) {
        add("app.queue." + std::to_string(k), MetricKind::kGauge, 0, "");
        const double v = 1.5 * k;
        std::memcpy(r.cell(0, i - 1), &v, sizeof v);
      }
      for (std::uint32_t k = 0; k < kHistograms; ++k) {
        add("app.latency." + std::to_string(k), MetricKind::kHistogram, k, "ns");
        std::int64_t* bounds = r.bounds(k);
        log_linear_bounds({bounds, geo->bucket_count()});
        HistogramCellsHeader* cells = r.histogram(0, k);
        cells->min = 0;
        cells->max = 1 << 20;
        for (std::uint32_t b = 0; b < geo->bucket_count(); b += 3) {
          r.buckets(0, k)[b] = b + c;
          cells->count += b + c;
          cells->sum += std::int64_t(b + c) * 1000;
        }
      }
      h->histogram_count.store(kHistograms, std::memory_order_release);
      h->metric_count.store(i, std::memory_order_release);
      auto client = std::make_shared<Client>();
      client->slot = c;
      client->name = name;
      client->pid = ::getpid();
      client->data_fd = std::move(*fd);
      client->data = std::move(*map);
      client->geo = *geo;
      client->state.store(std::uint32_t(ClientState::kLive));
      ctx.slots[c] = client;
    }
    ok = true;
  }
};

void BM_Scrape(benchmark::State& state) {
  static ScrapeFixture fixture;
  if (!fixture.ok) {
    state.SkipWithError("fixture setup failed");
    return;
  }
  const bool per_client = state.range(0) != 0;
  agent::Exposition exposition;
  std::size_t bytes = 0;
  const auto thread_cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
  };
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = thread_cpu_ns();
  for (auto _ : state) {
    const auto snap = agent::take_snapshot(fixture.ctx, per_client);
    const std::string body =
        exposition.render(snap, agent::ExpositionFormat::kText004, per_client, {}, nullptr);
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  const double n = state.iterations() ? double(state.iterations()) : 1;
  const double wall_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - wall0).count();
  state.counters["wall_ms"] = wall_ns / n / 1e6;
  state.counters["cpu_ms"] = (thread_cpu_ns() - cpu0) / n / 1e6;  // this thread's CPU per scrape
  state.counters["bytes"] = double(bytes);
  state.counters["series_metrics"] = double(kCounters + kGauges + kHistograms);
}
BENCHMARK(BM_Scrape)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace shmon::bench

BENCHMARK_MAIN();
