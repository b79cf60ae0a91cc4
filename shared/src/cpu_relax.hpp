// SPDX-License-Identifier: Apache-2.0
// One busy-wait step for the spin phases of the client mutex and the auto-reset event: tells the
// core (and a hyperthread sibling) that we are spinning. Internal to shared/src.
#pragma once

namespace shmon {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace shmon
