// SPDX-License-Identifier: Apache-2.0
#include "shmon/stop_signal.hpp"

#include <csignal>
#include <ctime>

namespace shmon {
namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
  g_stop = 1;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() {
  return g_stop != 0;
}

bool sleep_unless_stopped(std::uint32_t ms) {
  // Short slices: a signal that lands between the check and the sleep costs at most one slice.
  constexpr std::uint32_t kSliceMs = 20;
  while (ms > 0 && !stop_requested()) {
    const std::uint32_t slice = ms < kSliceMs ? ms : kSliceMs;
    timespec ts{0, long(slice) * 1'000'000L};
    nanosleep(&ts, nullptr);
    ms -= slice;
  }
  return !stop_requested();
}

}  // namespace shmon
