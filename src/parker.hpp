// Puts one thread to sleep until another wakes it: a futex word with a wake-up token.
//
// Protocol "Parker token". The word holds k_empty, k_notified or k_parked. unpark() stores the
// token (k_notified) and wakes the futex only when the owner is asleep (the word was k_parked).
// park() consumes a token if one is there and otherwise sleeps until one arrives, so an unpark
// that races ahead of park() is never lost: at most one token is kept, and a spurious futex
// return re-checks the word. Rejected: a mutex and condition variable per thread (two more
// syscalls per wake-up and a lock on the spawn path), and std::atomic::wait (no timeout).
#pragma once

#include "sync.hpp"

#include <cstdint>

namespace weft::detail {

class parker {
public:
    // Sleeps until unpark() (returns true) or until deadline_ns on the steady clock passes
    // (returns false); deadline_ns < 0 means no deadline. Only the owning thread calls it.
    // With spin_ns > 0 it first watches for a token that long without announcing the sleep, so
    // an unpark arriving meanwhile costs neither side a system call.
    bool park(std::int64_t deadline_ns = -1, std::int64_t spin_ns = 0) noexcept;
    // Wakes the owner, or makes its next park() return at once. Any thread may call it.
    void unpark() noexcept;

private:
    static constexpr std::int32_t k_empty = 0;
    static constexpr std::int32_t k_notified = 1;
    static constexpr std::int32_t k_parked = -1;
    // Written by the owner (park) and by wakers (unpark); the futex address.
    alignas(4) atomic<std::int32_t> m_state{k_empty};
};

// The steady clock in nanoseconds, the time base of every deadline in weft.
std::int64_t now_ns() noexcept;
// Whether a deadline (steady-clock ns; negative: none) has passed. An empty timer heap's earliest()
// is none too.
inline bool deadline_passed(std::int64_t deadline_ns) noexcept { return deadline_ns >= 0 && now_ns() >= deadline_ns; }

}  // namespace weft::detail
