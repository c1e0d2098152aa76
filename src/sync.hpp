// The one seam every scheduler atomic and fence goes through, so a chaos build can perturb them.
//
// In a normal build `detail::atomic<T>` is `std::atomic<T>` and costs nothing. With WEFT_CHAOS
// defined, every operation first passes a chaos point that, driven by a seeded generator, yields
// the thread or sleeps briefly; the seed is printed once and can be replayed with WEFT_CHAOS_SEED.
// The task cell's state word lives in a public header and stays a plain std::atomic; the
// scheduler's own structures (queues, injector, idle bookkeeping, parker) use this seam.
//
// Fences under ThreadSanitizer ("Fence stand-in"). TSan does not model std::atomic_thread_fence
// (GCC warns with -Wtsan): a fence creates no edge TSan can see. So in a TSan build
// `fence(seq_cst)` is a seq_cst fetch_add on one dedicated atomic, g_fence_stand_in, an operation
// TSan does model. Each of weft's fences closes a store-buffering (Dekker) pair: a store, the fence,
// then a load of the variable the other side writes with a seq_cst read-modify-write (the call
// sites name the pair). On x86-64, where the TSan builds run, a seq_cst read-modify-write is a full
// barrier (a locked instruction), and the compiler may move no memory access across it, so the
// stand-in keeps that guarantee. In TSan's model the stand-ins are totally ordered (all modify one
// word) and each synchronises with the one before it. What this does not reproduce: the acquire
// half of a fence after a relaxed load that read a release store, and the release half of a fence
// before a relaxed store; no weft fence is used that way (each pairs with a named seq_cst
// operation). What it adds: an edge from every stand-in to the next, even between threads that
// share nothing else, which can hide from TSan a race ordered only by two unrelated fences; the
// fences sit on the spawn-and-notify and idle-waiter paths, where the queues and the parking lot
// already order the threads involved. Only TSan builds pay for the contended word.
// Rejected: silencing -Wtsan (TSan stays blind to the fences), and strengthening the loads next to
// each fence to read-modify-writes under TSan (a different protocol per build).
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN_FENCES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN_FENCES 1
#endif
#endif

namespace weft::detail {

#if defined(WEFT_TSAN_FENCES)
// See "Fence stand-in" above. Written and read only by thread_fence, by every thread that issues a
// weft fence; its value means nothing.
inline std::atomic<std::uint64_t> g_fence_stand_in{0};
inline void thread_fence(std::memory_order o) noexcept {
    // seq_cst whatever `o` asked for: as the fence it replaces, pairs with the seq_cst operation
    // named at the call site; acq_rel with the previous stand-in in this word's modification order.
    (void)o;
    g_fence_stand_in.fetch_add(1, std::memory_order_seq_cst);
}
#else
inline void thread_fence(std::memory_order o) noexcept { std::atomic_thread_fence(o); }
#endif

#if defined(WEFT_CHAOS)
inline constexpr bool k_chaos = true;
void chaos_point() noexcept;
// Switches the calling thread's chaos points off (false) or on again (true). For tests of what one
// thread alone sees of a structure: there a perturbation has nothing to race with, and each of its
// yields costs a whole time slice on a busy machine.
void set_chaos_enabled_for_this_thread(bool on) noexcept;
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
    thread_fence(o);
}
#else
inline constexpr bool k_chaos = false;
inline void chaos_point() noexcept {}
inline void set_chaos_enabled_for_this_thread(bool) noexcept {}
inline std::uint32_t chaos_random(std::uint32_t) noexcept { return 0; }
template <class T>
using atomic = std::atomic<T>;
inline void fence(std::memory_order o) noexcept { thread_fence(o); }
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
