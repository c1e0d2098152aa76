// The futex-based parker; see "Parker token" in parker.hpp.
#include "parker.hpp"

#include <cerrno>
#include <climits>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace weft::detail {

namespace {
std::int32_t *futex_address(atomic<std::int32_t> &a) noexcept {
#if defined(WEFT_CHAOS)
    return reinterpret_cast<std::int32_t *>(&a.raw());
#else
    return reinterpret_cast<std::int32_t *>(&a);
#endif
}

void futex_wait(atomic<std::int32_t> &word, std::int32_t expected, std::int64_t deadline_ns) noexcept {
    timespec ts{};
    timespec *tsp = nullptr;
    if (deadline_ns >= 0) {
        std::int64_t rel = deadline_ns - now_ns();
        if (rel <= 0) return;
        ts.tv_sec = static_cast<time_t>(rel / 1000000000);
        ts.tv_nsec = static_cast<long>(rel % 1000000000);
        tsp = &ts;
    }
    syscall(SYS_futex, futex_address(word), FUTEX_WAIT_PRIVATE, expected, tsp, nullptr, 0);
}

void futex_wake_one(atomic<std::int32_t> &word) noexcept {
    syscall(SYS_futex, futex_address(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}
}  // namespace

std::int64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool parker::park(std::int64_t deadline_ns, std::int64_t spin_ns) noexcept {
    if (spin_ns > 0) {
        // Spinning leaves the state k_empty: an unpark meanwhile only stores the token.
        const std::int64_t end = now_ns() + spin_ns;
        for (;;) {
            for (int i = 0; i < 64; ++i) {
                if (m_state.load(std::memory_order_relaxed) == k_notified) {
                    // Only the owner takes the token away, so it is still there: consume it.
                    m_state.exchange(k_empty, std::memory_order_acquire);
                    return true;
                }
                cpu_relax();
            }
            const std::int64_t now = now_ns();
            if (now >= end || (deadline_ns >= 0 && now >= deadline_ns)) break;
        }
    }
    // k_notified -> k_empty consumes the token; k_empty -> k_parked announces the sleep.
    // Acquire pairs with the release in unpark(), so what the waker wrote before is visible.
    if (m_state.fetch_sub(1, std::memory_order_acquire) == k_notified) return true;
    for (;;) {
        futex_wait(m_state, k_parked, deadline_ns);
        std::int32_t expected = k_notified;
        if (m_state.compare_exchange_strong(expected, k_empty, std::memory_order_acquire,
                                            std::memory_order_relaxed))
            return true;
        if (deadline_passed(deadline_ns)) {
            // Leave the parked state; a token that arrived meanwhile is consumed here.
            return m_state.exchange(k_empty, std::memory_order_acquire) == k_notified;
        }
    }
}

void parker::unpark() noexcept {
    // Release pairs with the acquire in park().
    if (m_state.exchange(k_notified, std::memory_order_release) == k_parked) futex_wake_one(m_state);
}

}  // namespace weft::detail
