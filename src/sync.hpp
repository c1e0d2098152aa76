// The one seam every scheduler atomic and fence goes through, so a chaos build can perturb them.
//
// In a normal build `detail::atomic<T>` is `std::atomic<T>` and costs nothing. With WEFT_CHAOS
// defined, every operation first passes a chaos point that, driven by a seeded generator, yields
// the thread or sleeps briefly; the seed is printed once and can be replayed with WEFT_CHAOS_SEED.
// The task cell's state word lives in a public header and stays a plain std::atomic; the
// scheduler's own structures (queues, injector, idle bookkeeping, parker) use this seam.
#pragma once

#include <atomic>
#include <cstdint>

namespace weft::detail {

#if defined(WEFT_CHAOS)
inline constexpr bool k_chaos = true;
void chaos_point() noexcept;
// Random in [0, bound), from the calling thread's chaos generator.
std::uint32_t chaos_random(std::uint32_t bound) noexcept;
std::uint64_t chaos_seed() noexcept;

template <class T>
class atomic {
public:
    constexpr atomic() noexcept = default;
    constexpr atomic(T v) noexcept : m_v(v) {}
    T load(std::memory_order o = std::memory_order_seq_cst) const noexcept {
        chaos_point();
        return m_v.load(o);
    }
    void store(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
        chaos_point();
        m_v.store(v, o);
    }
    T exchange(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
        chaos_point();
        return m_v.exchange(v, o);
    }
    bool compare_exchange_strong(T &e, T d, std::memory_order o = std::memory_order_seq_cst) noexcept {
        chaos_point();
        return m_v.compare_exchange_strong(e, d, o);
    }
    bool compare_exchange_strong(T &e, T d, std::memory_order s, std::memory_order f) noexcept {
        chaos_point();
        return m_v.compare_exchange_strong(e, d, s, f);
    }
    bool compare_exchange_weak(T &e, T d, std::memory_order s, std::memory_order f) noexcept {
        chaos_point();
        return m_v.compare_exchange_weak(e, d, s, f);
    }
    T fetch_add(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
        chaos_point();
        return m_v.fetch_add(v, o);
    }
    T fetch_sub(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
        chaos_point();
        return m_v.fetch_sub(v, o);
    }
    T fetch_or(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
        chaos_point();
        return m_v.fetch_or(v, o);
    }
    T fetch_and(T v, std::memory_order o = std::memory_order_seq_cst) noexcept {
        chaos_point();
        return m_v.fetch_and(v, o);
    }
    std::atomic<T> &raw() noexcept { return m_v; }

private:
    std::atomic<T> m_v{};
};

inline void fence(std::memory_order o) noexcept {
    chaos_point();
    std::atomic_thread_fence(o);
}
#else
inline constexpr bool k_chaos = false;
inline void chaos_point() noexcept {}
inline std::uint32_t chaos_random(std::uint32_t) noexcept { return 0; }
template <class T>
using atomic = std::atomic<T>;
inline void fence(std::memory_order o) noexcept { std::atomic_thread_fence(o); }
#endif

// Spin-wait hint for the few bounded spin loops.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

inline constexpr std::size_t k_cache_line = 64;

// Marsaglia's xorshift64: a cheap, good-enough random stream for victim choice and chaos points.
inline std::uint64_t xorshift64(std::uint64_t &state) noexcept {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

}  // namespace weft::detail
