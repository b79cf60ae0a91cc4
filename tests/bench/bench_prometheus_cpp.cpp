// SPDX-License-Identifier: Apache-2.0
// The update cost of prometheus-cpp (Debian prometheus-cpp-dev), measured in the same binary and
// run as the probe's updates: counter increment and histogram observe, 1 and 2 threads on the
// same metric. The histogram gets as many buckets as the probe's default (128), with the same
// log-linear bounds, so both do the same bucket search.
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <vector>

#include "bench_env.hpp"
#include "shmon/histogram_buckets.hpp"
#include "shmon/types.hpp"

namespace shmon::bench {
namespace {

struct PromCpp {
  prometheus::Registry registry;
  prometheus::Counter* counter = nullptr;
  prometheus::Histogram* histogram = nullptr;

  PromCpp() {
    counter = &prometheus::BuildCounter().Name("bench_counter").Register(registry).Add({});
    std::vector<std::int64_t> bounds(DataParams{}.histogram_buckets);
    log_linear_bounds(bounds);
    bounds.pop_back();  // the probe's last bucket is +Inf, which prometheus-cpp adds itself
    prometheus::Histogram::BucketBoundaries b(bounds.begin(), bounds.end());
    histogram = &prometheus::BuildHistogram()
                     .Name("bench_histogram")
                     .Register(registry)
                     .Add({}, std::move(b));
  }
};

PromCpp& prom() {
  static PromCpp p;
  return p;
}

void BM_PromCppCounterInc(benchmark::State& state) {
  prometheus::Counter& counter = *prom().counter;
  timed_loop(state, [&] { counter.Increment(); });
}
BENCHMARK(BM_PromCppCounterInc)->Threads(1)->Threads(2)->UseRealTime();

void BM_PromCppHistogramObserve(benchmark::State& state) {
  prometheus::Histogram& histogram = *prom().histogram;
  std::int64_t value = 0;
  // The same value sequence as BM_HistogramRecord.
  timed_loop(state, [&] { histogram.Observe(double((value += 97) & 0xFFFF)); });
}
BENCHMARK(BM_PromCppHistogramObserve)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace shmon::bench
