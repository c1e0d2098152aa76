// Shared helpers for weft's tests: iteration scaling under sanitizers and chaos, tracked values,
// watchdogs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "build_flavour.hpp"

namespace weft_test {

inline constexpr bool k_chaos_build = k_chaos;

// Divides iteration counts: 10 under TSan or chaos, 4 under ASan; WEFT_TEST_SCALE overrides.
inline int scale_divisor() {
    if (const char *env = std::getenv("WEFT_TEST_SCALE")) {
        const int v = std::atoi(env);
        if (v > 0) return v;
    }
    if (k_tsan || k_chaos_build) return 10;
    if (k_sanitized) return 4;
    return 1;
}
inline int scaled(int n, int minimum = 1) {
    const int v = n / scale_divisor();
    return v < minimum ? minimum : v;
}

// True when WEFT_TEST_FULL_SIZES is set: the scale tests then run at the sizes of the requirements
// (10M-task bursts, chains of a million, 100,000 sleepers) instead of the smaller sizes that
// still show each property (each test says why its size suffices).
inline bool full_sizes() { return std::getenv("WEFT_TEST_FULL_SIZES") != nullptr; }

// A value that counts its live instances and destructor calls, to check results are destroyed
// exactly once.
struct counters {
    std::atomic<std::int64_t> constructed{0};
    std::atomic<std::int64_t> destroyed{0};
    std::int64_t live() const { return constructed.load() - destroyed.load(); }
};
class tracked {
public:
    tracked(counters *c, int v) : m_c(c), m_v(v) { m_c->constructed.fetch_add(1); }
    tracked(tracked &&o) noexcept : m_c(o.m_c), m_v(o.m_v) { m_c->constructed.fetch_add(1); }
    tracked(const tracked &o) : m_c(o.m_c), m_v(o.m_v) { m_c->constructed.fetch_add(1); }
    tracked &operator=(const tracked &) = delete;
    ~tracked() {
        m_c->destroyed.fetch_add(1);
        m_v = -1;
    }
    int value() const { return m_v; }

private:
    counters *m_c;
    int m_v;
};

// Small deterministic generator for seeded random mixes.
struct xorshift {
    std::uint64_t s;
    explicit xorshift(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
};

// Runs fn on its own thread and waits for it. If it has not returned after `limit`, the process
// exits with a message naming the hang: threads stuck inside a runtime cannot be unwound, and a
// clear failure beats a ctest timeout. The limit detects hangs; it never synchronises anything.
inline void finishes_within(std::chrono::seconds limit, const std::string &what, std::function<void()> fn) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread t([&] {
        fn();
        std::lock_guard lock(m);
        done = true;
        cv.notify_all();
    });
    std::unique_lock lock(m);
    if (!cv.wait_for(lock, limit, [&] { return done; })) {
        std::fprintf(stderr, "HANG: %s did not finish within %lld s\n", what.c_str(), static_cast<long long>(limit.count()));
        std::fflush(stderr);
        std::_Exit(3);
    }
    lock.unlock();
    t.join();
}

// The limit of the tests' watchdogs (finishes_within, spin_until, timed waits that stand for an
// untimed one). It only turns a hang into a failure: the slowest test of the slowest build (chaos
// beside two busy loops) needs well under a minute, and ctest's own timeout is 300 s.
inline constexpr std::chrono::seconds k_watchdog{120};

// Busy-waits (yielding) until pred holds. If it still does not after k_watchdog, the process exits
// with a message naming the wait, as finishes_within does: a predicate that never comes true is a
// liveness failure of the runtime. The limit never synchronises anything.
template <class Pred>
void spin_until(Pred pred, const char *what = "spin_until") {
    const auto give_up = std::chrono::steady_clock::now() + k_watchdog;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > give_up) {
            std::fprintf(stderr, "HANG: %s did not come true within %lld s\n", what,
                         static_cast<long long>(k_watchdog.count()));
            std::fflush(stderr);
            std::_Exit(3);
        }
        std::this_thread::yield();
    }
}

}  // namespace weft_test
