// Liveness: no starvation, a blocked worker does not stop the rest, waits never strand work, idle CPU.
#include "common.hpp"

#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

// Two tasks that keep spawning each other, on one worker, while a third task is queued. The delay
// is counted in ping-pong tasks run before the third one, never in time.
struct ping_pong {
    std::atomic<bool> third_ran{false};
    std::atomic<std::uint64_t> bounces{0};
    std::atomic<std::uint64_t> bounces_when_third_ran{0};
    static constexpr std::uint64_t k_give_up = 1'000'000;

    void bounce() {
        const std::uint64_t n = bounces.fetch_add(1) + 1;
        if (third_ran.load() || n >= k_give_up) return;
        weft::spawn_detached([this] { bounce(); });
    }
    void third() {
        bounces_when_third_ran.store(bounces.load());
        third_ran.store(true);
    }
};

std::uint64_t g_worst_starvation = 0;

TEST(ReliabilityLiveness, PingPongDoesNotStarveATaskInTheSameQueue) {
    for (int rep = 0; rep < 20; ++rep) {
        ping_pong pp;
        {
            weft::runtime rt(weft::options{1, 0, 0});
            rt.spawn([&] {
                weft::spawn_detached([&] { pp.third(); });  // queued behind the ping-pong below
                weft::spawn_detached([&] { pp.bounce(); });
            }).get();
            rt.wait_idle();
        }
        ASSERT_TRUE(pp.third_ran.load());
        const std::uint64_t d = pp.bounces_when_third_ran.load();
        g_worst_starvation = std::max(g_worst_starvation, d);
        EXPECT_LE(d, 1000u) << "the queued task waited behind " << d << " ping-pong tasks";
    }
    rel::figure("worst_starvation_same_queue", static_cast<double>(g_worst_starvation), "tasks");
}

TEST(ReliabilityLiveness, PingPongDoesNotStarveATaskSpawnedFromOutside) {
    std::uint64_t worst = 0;
    for (int rep = 0; rep < 20; ++rep) {
        ping_pong pp;
        {
            weft::runtime rt(weft::options{1, 0, 0});
            rt.spawn_detached([&] { pp.bounce(); });
            while (pp.bounces.load() < 10) std::this_thread::yield();  // the ping-pong is under way
            const std::uint64_t at_spawn = pp.bounces.load();
            rt.spawn_detached([&] { pp.third(); });  // through the injector
            rt.wait_idle();
            ASSERT_TRUE(pp.third_ran.load());
            const std::uint64_t d = pp.bounces_when_third_ran.load() - at_spawn;
            worst = std::max(worst, d);
            EXPECT_LE(d, 1000u) << "the injected task waited behind " << d << " ping-pong tasks";
        }
    }
    rel::figure("worst_starvation_injected", static_cast<double>(worst), "tasks");
}

// A task blocks its worker on a latch that only the other tasks release: the other worker must
// drain them all (from the injector, or stolen from the blocked worker's own queue).
TEST(ReliabilityLiveness, ABlockedWorkerDoesNotStopTheOthers) {
    const int reps = static_cast<int>(rel::scaled(200, 50, 20, 10));
    constexpr int k_others = 300;
    for (int rep = 0; rep < reps; ++rep) {
        const bool from_inside = rep % 2 == 1;
        rel::finishes_within(60s, std::string("blocked-worker drain (") + (from_inside ? "inside" : "outside") + ")", [&] {
            weft::runtime rt(weft::options{2, 0, 0});
            std::latch others_done(k_others);
            std::atomic<int> ran{0};
            auto other = [&] {
                ran.fetch_add(1);
                others_done.count_down();
            };
            auto blocker = rt.spawn([&] {
                if (from_inside) {
                    for (int i = 0; i < k_others; ++i) weft::spawn_detached(other);
                }
                others_done.wait();  // blocks this worker for real
                return ran.load();
            });
            if (!from_inside) {
                for (int i = 0; i < k_others; ++i) rt.spawn_detached(other);
            }
            EXPECT_EQ(blocker.get(), k_others);
        });
    }
}

// Waiting on a task group inside a task, on two workers, with one child per group so that the
// owner's pop and a thief's steal race for the last task in a queue. Every run must finish.
void chain(int depth) {
    if (depth == 0) return;
    weft::task_group g;
    g.spawn([depth] { chain(depth - 1); });
    g.wait();
}
// Chaos runs 100 repetitions: a chaos yield costs a whole time slice on a busy machine, and beside
// two busy loops 300 of them took 28-38 s alone and over 60 s beside another test (0.15 s quiet).
TEST(ReliabilityLiveness, GroupWaitsOnTwoWorkersNeverStrandATask) {
    const int reps = static_cast<int>(rel::scaled(20000, 3000, 1000, 100));
    rel::finishes_within(120s, "two chains of one-task groups", [&] {
        weft::runtime rt(weft::options{2, 0, 0});
        for (int i = 0; i < reps; ++i) {
            rt.spawn([] {
                weft::task_group g;
                g.spawn([] { chain(30); });
                g.spawn([] { chain(30); });
                g.wait();
            }).get();
        }
    });
}

// The same with futures awaited inside tasks (the awaited task can be claimed directly).
TEST(ReliabilityLiveness, FutureAwaitsOnTwoWorkersNeverStrandATask) {
    const int reps = static_cast<int>(rel::scaled(20000, 3000, 1000, 100));  // chaos: as above
    struct rec {
        static int go(int d) { return d == 0 ? 0 : 1 + weft::spawn([d] { return go(d - 1); }).get(); }
    };
    rel::finishes_within(120s, "two chains of awaited futures", [&] {
        weft::runtime rt(weft::options{2, 0, 0});
        for (int i = 0; i < reps; ++i) {
            const int r = rt.spawn([] {
                auto a = weft::spawn([] { return rec::go(30); });
                auto b = weft::spawn([] { return rec::go(30); });
                return a.get() + b.get();
            }).get();
            ASSERT_EQ(r, 60);
        }
    });
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

// After a burst the workers park: one second of idleness should cost close to no CPU. This is a
// measurement; the bound asserted is generous because CI machines are noisy.
TEST(ReliabilityLiveness, IdleCpuAfterABurstIsNearZero) {
    weft::runtime rt(weft::options{2, 0, 0});
    std::atomic<int> n{0};
    const int burst = static_cast<int>(rel::scaled(1'000'000, 100'000, 50'000, 20'000));
    for (int i = 0; i < burst; ++i) rt.spawn_detached([&] { n.fetch_add(1, std::memory_order_relaxed); });
    rt.wait_idle();
    ASSERT_EQ(n.load(), burst);
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(1s);  // the measured interval, not synchronisation
    const double wall = rel::seconds_since(t0);
    const double share = (cpu_seconds() - cpu0) / wall;
    rel::figure("idle_cpu_after_burst", share * 100.0, "% of one core");
    EXPECT_LT(share, 0.5);
}

}  // namespace
