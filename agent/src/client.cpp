// SPDX-License-Identifier: Apache-2.0
#include "client.hpp"

#include <cstring>

#include "shmon/labels.hpp"
#include "shmon/names.hpp"

namespace shmon::agent {

bool ReattachKey::bound() const {
  for (const std::uint8_t b : secret) {
    if (b != 0) return true;
  }
  return false;
}

std::string ReattachKey::encode() const {
  std::string out(secret.size() + sizeof(uid), '\0');
  std::memcpy(out.data(), secret.data(), secret.size());
  std::memcpy(out.data() + secret.size(), &uid, sizeof(uid));
  return out;
}

ReattachKey ReattachKey::decode(std::uint64_t incarnation, const std::string& blob) {
  ReattachKey k;
  k.incarnation = incarnation;
  if (blob.size() != k.secret.size() + sizeof(k.uid)) return k;
  std::memcpy(k.secret.data(), blob.data(), k.secret.size());
  std::memcpy(&k.uid, blob.data() + k.secret.size(), sizeof(k.uid));
  return k;
}

std::uint64_t Client::head_sum() const {
  std::uint64_t sum = 0;
  for (std::uint32_t s = 0; s < geo.params.shard_count; ++s) {
    sum = saturating_add(sum, ring(s)->head.load(std::memory_order_acquire));
  }
  return sum;
}

std::uint64_t Client::tail_sum() const {
  std::uint64_t sum = 0;
  for (std::uint32_t s = 0; s < geo.params.shard_count; ++s) {
    sum = saturating_add(sum, tails[s].load(std::memory_order_relaxed));
  }
  return sum;
}

void Client::read_drops(std::uint64_t out[3]) const {
  const ClientStats& st = header().stats;
  out[0] = st.drops_ring_full.load(std::memory_order_relaxed);
  out[1] = st.drops_payload_too_large.load(std::memory_order_relaxed);
  out[2] = st.drops_not_connected.load(std::memory_order_relaxed);
}

std::uint64_t Client::init_tails() {
  const std::uint32_t shards = geo.params.shard_count;
  tails = std::make_unique<std::atomic<std::uint64_t>[]>(shards);
  std::uint64_t bad = 0;
  for (std::uint32_t s = 0; s < shards; ++s) {
    RingHeader* r = ring(s);
    const std::uint64_t head = r->head.load(std::memory_order_acquire);
    std::uint64_t tail = r->tail.load(std::memory_order_acquire);
    if (head - tail > geo.params.ring_capacity) {
      ++bad;
      tail = head;
      r->tail.store(tail, std::memory_order_release);
    }
    tails[s].store(tail, std::memory_order_relaxed);
  }
  return bad;
}

std::uint64_t Client::start_credit(std::uint64_t age_ns) {
  const std::uint64_t ceiling = max_count_in(age_ns);
  std::uint64_t implausible_claims = 0;
  const std::uint64_t claimed = tail_sum();
  CreditedCount received;
  if (!received.start(claimed, ceiling)) ++implausible_claims;
  received_credit.store(received.credited(), std::memory_order_relaxed);
  std::uint64_t drops[3];
  read_drops(drops);
  for (int i = 0; i < 3; ++i) {
    if (!drop_credit[i].start(drops[i], ceiling)) ++implausible_claims;
  }
  return implausible_claims;
}

namespace {

bool read_bounds(const Client& c, std::uint32_t histogram, std::vector<std::int64_t>& out) {
  const std::uint32_t n = c.geo.bucket_count();
  const std::int64_t* src = c.region().bounds(histogram);
  out.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) out[i] = std::int64_t(load_shared_u64(src + i));
  for (std::uint32_t i = 1; i < n; ++i) {
    if (out[i] < out[i - 1]) {
      out.clear();
      return false;
    }
  }
  return n > 0;
}

// The cells read_values() reads for one valid descriptor (its bounds were copied at refresh).
std::uint64_t cells_read(const Descriptor& d, std::uint32_t shards) {
  switch (d.kind) {
    case MetricKind::kGauge:
      return 1;
    case MetricKind::kHistogram:
      return std::uint64_t(shards) *
             (sizeof(HistogramCellsHeader) / sizeof(std::uint64_t) + d.bounds.size());
    default:
      return shards;
  }
}

}  // namespace

