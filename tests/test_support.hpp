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
#include <semaphore>
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

// A second thread for race tests that run many short rounds: it runs one action per round when the
// test starts the round. Starting a thread per round instead costs a whole time slice on a busy
// machine (the scheduler places a new thread behind the running ones, while a woken thread runs
// soon), which made such tests take minutes beside busy processes.
class round_partner {
public:
    round_partner() : m_thread([this] { serve(); }) {}
    round_partner(const round_partner &) = delete;
    round_partner &operator=(const round_partner &) = delete;
    ~round_partner() {
        m_stopping = true;
        m_go.release();
        m_thread.join();
    }

    // Runs action on the partner thread; returns at once. The action must not outlive the round:
    // finish() waits for it.
    void start(std::function<void()> action) {
        m_action = std::move(action);
        m_begun.store(false, std::memory_order_relaxed);
        m_go.release();
    }
    // Waits a bounded number of spins for the action to begin, so that what the caller does next
    // overlaps it in most rounds. Gives up quietly: the rounds race either way, only less often.
    void wait_until_begun(int spins = 20'000) const {
        for (int i = 0; i < spins && !m_begun.load(std::memory_order_acquire); ++i) {
        }
    }
    void finish() { m_done.acquire(); }

private:
    void serve() {
        for (;;) {
            m_go.acquire();
            if (m_stopping) return;
            m_begun.store(true, std::memory_order_release);
            m_action();
            m_done.release();
        }
    }

    std::function<void()> m_action;  // written by the test thread before m_go's release
    bool m_stopping = false;         // likewise
    std::atomic<bool> m_begun{false};
    std::binary_semaphore m_go{0}, m_done{0};
    std::thread m_thread;  // last: starts after every other member exists
};

}  // namespace weft_test
