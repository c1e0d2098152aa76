// API misuse and edge values: empty futures given to combinators, tasks that threw behind the C
// ABI, huge and negative waits, results whose move throws, failing continuations, dead handles.
#include "api/c_handles.hpp"
#include "cell_pool.hpp"
#include "parker.hpp"
#include "test_support.hpp"

#include <weft/weft.h>
#include <weft/promise.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <limits>
#include <memory>
#include <optional>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using weft::detail::task_cell;

namespace {

// Runs `body` in a child process and expects it to exit normally having failed no check: a crash
// in the code under test fails this test alone. The threadsafe style re-executes this binary for
// the child instead of forking a process that has worker threads.
template <class Body>
[[noreturn]] void run_then_exit(Body &body) {
    body();
    std::fflush(nullptr);
    std::_Exit(::testing::Test::HasFailure() ? 1 : 0);
}
#define EXPECT_IN_CHILD(body)                                                     \
    do {                                                                          \
        GTEST_FLAG_SET(death_test_style, "threadsafe");                           \
        EXPECT_EXIT(run_then_exit(body), ::testing::ExitedWithCode(0), "");       \
    } while (0)

// Whether this build checks C handles ("Checked handles" in src/c_api.cpp): debug builds and
// AddressSanitizer builds do; elsewhere a dead handle is undefined behaviour (weft.h).
#if !defined(NDEBUG)
constexpr bool k_checked_handles = true;
#else
constexpr bool k_checked_handles = weft_test::k_asan;
#endif

// A checked handle keeps its generation in the top 16 bits; the rest is the cell's address.
task_cell *cell_behind(weft_future *f) {
    return reinterpret_cast<task_cell *>(reinterpret_cast<std::uintptr_t>(f) & ((std::uintptr_t{1} << 48) - 1));
}

pid_t this_thread_id() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// Whether thread `tid` of this process sleeps (state S: blocked in a system call, a futex here).
bool is_asleep(pid_t tid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
    FILE *f = std::fopen(path, "r");
    if (!f) return false;
    char buf[512];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = 0;
    const char *p = std::strrchr(buf, ')');  // the state follows the command name, which may hold spaces
    return p && p[1] == ' ' && p[2] == 'S';
}

// Spins (yielding) until thread `waiter` subscribed to `cell` and went to sleep, so that a task
// calling it finishes only while its future is really being waited for: a wait that gives up at
// once, without sleeping, never sees it done.
void until_waited_for(const std::atomic<task_cell *> &cell, pid_t waiter) {
    task_cell *c;
    weft_test::spin_until([&] { return (c = cell.load()) != nullptr; });
    weft_test::spin_until([&] { return (c->state.load() & weft::detail::k_waiter) && is_asleep(waiter); });
}

std::string worker_count_name(const ::testing::TestParamInfo<unsigned> &info) {
    return std::to_string(info.param) + "workers";
}

class Misuse : public ::testing::TestWithParam<unsigned> {
protected:
    void SetUp() override { rt = std::make_unique<weft::runtime>(weft::options{.workers = GetParam()}); }
    void TearDown() override {
        rt->wait_idle();
        const auto s = rt->stats();
        EXPECT_EQ(s.spawned, s.executed) << "tasks spawned but not run";
        rt.reset();
    }
    std::unique_ptr<weft::runtime> rt;
};

// ---- combinators given an empty future ----

TEST_P(Misuse, WhenAnyOfNoInputsIsAnErrorAndWhenAllOfNoneIsReady) {
    // when_any of nothing has no index to give (C: EINVAL); when_all of nothing is trivially done.
    const std::vector<weft::future<int>> none;
    EXPECT_THROW(weft::when_any(none), std::invalid_argument);
    auto all = weft::when_all(none);
    all.get();
    std::vector<weft_future *> c_none;
    errno = 0;
    EXPECT_EQ(weft_when_any(c_none.data(), 0), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST_P(Misuse, CombinatorsRejectAnEmptyFuture) {
    auto body = [&] {
        std::vector<weft::future<int>> fs;
        fs.push_back(rt->spawn([] { return 1; }));
        fs.emplace_back();  // default-constructed
        EXPECT_THROW(weft::when_all(fs), std::logic_error);
        EXPECT_THROW(weft::when_any(fs), std::logic_error);
        fs[1] = rt->spawn([] { return 2; });
        weft::future<int> taken = std::move(fs[0]);  // fs[0] is moved from
        EXPECT_THROW(weft::when_all(fs), std::logic_error);
        EXPECT_THROW(weft::when_any(fs), std::logic_error);
        EXPECT_EQ(taken.get(), 1);
        fs[0] = std::move(taken);  // consumed by get()
        EXPECT_THROW(weft::when_all(fs), std::logic_error);
        fs[0] = rt->spawn([] { return 3; });
        weft::when_all(fs).get();
        EXPECT_EQ(fs[0].get() + fs[1].get(), 5);
    };
    EXPECT_IN_CHILD(body);
}

// ---- waits of extreme length ----

TEST(WaitLength, SaturatesInsteadOfOverflowing) {
    using namespace std::chrono;
    using weft::detail::saturating_ns;
    constexpr auto inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(saturating_ns(milliseconds::max()), nanoseconds::max());
    EXPECT_EQ(saturating_ns(hours(24 * 365 * 300)), nanoseconds::max());
    EXPECT_EQ(saturating_ns(duration<double>(1e300)), nanoseconds::max());
    EXPECT_EQ(saturating_ns(duration<double>(inf)), nanoseconds::max());
    EXPECT_EQ(saturating_ns(nanoseconds::max()), nanoseconds::max());
    EXPECT_EQ(saturating_ns(milliseconds(1500)), nanoseconds(1'500'000'000));
    EXPECT_EQ(saturating_ns(duration<double, std::milli>(2.5)), nanoseconds(2'500'000));
    EXPECT_EQ(saturating_ns(-1s), nanoseconds::zero());
    EXPECT_EQ(saturating_ns(nanoseconds::min()), nanoseconds::zero());
    EXPECT_EQ(saturating_ns(milliseconds::min()), nanoseconds::zero());
    EXPECT_EQ(saturating_ns(duration<double>(-inf)), nanoseconds::zero());
    EXPECT_EQ(saturating_ns(duration<double>(std::nan(""))), nanoseconds::zero());

    // No deadline at all when now + d does not fit; a deadline of now for d <= 0.
    EXPECT_EQ(weft::detail::deadline_after(nanoseconds::max()), -1);
    const std::int64_t before = weft::detail::now_ns();
    const std::int64_t poll = weft::detail::deadline_after(-1s);
    EXPECT_GE(poll, before);
    EXPECT_LE(poll, weft::detail::now_ns());
    EXPECT_GT(weft::detail::deadline_after(hours(24 * 365 * 100)), before);
}

TEST_P(Misuse, HugeWaitsWaitUntilTheResultIsReady) {
    using namespace std::chrono;
    auto check = [&](const char *what, auto d) {
        std::atomic<task_cell *> cell{nullptr};
        auto f = rt->spawn([&cell, waiter = this_thread_id()] {
            until_waited_for(cell, waiter);
            return 7;
        });
        cell.store(f.native_handle());
        EXPECT_TRUE(f.wait_for(d)) << "gave up at once on a wait of " << what;
        EXPECT_EQ(f.get(), 7);
    };
    check("milliseconds::max()", milliseconds::max());
    check("300 years", hours(24 * 365 * 300));
    check("nanoseconds::max()", nanoseconds::max());
    check("1e300 s", duration<double>(1e300));
    check("infinite seconds", duration<double>(std::numeric_limits<double>::infinity()));
}

TEST_P(Misuse, NegativeWaitsPoll) {
    using namespace std::chrono;
    std::latch gate(1);
    auto f = rt->spawn([&gate] {
        gate.wait();
        return 1;
    });
    EXPECT_FALSE(f.wait_for(-1s));
    EXPECT_FALSE(f.wait_for(nanoseconds::min()));
    EXPECT_FALSE(f.wait_for(milliseconds::min()));
    EXPECT_FALSE(f.wait_for(duration<double>(-std::numeric_limits<double>::infinity())));
    EXPECT_FALSE(f.wait_for(duration<double>(std::nan(""))));
    gate.count_down();
    EXPECT_EQ(f.get(), 1);
}

// Every other timed wait of the C++ API (channels, select, semaphores, sleeps) takes the same
// extreme lengths: a negative or minimal one polls, a huge one waits until the event.
TEST_P(Misuse, ExtremeLengthsInEveryTimedWait) {
    using namespace std::chrono;
    weft_test::finishes_within(60s, "timed waits of extreme length", [&] {
        auto polls = [] {
            weft::channel<int> empty(1);
            weft::counting_semaphore none(0);
            EXPECT_FALSE(empty.recv_for(hours::min()).has_value());
            EXPECT_FALSE(empty.recv_for(duration<double>(-1e300)).has_value());
            EXPECT_TRUE(empty.send_for(1, hours::min()));
            EXPECT_FALSE(empty.send_for(2, nanoseconds::min()));  // full now
            EXPECT_FALSE(none.try_acquire_for(milliseconds::min()));
            weft::channel<int> never(0);
            weft::recv_case from_never(never);
            EXPECT_FALSE(weft::select_for(hours::min(), from_never).has_value());
            weft::sleep_for(nanoseconds::min());
            weft::sleep_for(duration<double>(-1e300));
            weft::sleep_until(steady_clock::time_point::min());
            weft::sleep_until(system_clock::time_point::min());
            weft::sleep_until(time_point<system_clock, hours>::min());
            return true;
        };
        EXPECT_TRUE(polls());
        EXPECT_TRUE(rt->spawn(polls).get());

        // From an outside thread: a huge length must wait for the event, not give up at once.
        // The other thread acts only once this one sleeps in the wait.
        const pid_t me = this_thread_id();
        weft::channel<int> ch(1);
        weft::counting_semaphore sem(0);
        std::atomic<bool> second_wait{false};
        std::thread other([&] {
            weft_test::spin_until([&] { return is_asleep(me); });
            ch.send(5);
            weft_test::spin_until([&] { return second_wait.load() && is_asleep(me); });
            sem.release();
        });
        EXPECT_EQ(ch.recv_for(hours::max()), std::optional<int>(5)) << "recv_for(hours::max()) gave up at once";
        second_wait.store(true);
        EXPECT_TRUE(sem.try_acquire_for(duration<double>(1e300))) << "try_acquire_for(1e300 s) gave up at once";
        other.join();
    });
}

// ---- a result whose move constructor throws ----

struct move_failed : std::runtime_error {
    move_failed() : std::runtime_error("move failed") {}
};
std::atomic<bool> g_moves_throw{false};

struct move_may_throw {
    explicit move_may_throw(weft_test::counters *c) : counts(c) { counts->constructed.fetch_add(1); }
    move_may_throw(move_may_throw &&o) : counts(o.counts) {
        if (g_moves_throw.load()) throw move_failed();
        counts->constructed.fetch_add(1);
    }
    move_may_throw(const move_may_throw &) = delete;
    ~move_may_throw() { counts->destroyed.fetch_add(1); }
    weft_test::counters *counts;
};

TEST_P(Misuse, GetDestroysAResultWhoseMoveThrowsExactlyOnce) {
    weft_test::counters counts;
    auto f = rt->spawn([&counts] { return move_may_throw(&counts); });
    f.wait();
    ASSERT_EQ(counts.live(), 1);
    const std::int64_t destroyed = counts.destroyed.load();
    g_moves_throw.store(true);
    EXPECT_THROW(f.get(), move_failed);
    g_moves_throw.store(false);
    EXPECT_FALSE(f.valid());
    EXPECT_EQ(counts.destroyed.load(), destroyed + 1) << "the stored result must be destroyed exactly once";
    EXPECT_EQ(counts.live(), 0);

    // Without the throw: one result handed out, nothing left behind.
    {
        auto g = rt->spawn([&counts] { return move_may_throw(&counts); });
        move_may_throw value = g.get();
        EXPECT_EQ(counts.live(), 1);
    }
    EXPECT_EQ(counts.live(), 0);
}

INSTANTIATE_TEST_SUITE_P(Workers, Misuse, ::testing::Values(1u, 2u, 4u, 8u, 64u), worker_count_name);

// ---- the C ABI on the default runtime ----

class CMisuse : public ::testing::TestWithParam<unsigned> {
protected:
    void SetUp() override {
        weft_shutdown();
        ASSERT_EQ(weft_init(GetParam()), 0);
    }
    void TearDown() override {
        weft_wait_all();
        const weft_stats_t s = weft_stats();
        EXPECT_EQ(s.spawned, s.executed) << "tasks spawned but not run";
        weft_shutdown();
    }
};

struct task_failure : std::runtime_error {
    task_failure() : std::runtime_error("a C++ task behind the C ABI failed") {}
};
// A weft_task_fn written in C++ may throw; C code never sees the exception, only its effect.
void *throwing_task(void *) { throw task_failure(); }
void *null_task(void *) { return nullptr; }
void *identity(void *p) { return p; }
std::atomic<int> g_map_calls{0};
void *counting_map(void *p) {
    g_map_calls.fetch_add(1);
    return p;
}
void *throwing_map(void *) { throw task_failure(); }

TEST_P(CMisuse, AwaitGetAndTimeoutReportATaskThatThrew) {
    weft_future *f = weft_spawn(&throwing_task, nullptr);
    ASSERT_NE(f, nullptr);
    errno = 0;
    EXPECT_EQ(weft_future_get(f), nullptr);
    EXPECT_EQ(errno, ECANCELED);
    int sentinel = 0;
    void *result = &sentinel;
    EXPECT_EQ(weft_future_get_timeout(f, -1, &result), ECANCELED);
    EXPECT_EQ(result, nullptr);
    EXPECT_EQ(weft_future_get_timeout(f, INT_MAX, nullptr), ECANCELED);
    errno = 0;
    EXPECT_EQ(weft_await(f), nullptr);
    EXPECT_EQ(errno, ECANCELED);

    // A task that returned NULL leaves errno alone.
    weft_future *g = weft_spawn(&null_task, nullptr);
    ASSERT_NE(g, nullptr);
    errno = 0;
    EXPECT_EQ(weft_future_get(g), nullptr);
    EXPECT_EQ(errno, 0);
    EXPECT_EQ(weft_future_get_timeout(g, 0, &result), 0);
    EXPECT_EQ(result, nullptr);
    EXPECT_EQ(weft_await(g), nullptr);
    EXPECT_EQ(errno, 0);
}

TEST_P(CMisuse, ThenOfATaskThatThrewFailsWithoutCallingMap) {
    g_map_calls.store(0);
    // Input still running (or not started) when then is called, and a chain behind it.
    weft_future *f = weft_spawn(&throwing_task, nullptr);
    ASSERT_NE(f, nullptr);
    weft_future *g = weft_future_then(weft_future_then(f, &counting_map), &counting_map);
    ASSERT_NE(g, nullptr);
    errno = 0;
    EXPECT_EQ(weft_await(g), nullptr);
    EXPECT_EQ(errno, ECANCELED);

    // Input known to have failed before then is called.
    f = weft_spawn(&throwing_task, nullptr);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(weft_future_get(f), nullptr);
    g = weft_future_then(f, &counting_map);
    ASSERT_NE(g, nullptr);
    void *result = &g;
    EXPECT_EQ(weft_future_get_timeout(g, -1, &result), ECANCELED);
    EXPECT_EQ(result, nullptr);
    weft_future_release(g);
    EXPECT_EQ(g_map_calls.load(), 0) << "map was handed a failed task's result";

    // A map that throws fails its own future; a later map is not called either.
    int x = 0;
    g = weft_future_then(weft_future_then(weft_spawn(&identity, &x), &throwing_map), &counting_map);
    ASSERT_NE(g, nullptr);
    errno = 0;
    EXPECT_EQ(weft_await(g), nullptr);
    EXPECT_EQ(errno, ECANCELED);
    EXPECT_EQ(g_map_calls.load(), 0);

    // And a healthy input still maps.
    g = weft_future_then(weft_spawn(&identity, &x), &counting_map);
    EXPECT_EQ(weft_await(g), &x);
    EXPECT_EQ(g_map_calls.load(), 1);
}

struct waited_task {
    std::atomic<task_cell *> cell{nullptr};
    pid_t waiter = this_thread_id();
    int value = 5;
};
void *finish_when_waited_for(void *arg) {
    auto *t = static_cast<waited_task *>(arg);
    until_waited_for(t->cell, t->waiter);
    return &t->value;
}

TEST_P(CMisuse, GetTimeoutWithTheLargestTimeoutWaits) {
    waited_task t;
    weft_future *f = weft_spawn(&finish_when_waited_for, &t);
    ASSERT_NE(f, nullptr);
    t.cell.store(cell_behind(f));
    void *result = nullptr;
    EXPECT_EQ(weft_future_get_timeout(f, INT_MAX, &result), 0);
    EXPECT_EQ(result, &t.value);
    weft_future_release(f);
}

INSTANTIATE_TEST_SUITE_P(Workers, CMisuse, ::testing::Values(1u, 2u, 4u, 8u, 64u), worker_count_name);

// ---- a weft_future_then that fails ----

// Each failing then, at either of its allocations, must release its input and free what it built.
// Cells are pooled, so a leak shows as new chunks: 200,000 leaked 32- or 48-byte cells would take
// at least 3 more, while a loop that leaks nothing reuses the same cells and may at most start one
// new chunk in each of the two size classes it uses.
TEST(CThenFailure, LeaksNothingAndReleasesItsInput) {
    constexpr int k_rounds = 200'000;
    constexpr int k_rounds_that_spawn = 1'000;
    // The failing calls run on this thread alone: no chaos perturbations on it (nothing to race
    // with; see set_chaos_enabled_for_this_thread). Under chaos beside two busy loops their yields
    // made this test take 137-158 s of its 300 s limit. The workers keep theirs.
    weft::detail::set_chaos_enabled_for_this_thread(false);
    for (int nth = 1; nth <= 2; ++nth) {
        weft_future *warm = weft_when_all(nullptr, 0);
        weft_future_release(warm);
        const std::size_t chunks_before = weft::detail::pool_statistics().chunks;
        int failed_with_enomem = 0;
        int rounds = 0;
        for (; rounds < k_rounds; ++rounds) {
            // Rounds where allocation nth does not fail the call spawn the mapped task and are not
            // leak-checked (below); a thousand of them show that every round takes that path.
            if (rounds == k_rounds_that_spawn && failed_with_enomem == 0) break;
            weft_future *input = weft_when_all(nullptr, 0);  // ready; no task, no worker involved
            ASSERT_NE(input, nullptr);
            weft::detail::fail_nth_allocation(nth);
            errno = 0;
            weft_future *g = weft_future_then(input, &identity);
            weft::detail::fail_nth_allocation(0);
            if (!g && errno == ENOMEM) ++failed_with_enomem;
            if (g) weft_future_release(g);
        }
        // A ready input is mapped with one allocation (the mapped cell, spawned at once); the
        // first allocation must fail the call, a later one may not exist on this path.
        if (nth == 1) {
            EXPECT_EQ(failed_with_enomem, k_rounds) << "allocation 1 of then did not fail it";
        } else {
            EXPECT_TRUE(failed_with_enomem == 0 || failed_with_enomem == rounds) << failed_with_enomem;
        }
        // Only rounds that all failed spawn nothing, so only there does a growing pool mean a
        // leak; mapped tasks that did run are freed by workers, whose remote frees reach this
        // thread's pool later.
        if (failed_with_enomem == k_rounds) {
            EXPECT_LE(weft::detail::pool_statistics().chunks, chunks_before + 2)
                << "a failing then (allocation " << nth << ") leaked cells";
        }
        weft_wait_all();
    }
    weft_wait_all();
    weft::detail::set_chaos_enabled_for_this_thread(true);
}

// ---- a weft_future_then cancelled before its map ran ----

// The map task holds a reference to its input; a map task cancelled before it started must still
// drop it, or the input (cell and result) is never freed. The input here is a C++ promise whose
// value is a shared_ptr, so the input's result being destroyed shows in the pointer's use count.
TEST(CThenCancelled, ReleasesItsInput) {
    auto token = std::make_shared<int>(7);
    for (int round = 0; round < 100; ++round) {
        weft::promise<std::shared_ptr<int>> p;
        weft_future *input;
        {
            weft::future<std::shared_ptr<int>> f = p.get_future();
            task_cell *cell = f.native_handle();
            cell->state.fetch_add(weft::detail::k_ref, std::memory_order_relaxed);  // the C handle's own
            input = weft::detail::c_handle_of(cell);
        }  // the C++ future's reference is gone: the C handle holds the last but the promise's
        weft_future *g = weft_future_then(input, &identity);  // consumes input
        ASSERT_NE(g, nullptr);
        weft_future_cancel(g);  // before its input is done: the map task can never start
        p.set_value(token);
        errno = 0;
        EXPECT_EQ(weft_await(g), nullptr);
        EXPECT_EQ(errno, ECANCELED);
        // The awaited task completed after its closure was destroyed, and the closure held the
        // input's last reference besides the promise's (dropped with p below).
        {
            weft::promise<std::shared_ptr<int>> gone = std::move(p);
        }
        ASSERT_EQ(token.use_count(), 1) << "round " << round << ": the cancelled map task kept its input";
    }
}

// ---- handles used after release ----

#define SKIP_UNLESS_CHECKED()                                                                    \
    if (!k_checked_handles) GTEST_SKIP() << "release builds do not check handles: undefined (weft.h)"

void *one(void *) { return reinterpret_cast<void *>(1); }

TEST(DeadHandle, ReleasedTwice) {
    SKIP_UNLESS_CHECKED();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    weft_future *f = weft_when_all(nullptr, 0);
    ASSERT_NE(f, nullptr);
    weft_future_release(f);
    EXPECT_DEATH(weft_future_release(f), "weft: weft_future_release: the future was already released");
}

TEST(DeadHandle, ReleasedAfterAwait) {
    SKIP_UNLESS_CHECKED();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    weft_future *f = weft_spawn(&one, nullptr);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(weft_await(f), reinterpret_cast<void *>(1));
    EXPECT_DEATH(weft_future_release(f), "weft: weft_future_release: the future was already released");
}

TEST(DeadHandle, UsedAfterThenConsumedIt) {
    SKIP_UNLESS_CHECKED();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    std::latch gate(1);
    weft_future *f = weft_spawn(
        [](void *g) -> void * {
            static_cast<std::latch *>(g)->wait();
            return nullptr;
        },
        &gate);
    ASSERT_NE(f, nullptr);
    weft_future *g = weft_future_then(f, &identity);
    ASSERT_NE(g, nullptr);
    // The input is still alive (its task waits), but this handle to it is gone.
    EXPECT_DEATH(weft_future_is_ready(f), "weft: weft_future_is_ready: the future was already released");
    EXPECT_DEATH(weft_future_release(f), "weft: weft_future_release: the future was already released");
    gate.count_down();
    EXPECT_EQ(weft_await(g), nullptr);
}

TEST(DeadHandle, ReleasedAfterItsMemoryHoldsAnotherFuture) {
    SKIP_UNLESS_CHECKED();
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    // A ready combinator future is freed by this thread, so the next one reuses its cell.
    weft_future *stale = weft_when_all(nullptr, 0);
    ASSERT_NE(stale, nullptr);
    weft_future_release(stale);
    weft_future *live = weft_when_all(nullptr, 0);
    ASSERT_NE(live, nullptr);
    ASSERT_EQ(cell_behind(live), cell_behind(stale)) << "the test needs the cell to be reused";
    EXPECT_DEATH(weft_future_release(stale),
                 "weft: weft_future_release: the future was already released \\(its memory now holds another future\\)");
    EXPECT_EQ(weft_future_is_ready(live), 1);
    EXPECT_EQ(weft_await(live), nullptr);
}

}  // namespace