std::uint64_t Client::refresh_descriptors() {
  std::lock_guard lock(meta_mu_);
  const DataHeader& h = header();
  std::uint32_t count = h.metric_count.load(std::memory_order_acquire);
  count = std::min(count, geo.params.metric_capacity);
  std::uint64_t bad = 0;
  const DataRegion r = region();
  for (; descriptors_seen_ < count; ++descriptors_seen_) {
    MetricDescriptor copy;
    std::memcpy(&copy, r.descriptor(descriptors_seen_), sizeof(copy));
    Descriptor d;
    auto name = read_fixed_name(copy.name, sizeof(copy.name));
    auto unit = read_fixed_name(copy.unit, sizeof(copy.unit));
    auto labels = read_fixed_name(copy.labels, sizeof(copy.labels));
    // Labels must be a canonical set (anything else could make two keys for one series); an
    // event type's only labelled descriptors are its levels, each at its place after the type.
    d.valid = name && !check_metric_name(*name) && copy.kind >= 1 && copy.kind <= 4 && labels;
    std::uint32_t level_of = 0;  // event level descriptors: the type they count for
    if (d.valid && !labels->empty()) {
      if (copy.kind != std::uint32_t(MetricKind::kEvent)) {
        d.valid = parse_labels(*labels).ok();
      } else {
        d.valid = false;
        for (std::uint32_t level = 0; level < kEventLevelCount; ++level) {
          if (*labels != event_level_labels(level) || descriptors_seen_ < 1 + level) continue;
          level_of = descriptors_seen_ - 1 - level;
          const Descriptor& type = descriptors_[level_of];
          d.valid = type.valid && type.kind == MetricKind::kEvent && type.labels.empty() &&
                    type.name == *name;
        }
      }
    }
    if (d.valid) {
      d.name = *name;
      d.labels = *labels;
      d.key = series_key(d.name, d.labels);
      d.unit = unit ? *unit : std::string();
      d.kind = MetricKind(copy.kind);
      d.histogram_index = copy.histogram_index;
      if (d.kind == MetricKind::kHistogram) {
        d.valid = copy.histogram_index < geo.params.histogram_capacity &&
                  read_bounds(*this, copy.histogram_index, d.bounds);
      }
    }
    if (!d.valid) ++bad;
    if (d.valid) read_cost_ += cells_read(d, geo.params.shard_count);
    if (d.valid && d.kind == MetricKind::kEvent && !d.labels.empty()) {
      descriptors_[level_of].level_cells.push_back(descriptors_seen_);
      read_cost_ += geo.params.shard_count;  // the type's total reads this cell too
    }
    descriptors_.push_back(std::move(d));
  }
  return bad;
}

std::uint32_t Client::descriptor_count() {
  std::lock_guard lock(meta_mu_);
  return std::uint32_t(descriptors_.size());
}

std::vector<Descriptor> Client::descriptors_copy() {
  std::lock_guard lock(meta_mu_);
  return descriptors_;
}

std::vector<Descriptor> Client::descriptors_from(std::size_t first) {
  std::lock_guard lock(meta_mu_);
  if (first >= descriptors_.size()) return {};
  return std::vector<Descriptor>(descriptors_.begin() + std::ptrdiff_t(first), descriptors_.end());
}

std::uint64_t Client::read_cost() {
  std::lock_guard lock(meta_mu_);
  return read_cost_;
}

std::shared_ptr<const ValueSnapshot> Client::snapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

void Client::keep_snapshot(std::shared_ptr<const ValueSnapshot> s) {
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = std::move(s);
}

std::string Client::metric_name(std::uint32_t index) {
  std::lock_guard lock(meta_mu_);
  if (index >= descriptors_.size() || !descriptors_[index].valid) return {};
  return descriptors_[index].key;
}

}  // namespace shmon::agent
