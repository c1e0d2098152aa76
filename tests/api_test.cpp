// The default runtime behind the free functions, and the C ABI's allocation-failure paths.
#include "cell_pool.hpp"
#include "test_support.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

namespace {

int fib(int n) {
    if (n < 2) return n;
    auto a = weft::spawn(fib, n - 1);
    const int b = fib(n - 2);
    return a.get() + b;
}

TEST(DefaultRuntime, FreeSpawnAndWaitIdle) {
    EXPECT_EQ(weft::spawn([] { return 42; }).get(), 42);
    EXPECT_EQ(weft::spawn(fib, 20).get(), 6765);
    std::atomic<int> ran{0};
    for (int i = 0; i < 1000; ++i) weft::spawn_detached([&] { ran.fetch_add(1); });
    weft::wait_idle();
    EXPECT_EQ(ran.load(), 1000);
    const weft_stats_t s = weft_stats();
    EXPECT_EQ(s.spawned, s.executed);
    EXPECT_GE(s.spawned, 1001u);
    EXPECT_GE(weft_workers(), 1u);
}

TEST(DefaultRuntime, TaskGroupOnTheDefaultRuntime) {
    std::atomic<int> ran{0};
    {
        weft::task_group g;
        for (int i = 0; i < 100; ++i) g.spawn([&] { ran.fetch_add(1); });
    }
    EXPECT_EQ(ran.load(), 100);
}

TEST(DefaultRuntime, TasksOfAnExplicitRuntimeDoNotUseTheDefaultOne) {
    weft::runtime rt(weft::options{.workers = 2});
    weft::wait_idle();
    const auto before = weft_stats();
    auto f = rt.spawn([] { return weft::spawn([] { return 1; }).get(); });
    EXPECT_EQ(f.get(), 1);
    rt.wait_idle();
    EXPECT_EQ(weft_stats().spawned, before.spawned);
    EXPECT_EQ(rt.stats().spawned, 2u);
}

TEST(DefaultRuntime, ShutdownThenSpawnRestarts) {
    EXPECT_EQ(weft::spawn([] { return 1; }).get(), 1);
    std::atomic<int> ran{0};
    for (int i = 0; i < 1000; ++i) weft::spawn_detached([&] { ran.fetch_add(1); });
    weft_shutdown();
    EXPECT_EQ(ran.load(), 1000) << "shutdown runs what was queued";
    EXPECT_EQ(weft::spawn([] { return 2; }).get(), 2);
    weft_shutdown();
    weft_shutdown();  // twice is harmless
    EXPECT_EQ(weft_init(3), 0);
    EXPECT_EQ(weft_workers(), 3u);
    EXPECT_EQ(weft_init(3), EBUSY);
    weft_shutdown();
}

void *c_one(void *) { return reinterpret_cast<void *>(1); }
void c_detached(void *arg) { static_cast<std::atomic<int> *>(arg)->fetch_add(1); }

TEST(CAbiFaults, SpawnReportsEnomemAndRecovers) {
    weft::detail::fail_nth_allocation(1);
    errno = 0;
    EXPECT_EQ(weft_spawn(&c_one, nullptr), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    weft_future *f = weft_spawn(&c_one, nullptr);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(weft_await(f), reinterpret_cast<void *>(1));

    std::atomic<int> ran{0};
    weft::detail::fail_nth_allocation(1);
    EXPECT_EQ(weft_spawn_detached(&c_detached, &ran), ENOMEM);
    EXPECT_EQ(weft_spawn_detached(&c_detached, &ran), 0);
    weft_wait_all();
    EXPECT_EQ(ran.load(), 1);

    weft_future *src = weft_spawn(&c_one, nullptr);
    ASSERT_NE(src, nullptr);
    weft::detail::fail_nth_allocation(1);
    errno = 0;
    EXPECT_EQ(weft_future_then(src, &c_one), nullptr) << "then consumes its input even on failure";
    EXPECT_EQ(errno, ENOMEM);
    weft_wait_all();
    const weft_stats_t s = weft_stats();
    EXPECT_EQ(s.spawned, s.executed);
}

}  // namespace
