// SPDX-License-Identifier: Apache-2.0
// The two fences of every seqlock in a shared region (the mailbox request, the directory, the
// command area), in one place.
//
// A writer zeroes the sequence word, then writes the body, then stores the new sequence with
// release: seqlock_invalidate() orders the zero before any byte of the body. A reader loads the
// sequence with acquire, copies the body, then calls seqlock_recheck(): the copy is complete
// before the word is read again; a different value means the copy may be torn.
//
// TSan does not model fences (GCC rejects them under -fsanitize=thread), so in that build the
// same orderings come from operations on the word itself: an exchange for the writer (its
// mapping is writable) and a seq_cst load for the reader (the directory is mapped read-only, so
// no read-modify-write there). The peers are other processes, which TSan does not see anyway.
#pragma once

#include <atomic>

namespace shmon {

// REQUIRES: the caller is the only writer of `word` and of the body it guards.
template <typename T>
inline void seqlock_invalidate(std::atomic<T>& word) {
#if defined(__SANITIZE_THREAD__)
  word.exchange(T{}, std::memory_order_acq_rel);
#else
  word.store(T{}, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
#endif
}

// Returns the word as it is after the body was copied.
template <typename T>
inline T seqlock_recheck(const std::atomic<T>& word) {
#if defined(__SANITIZE_THREAD__)
  return word.load(std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_acquire);
  return word.load(std::memory_order_relaxed);
#endif
}

}  // namespace shmon
