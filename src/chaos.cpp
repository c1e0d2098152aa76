// Chaos mode's perturbation source: seeded, printed, replayable (see sync.hpp).
#include "sync.hpp"

#if defined(WEFT_CHAOS)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sched.h>
#include <thread>

namespace weft::detail {

namespace {
std::uint64_t initial_seed() noexcept {
    std::uint64_t seed;
    if (const char *env = std::getenv("WEFT_CHAOS_SEED")) {
        seed = std::strtoull(env, nullptr, 10);
    } else {
        seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    std::fprintf(stderr, "weft chaos mode: WEFT_CHAOS_SEED=%llu\n", static_cast<unsigned long long>(seed));
    return seed;
}
std::atomic<std::uint64_t> g_thread_counter{0};
thread_local bool t_chaos_enabled = true;  // this thread's switch (set_chaos_enabled_for_this_thread)

std::uint64_t &thread_state() noexcept {
    thread_local std::uint64_t state = 0;
    if (state == 0) {
        // Each thread's stream derives from the seed and its creation order.
        state = (chaos_seed() + 0x9E3779B97F4A7C15ull * (g_thread_counter.fetch_add(1) + 1)) | 1;
    }
    return state;
}
}  // namespace

std::uint64_t chaos_seed() noexcept {
    static const std::uint64_t seed = initial_seed();
    return seed;
}

std::uint32_t chaos_random(std::uint32_t bound) noexcept {
    return static_cast<std::uint32_t>(xorshift64(thread_state()) % bound);
}

void set_chaos_enabled_for_this_thread(bool on) noexcept { t_chaos_enabled = on; }

void chaos_point() noexcept {
    if (!t_chaos_enabled) return;
    const std::uint64_t r = xorshift64(thread_state()) % 1024;
    if (r < 64) {
        sched_yield();  // 1 in 16: let another thread run here
    } else if (r < 66) {
        std::this_thread::sleep_for(std::chrono::microseconds(20));  // 1 in 512: a longer stall
    }
}

}  // namespace weft::detail
#endif
