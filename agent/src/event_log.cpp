#include "event_log.hpp"

#include <algorithm>

namespace shmon::agent {

// Default-initialised on purpose: the pages are only touched as events arrive.
EventLog::EventLog() : ring_(new LoggedEvent[kCapacity]) {}

void EventLog::append(std::span<LoggedEvent> events) {
  std::lock_guard lock(mu_);
  for (LoggedEvent& e : events) {
    e.seq = next_++;
    ring_[e.seq % kCapacity] = e;
  }
}

std::uint64_t EventLog::next_seq() const {
  std::lock_guard lock(mu_);
  return next_;
}

EventPage EventLog::read(std::uint64_t cursor, std::size_t max, std::string_view filter) const {
  std::lock_guard lock(mu_);
  EventPage page;
  page.oldest = next_ > kCapacity ? next_ - kCapacity : 1;
  std::uint64_t seq = std::max(cursor, page.oldest);
  for (; seq < next_ && page.events.size() < max; ++seq) {
    const LoggedEvent& e = ring_[seq % kCapacity];
    if (!filter.empty() && filter != e.name && filter != e.client) continue;
    page.events.push_back(e);
  }
  page.next = seq;
  return page;
}

}  // namespace shmon::agent
