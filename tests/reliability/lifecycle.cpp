// Runtime lifecycle under load: shutdown with queued work, spawns into a closing runtime, default-runtime restarts.
#include "common.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

// The destructor runs everything already queued, and what that spawns, then joins.
TEST(ReliabilityLifecycle, ShutdownWithQueuedWorkRunsEverything) {
    const int reps = static_cast<int>(rel::scaled(20, 5, 3, 3));
    const int tasks = static_cast<int>(rel::scaled(200'000, 30'000, 10'000, 5'000));
    double longest = 0;
    for (int rep = 0; rep < reps; ++rep) {
        std::atomic<int> ran{0};
        auto rt = std::make_unique<weft::runtime>(weft::options{2, 0, 0});
        for (int i = 0; i < tasks; ++i) {
            rt->spawn_detached([&ran, i] {
                ran.fetch_add(1, std::memory_order_relaxed);
                if (i % 4 == 0) weft::spawn_detached([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
            });
        }
        const auto t0 = std::chrono::steady_clock::now();
        rel::finishes_within(120s, "runtime destructor with queued work", [&] { rt.reset(); });
        longest = std::max(longest, rel::seconds_since(t0));
        EXPECT_EQ(ran.load(), tasks + (tasks + 3) / 4);
    }
    rel::figure("longest_shutdown_with_" + std::to_string(tasks) + "_queued", longest * 1000.0, "ms");
}

struct counted {
    static inline std::atomic<int> live{0};
    counted() { live.fetch_add(1); }
    counted(const counted &) { live.fetch_add(1); }
    counted(counted &&) noexcept { live.fetch_add(1); }
    ~counted() { live.fetch_sub(1); }
};

// A spawn refused with runtime_closed must still destroy the closure it was given (captured
// objects would otherwise leak: a shared_ptr, a file, a lock guard's owner...).
TEST(ReliabilityLifecycle, SpawnIntoAClosingRuntimeThrowsAndDestroysTheClosure) {
    for (int kind = 0; kind < 3; ++kind) {
        counted::live.store(0);
        std::atomic<bool> release{false};
        std::atomic<int> ran{0};
        auto rt = std::make_unique<weft::runtime>(weft::options{2, 0, 0});
        weft::runtime *raw = rt.get();
        // Keeps the runtime draining (so it stays in the closing state) until released.
        rt->spawn_detached([&] {
            while (!release.load()) std::this_thread::yield();
        });
        std::thread closer([&] { rt.reset(); });
        bool refused = false;
        while (!refused) {  // spawn until the closing runtime refuses
            try {
                if (kind == 0) {
                    auto f = raw->spawn([c = counted(), &ran] { ran.fetch_add(1); });
                } else if (kind == 1) {
                    raw->spawn_detached([c = counted(), &ran] { ran.fetch_add(1); });
                } else {
                    weft::task_group g(*raw);
                    g.spawn([c = counted(), &ran] { ran.fetch_add(1); });
                    g.wait();
                }
            } catch (const weft::runtime_closed &) {
                refused = true;
            }
        }
        // Closures of spawns accepted before the refusal may still be queued here; once the
        // runtime is gone every closure, the refused one included, must have been destroyed.
        release.store(true);
        closer.join();
        EXPECT_EQ(counted::live.load(), 0) << "kind " << kind << ": a closure (the refused spawn's?) was never destroyed";
    }
}

// Threads spawn into the default runtime (C and C++ APIs) while another stops and restarts it.
// Spawns may be refused while it stops (ECANCELED / runtime_closed); afterwards the runtime's
// books must balance and weft_wait_all must return.
TEST(ReliabilityLifecycle, DefaultRuntimeShutdownRacingSpawnsKeepsTheBooks) {
    const int rounds = static_cast<int>(rel::scaled(300, 60, 30, 30));
    std::atomic<bool> stop{false};
    std::atomic<long> ran{0}, refused{0}, accepted{0};
    std::vector<std::thread> spawners;
    for (int t = 0; t < 2; ++t) {
        spawners.emplace_back([&, t] {
            while (!stop.load()) {
                if (t == 0) {
                    weft_future *f = weft_spawn(
                        [](void *p) -> void * {
                            static_cast<std::atomic<long> *>(p)->fetch_add(1);
                            return p;
                        },
                        &ran);
                    if (f) {
                        accepted.fetch_add(1);
                        weft_await(f);
                    } else {
                        EXPECT_EQ(errno, ECANCELED);
                        refused.fetch_add(1);
                    }
                } else {
                    try {
                        weft::spawn_detached([&] { ran.fetch_add(1); });
                        accepted.fetch_add(1);
                    } catch (const weft::runtime_closed &) {
                        refused.fetch_add(1);
                    }
                }
            }
        });
    }
    for (int i = 0; i < rounds; ++i) {
        weft_shutdown();
        std::this_thread::yield();
    }
    stop.store(true);
    for (auto &t : spawners) t.join();
    weft_shutdown();
    const weft_stats_t s = weft_stats();
    std::fprintf(stderr, "default runtime: %ld spawns accepted, %ld refused; stats spawned %llu executed %llu\n",
                 accepted.load(), refused.load(), static_cast<unsigned long long>(s.spawned),
                 static_cast<unsigned long long>(s.executed));
    EXPECT_EQ(ran.load(), accepted.load());
    // After a full stop every accepted spawn has run: the books must balance exactly.
    ASSERT_EQ(s.spawned, s.executed) << "the default runtime's spawn/execute counters disagree after shutdown";
    ASSERT_EQ(weft_init(2), 0);
    rel::finishes_within(60s, "weft_wait_all after restarts", [] {
        weft_future *f = weft_spawn([](void *p) { return p; }, nullptr);
        weft_await(f);
        weft_wait_all();
    });
    weft_shutdown();
}

}  // namespace
