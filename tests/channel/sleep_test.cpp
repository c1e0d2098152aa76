// Sleeping in tasks and threads, parameterised over worker counts: a sleeping task does not hold
// its worker, many sleepers at once, and the lower bound a sleep guarantees.
#include "channel/channel_test_support.hpp"

#include <weft/sleep.hpp>
#include <weft/weft.h>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft_test::scaled;

namespace {

class Sleep : public weft_test::Workers {
protected:
    static constexpr std::chrono::milliseconds k_longest_nap{500};
    // Spawns n tasks that each enter a sleep and go on sleeping until all n have entered, then
    // leave. Only sleeps that leave their worker free let all n be asleep at once: with sleeps
    // that held their worker, no more than workers() tasks would ever start, and the test would
    // hang (the watchdog ends it). Returns how many had entered when the first one left.
    int all_asleep_at_once(int n, std::chrono::milliseconds each) {
        std::atomic<int> entered{0};
        std::atomic<int> left{0};
        std::atomic<int> entered_when_first_left{-1};
        for (int i = 0; i < n; ++i) {
            rt->spawn_detached([&, n, each] {
                entered.fetch_add(1);
                // Naps double (up to k_longest_nap) so that a long spawn phase costs each task a
                // few wake-ups, not one per `each`.
                auto nap = each;
                do {
                    weft::sleep_for(nap);
                    nap = std::min(nap * 2, k_longest_nap);
                } while (entered.load() < n);
                if (left.fetch_add(1) == 0) entered_when_first_left.store(entered.load());
            });
        }
        rt->wait_idle();
        EXPECT_EQ(left.load(), n);
        return entered_when_first_left.load();
    }
};

TEST_P(Sleep, SixtyFourSleepersAreAllAsleepAtOnce) { EXPECT_EQ(all_asleep_at_once(64, 100ms), 64); }

TEST_P(Sleep, TwentyThousandConcurrentSleeps) {
    // In release, sleepers beyond the 4,096 stacks that get a guard page and the 1,024 warm stacks
    // a pool keeps, thousands of timers per worker: 20,000 (WEFT_TEST_FULL_SIZES: 100,000); 2,000
    // under chaos and TSan. Every sleeper holds a fiber stack, whose first page faults in at about
    // 100 us on the suite's 2-core virtual machine; sanitizer stacks are 4x larger and their pages
    // fill up more, so those builds divide the count by 4 once more.
    const int n = scaled(weft_test::full_sizes() ? 100'000 : 20'000, 2000) / (weft_test::k_sanitized ? 4 : 1);
    EXPECT_EQ(all_asleep_at_once(n, 20ms), n);
}

TEST_P(Sleep, ASleepingTaskLetsItsWorkerRunOthers) {
    std::atomic<bool> flag{false};
    auto sleeper = rt->spawn([&] {
        int naps = 0;
        while (!flag.load()) {
            weft::sleep_for(1ms);
            ++naps;
        }
        return naps;
    });
    // On one worker, this task runs only while the sleeper is suspended.
    auto setter = rt->spawn([&] { flag.store(true); });
    setter.get();
    EXPECT_GE(sleeper.get(), 0);
}

// A sleep never ends before its duration on the steady clock (a lower bound, which the
// implementation guarantees; no upper bound is asserted).
TEST_P(Sleep, NeverEndsEarlyInTasksOrThreads) {
    auto f = rt->spawn([] {
        const auto t0 = std::chrono::steady_clock::now();
        weft::sleep_for(3ms);
        const auto t1 = std::chrono::steady_clock::now();
        EXPECT_EQ(weft_sleep_ms(2), 0);
        return std::make_pair(t1 - t0, std::chrono::steady_clock::now() - t1);
    });
    const auto [first, second] = f.get();
    EXPECT_GE(first, 3ms);
    EXPECT_GE(second, 2ms);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(weft_sleep_ms(2), 0);
    weft::sleep_until(std::chrono::steady_clock::now() + 1ms);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 3ms);
    weft::sleep_for(-5ms);  // a duration in the past returns at once
}

TEST_P(Sleep, ALengthBeyondTheClockSleepsUntilCancelled) {
    // hours::max() and time_point::max() do not fit the clock: the sleep has no deadline, so only
    // a cancel ends it. It used to return at once, as if the time were already up.
    for (int variant = 0; variant < 2; ++variant) {
        std::atomic<bool> entered{false};
        auto f = rt->spawn([&entered, variant] {
            entered.store(true);
            if (variant == 0) {
                weft::sleep_for(std::chrono::hours::max());
            } else {
                weft::sleep_until(std::chrono::steady_clock::time_point::max());
            }
            return variant;  // reached only when the sleep ended without a cancel
        });
        weft_test::finishes_within(weft_test::k_watchdog, "a sleep without a deadline, cancelled", [&] {
            while (!entered.load()) std::this_thread::yield();
            f.cancel();
            EXPECT_THROW(f.get(), weft::task_cancelled) << "variant " << variant;
        });
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, Sleep, ::testing::Values(1u, 2u, 4u),
                         [](const auto &info) { return std::to_string(info.param) + "workers"; });

}  // namespace
