// SPDX-License-Identifier: Apache-2.0
// The client's data region: a sealed memfd the agent can map, or, when that cannot be created, an
// anonymous private mapping of the same geometry so updates still work (the probe then never
// connects and last_error() says why).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "fast_path.hpp"
#include "probe_core.hpp"
#include "region.hpp"
#include "shmon/memory_cgroup.hpp"
#include "shmon/names.hpp"

namespace shmon::detail {

void init_histogram_extremes(const DataRegion& region) noexcept {
  const DataParams& p = region.geometry().params;
  for (std::uint32_t s = 0; s < p.shard_count; ++s) {
    for (std::uint32_t h = 0; h < p.histogram_capacity; ++h) {
      HistogramCellsHeader* cells = region.histogram(s, h);
      cells->min = std::numeric_limits<std::int64_t>::max();
      cells->max = std::numeric_limits<std::int64_t>::min();
    }
  }
}

std::byte* map_zero_pages(void* at, std::size_t size) noexcept {
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | (at != nullptr ? MAP_FIXED : 0);
  void* p = ::mmap(at, size, PROT_READ | PROT_WRITE, flags, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
}

void write_data_header(DataHeader* h, const DataGeometry& g, std::uint64_t incarnation,
                       std::uint32_t kind, const char* name) noexcept {
  init_data_header(*h, g, ClientKind(kind), std::int32_t(::getpid()), incarnation,
                   std::string_view(name, ::strnlen(name, sizeof(h->name) - 1)));
}

namespace {

constexpr std::uint32_t kMinRing = 64;
constexpr std::uint32_t kMinShards = 2;

// A memory cgroup charges the region's reservation to this process, and past the cgroup's limit
// the kernel does not fail fallocate: it OOM-kills a process of the group, usually the host. So
// the region must fit in half of what the cgroup has left: smaller rings first, then fewer
// shards. Returns the sentence for last_error() when the geometry had to change (`shared` false:
// even the smallest does not fit, the region stays private).
std::string fit_memory_cgroup(DataGeometry& g, bool& shared) {
  shared = true;
  const auto headroom = memory_cgroup_headroom();
  if (!headroom) return {};
  const std::uint64_t budget = headroom->bytes / 2;
  if (g.region_size <= budget) return {};
  const std::uint64_t wanted = g.region_size;
  DataParams p = g.params;
  DataGeometry fitted = g;
  while (fitted.region_size > budget &&
         (p.ring_capacity > kMinRing || p.shard_count > kMinShards)) {
    if (p.ring_capacity > kMinRing) {
      p.ring_capacity /= 2;
    } else {
      p.shard_count = std::max(kMinShards, p.shard_count / 2);
    }
    auto next = compute_data_geometry(p);
    if (!next) break;
    fitted = *next;
  }
  const std::string limit = "the memory cgroup (" + headroom->where + ") has " +
                            std::to_string(headroom->bytes) + " bytes left; ";
  if (fitted.region_size > budget) {
    shared = false;
    return limit + "a data region of " + std::to_string(fitted.region_size) +
           " bytes does not fit, so updates stay local and the probe will not connect";
  }
  g = fitted;
  return limit + "the data region was reduced from " + std::to_string(wanted) + " to " +
         std::to_string(g.region_size) + " bytes (rings of " + std::to_string(p.ring_capacity) +
         " events, " + std::to_string(p.shard_count) + " shards)";
}

}  // namespace

bool ProbeCore::init_region() {
  auto g = compute_data_geometry(opts.params);
  if (!g) {
    set_error("invalid region parameters (" + g.error() + "); using the defaults");
    opts.params = DataParams{};
    g = compute_data_geometry(opts.params);
    if (!g) {
      set_error("cannot compute the data region geometry: " + g.error());
      return false;
    }
  }
  DataGeometry geometry = *g;
  bool fits = true;
  // Lasting: the connector's first attach clears last_error, and the reduction outlives it.
  if (std::string why = fit_memory_cgroup(geometry, fits); !why.empty()) set_lasting_note(why);
  opts.params = geometry.params;
  region_size = geometry.region_size;
  std::byte* base = nullptr;

  // When it does not fit, last_error() already says why and the region stays private.
  auto fd = fits ? create_region("shmon-data:" + opts.name, region_size)
                 : Result<UniqueFd>(Error{"it does not fit in the memory cgroup"});
  if (!fits) {
  } else if (fd) {
    auto mapping = Mapping::map(fd->get(), region_size, true);
    if (mapping) {
      auto sealed = seal_shared(fd->get());
      if (sealed) {
        base = mapping->data();
        mapping->release();  // owned by the core from here on (the fork child remaps in place)
        data_fd = std::move(*fd);
        region_shareable = true;
      } else {
        set_error("cannot share the data region (" + sealed.error() +
                  "); updates stay local and the probe will not connect");
      }
    } else {
      set_error("cannot map the data region (" + mapping.error() +
                "); updates stay local and the probe will not connect");
    }
  } else {
    set_error("cannot create the data region (" + fd.error() +
              "); updates stay local and the probe will not connect");
  }
  if (base == nullptr) {
    base = map_zero_pages(nullptr, region_size);
    if (base == nullptr) {
      set_error("cannot allocate " + std::to_string(region_size) + " bytes for the data region");
      return false;
    }
  }

  region = DataRegion(base, geometry);
  header = region.header();
  write_data_header(header, geometry, random_u64(), std::uint32_t(opts.kind), opts.name.c_str());
  init_histogram_extremes(region);

  const DataParams& p = geometry.params;
  shared_shard = p.shard_count - 1;
  ring_capacity = p.ring_capacity;
  buckets = geometry.bucket_count();
  bounds_len_store.assign(p.histogram_capacity, 0);
  bounds_store.assign(std::size_t(p.histogram_capacity) * buckets, 0);
  bounds_len = bounds_len_store.data();
  bounds = bounds_store.data();
  kinds.assign(p.metric_capacity, MetricKind(0));
  return true;
}

}  // namespace shmon::detail
