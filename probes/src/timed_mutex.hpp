// SPDX-License-Identifier: Apache-2.0
// A timed mutex built on std::mutex::try_lock and short sleeps. std::timed_mutex would do, but
// libstdc++ implements its timed waits with pthread_mutex_clocklock, which ThreadSanitizer does
// not intercept (every unlock is then reported as "unlock of an unlocked mutex"). Only calls and
// attach use it. It yields a few times first (a call holds it for about a microsecond), then
// sleeps 50 us growing to 1 ms: that granularity is noise next to an attach.
#pragma once

#include <chrono>
#include <mutex>
#include <thread>

namespace shmon::detail {

class TimedMutex {
 public:
  void lock() { m_.lock(); }
  bool try_lock() { return m_.try_lock(); }
  void unlock() { m_.unlock(); }

  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return try_lock_until(std::chrono::steady_clock::now() + d);
  }
  template <class Clock, class Duration>
  bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
    for (int i = 0; i < 64; ++i) {
      if (m_.try_lock()) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::yield();
    }
    auto pause = std::chrono::microseconds(50);
    for (;;) {
      if (m_.try_lock()) return true;
      const auto now = Clock::now();
      if (now >= deadline) return false;
      std::this_thread::sleep_for(std::min<typename Clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }

 private:
  std::mutex m_;
};

}  // namespace shmon::detail
