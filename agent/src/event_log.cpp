// SPDX-License-Identifier: Apache-2.0
#include "event_log.hpp"

#include <algorithm>
#include <cstring>

namespace shmon::agent {

namespace {
std::atomic<std::uint32_t> g_next_source{1};
}

std::uint32_t next_event_source_id() {
  std::uint32_t id = g_next_source.fetch_add(1, std::memory_order_relaxed);
  if (id == 0) id = g_next_source.fetch_add(1, std::memory_order_relaxed);  // after 2^32 sources
  return id;
}

void raise_event_source_floor(std::uint32_t floor) {
  std::uint32_t cur = g_next_source.load(std::memory_order_relaxed);
  while (cur < floor && !g_next_source.compare_exchange_weak(cur, floor)) {
  }
}

// Default-initialised on purpose: the pages are only touched as events arrive.
EventLog::EventLog(std::uint64_t capacity)
    : capacity_(capacity),
      mask_(capacity - 1),
      own_records_(new EventRecord[capacity]),
      own_sources_(new std::uint32_t[capacity]),
      records_(own_records_.get()),
      sources_of_(own_sources_.get()) {}

void EventLog::use_file(EventLogFile file, const std::vector<EventSourcePtr>& sources) {
  std::lock_guard lock(mu_);
  file_ = std::move(file);
  capacity_ = file_.capacity();
  mask_ = capacity_ - 1;
  records_ = file_.records();
  sources_of_ = file_.source_ids();
  own_records_.reset();
  own_sources_.reset();
  next_ = std::max<std::uint64_t>(1, file_.header()->next_seq.load(std::memory_order_acquire));
  sources_.clear();
  for (const auto& src : sources) sources_.emplace(src->id, src);
  last_source_ = 0;
  prune_at_ = std::max<std::uint64_t>(64, sources_.size() * 2);
}

void EventLog::set_source_sink(std::function<void(const EventSource&)> sink) {
  std::lock_guard lock(mu_);
  sink_ = std::move(sink);
}

std::vector<std::uint32_t> EventLog::source_ids() const {
  std::lock_guard lock(mu_);
  std::vector<std::uint32_t> ids;
  ids.reserve(sources_.size());
  for (const auto& [id, s] : sources_) ids.push_back(id);
  return ids;
}

void EventLog::publish_locked(std::uint64_t next) {
  next_ = next;
  // Release: a reader of the file after a crash sees every record below next_seq.
  if (file_.valid()) file_.header()->next_seq.store(next, std::memory_order_release);
}

void EventLog::keep_source_locked(const EventSourcePtr& src) {
  if (src->id == last_source_) return;
  last_source_ = src->id;
  if (!sources_.emplace(src->id, src).second) return;
  if (sink_) sink_(*src);
  if (sources_.size() < prune_at_) return;
  // Drop sources that no record still kept refers to and that no client holds any more.
  std::vector<bool> used(sources_.size(), false);
  std::unordered_map<std::uint32_t, std::size_t> index;
  std::size_t i = 0;
  for (const auto& [id, s] : sources_) index[id] = i++;
  const std::uint64_t oldest = next_ > capacity_ ? next_ - capacity_ : 1;
  std::uint32_t previous = 0;  // runs of records share a source: look each run up once
  for (std::uint64_t seq = oldest; seq < next_; ++seq) {
    const std::uint32_t sid = sources_of_[seq & mask_];
    if (sid == previous) continue;
    previous = sid;
    if (auto it = index.find(sid); it != index.end()) used[it->second] = true;
  }
  i = 0;
  for (auto it = sources_.begin(); it != sources_.end(); ++i) {
    const bool held = it->second.use_count() > 1 || it->first == src->id;
    it = used[i] || held ? std::next(it) : sources_.erase(it);
  }
  prune_at_ = std::max<std::uint64_t>(64, sources_.size() * 2);
}

std::uint64_t EventLog::append_from_ring(const EventRecord* ring, std::uint64_t mask,
                                         std::uint64_t first, std::uint64_t n,
                                         const EventSourcePtr& src, const DrainMark& mark) {
  const std::uint64_t kMask = mask_;
  const EventSource& s = *src;
  std::lock_guard lock(mu_);
  keep_source_locked(src);
  std::uint64_t seq = next_;
  for (std::uint64_t i = 0; i < n; ++i) {
    // Copy first, validate the private copy: the client may rewrite its ring at any time. A bad
    // record is overwritten by the next one (seq does not advance).
    EventRecord& dst = records_[seq & kMask];
    std::memcpy(&dst, &ring[(first + i) & mask], sizeof(EventRecord));
    sources_of_[seq & kMask] = s.id;
    seq += valid_record(dst, s) ? 1 : 0;
  }
  const std::uint64_t bad = n - (seq - next_);
  if (file_.valid()) {
    if (JournalEntry* j = file_.journal(mark.slot, mark.shard)) {
      j->write(mark.incarnation, mark.tail_after, seq);
    }
  }
  publish_locked(seq);
  return bad;
}

void EventLog::append(std::span<const EventRecord> records, const EventSourcePtr& src) {
  std::lock_guard lock(mu_);
  keep_source_locked(src);
  std::uint64_t seq = next_;
  for (const EventRecord& r : records) {
    records_[seq & mask_] = r;
    sources_of_[seq & mask_] = src->id;
    ++seq;
  }
  publish_locked(seq);
}

std::uint64_t EventLog::next_seq() const {
  std::lock_guard lock(mu_);
  return next_;
}

EventPage EventLog::read(std::uint64_t cursor, std::size_t max, std::string_view filter) const {
  std::lock_guard lock(mu_);
  EventPage page;
  page.oldest = next_ > capacity_ ? next_ - capacity_ : 1;
  std::uint64_t seq = std::max(cursor, page.oldest);
  const EventSource* src = nullptr;
  for (; seq < next_ && page.events.size() < max; ++seq) {
    const EventRecord& r = records_[seq & mask_];
    const std::uint32_t sid = sources_of_[seq & mask_];
    if (src == nullptr || src->id != sid) {
      const auto it = sources_.find(sid);
      src = it == sources_.end() ? nullptr : it->second.get();
    }
    static const std::string kUnknown = "?";
    const std::string& client = src != nullptr ? src->client : kUnknown;
    const std::string& name =
        src != nullptr && r.id < src->names.size() ? src->names[r.id] : kUnknown;
    if (!filter.empty() && filter != name && filter != client) continue;
    LoggedEvent e{};
    e.seq = seq;
    e.ts_ns = r.timestamp_ns;
    e.slot = src != nullptr ? src->slot : 0;
    e.pid = src != nullptr ? src->pid : 0;
    e.level = r.level;
    e.payload_kind = r.payload_kind;
    e.payload_size = std::uint8_t(std::min<std::uint32_t>(r.payload_size, kEventPayloadCapacity));
    std::memcpy(e.payload, r.payload, e.payload_size);
    std::memcpy(e.client, client.data(), std::min(client.size(), sizeof(e.client) - 1));
    std::memcpy(e.name, name.data(), std::min(name.size(), sizeof(e.name) - 1));
    page.events.push_back(e);
  }
  page.next = seq;
  page.end = next_;
  return page;
}

}  // namespace shmon::agent
