// The blocking pool (spawn_blocking), parameterised over worker counts: blocked jobs never occupy
// a worker, the pool grows to a bound and queues the rest, shrinks when idle, survives thread-start
// failure, counts its jobs as the runtime's tasks, and the C ABI and exceptions behave as for spawn.
#include "blocking_pool.hpp"
#include "scheduler.hpp"
#include "test_support.hpp"
#include "runtime_fixture.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft::detail::blocking_pool;

namespace {

// Polls pred until it holds; false after a generous watchdog (a hang becomes a failure, not a
// timing assertion: nothing here depends on how fast anything happens).
template <class Pred>
bool eventually(Pred pred) {
    const auto watchdog = std::chrono::steady_clock::now() + 120s;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > watchdog) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// A latch the test opens; jobs block on it. Shared, so an early test failure cannot free it
// under a blocked job.
class gate {
public:
    void wait() {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return m_open; });
    }
    void open() {
        {
            std::lock_guard lock(m_mutex);
            m_open = true;
        }
        m_cv.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_open = false;
};
// Opens the gate when the test leaves, also through a failed ASSERT, so teardown cannot hang.
struct gate_opener {
    std::shared_ptr<gate> g;
    ~gate_opener() { g->open(); }
};

struct boom : std::runtime_error {
    explicit boom(int v) : std::runtime_error("boom " + std::to_string(v)), value(v) {}
    int value;
};

blocking_pool &pool() { return blocking_pool::instance(); }

// Empties the pool: with a short idle timeout every idle thread exits, then the default returns.
bool drain_pool() {
    pool().set_thread_limit(0);
    pool().fail_thread_starts(0);
    pool().set_idle_timeout(1ms);
    const bool drained = eventually([] { return pool().thread_count() == 0; });
    pool().set_idle_timeout(0ns);
    return drained;
}

class Blocking : public ::testing::TestWithParam<unsigned> {
protected:
    void SetUp() override {
        ASSERT_TRUE(drain_pool()) << "idle pool threads did not exit";
        rt = std::make_unique<weft::runtime>(weft::options{.workers = GetParam()});
    }
    void TearDown() override {
        weft_test::stop_checking_every_task_ran(rt);
        EXPECT_EQ(counts.live(), 0) << "results or closures leaked or destroyed twice";
        pool().set_thread_limit(0);
        pool().set_idle_timeout(0ns);
        pool().fail_thread_starts(0);
    }
    weft_test::counters counts;
    std::unique_ptr<weft::runtime> rt;
};

TEST_P(Blocking, SixtyFourBlockedJobsLeaveTheWorkersFree) {
    auto g = std::make_shared<gate>();
    gate_opener opener{g};
    auto started = std::make_shared<std::atomic<int>>(0);
    auto job = [g, started](int i) {
        started->fetch_add(1);
        g->wait();
        return i;
    };
    std::vector<weft::future<int>> jobs;
    for (int i = 0; i < 64; ++i) {
        if (i % 2 == 0) {
            jobs.push_back(rt->spawn_blocking(job, i));
        } else {  // from inside a task: weft::spawn_blocking uses the task's runtime
            jobs.push_back(rt->spawn([job, i] { return weft::spawn_blocking(job, i); }).get());
        }
    }
    // All 64 block at once, so none of them sits on a worker (there are at most 4).
    ASSERT_TRUE(eventually([&] { return started->load() == 64; }));
    EXPECT_GE(pool().thread_count(), 64u);
    // Ordinary tasks spawned after them still run to completion on the workers.
    auto sum = rt->spawn([] {
        std::vector<weft::future<int>> kids;
        for (int c = 0; c < 100; ++c) kids.push_back(weft::spawn([c] { return c; }));
        int s = 0;
        for (auto &k : kids) s += k.get();
        return s;
    });
    EXPECT_EQ(sum.get(), 99 * 100 / 2);
    std::atomic<int> detached_ran{0};
    for (int i = 0; i < 100; ++i) rt->spawn_detached([&] { detached_ran.fetch_add(1); });
    ASSERT_TRUE(eventually([&] { return detached_ran.load() == 100; }));
    for (auto &f : jobs) EXPECT_FALSE(f.ready());
    g->open();
    for (int i = 0; i < 64; ++i) EXPECT_EQ(jobs[static_cast<std::size_t>(i)].get(), i);
}

TEST_P(Blocking, AJobRunsOnAPoolThreadEvenWhenATaskAwaitsItAtOnce) {
    // The cell is claimed from the start, so the awaiting (helping) worker cannot run it inline.
    const int rounds = weft_test::scaled(200, 20);
    for (int r = 0; r < rounds; ++r) {
        auto on_pool = rt->spawn([] {
            auto f = weft::spawn_blocking([] {
                return weft::detail::t_context.self == nullptr && weft::detail::t_context.current != nullptr;
            });
            return f.get();
        });
        ASSERT_TRUE(on_pool.get()) << "round " << r;
    }
}

TEST_P(Blocking, ATaskAwaitingABlockedJobDoesNotStopOtherTasks) {
    auto g = std::make_shared<gate>();
    gate_opener opener{g};
    auto waiter = rt->spawn([g] {
        auto f = weft::spawn_blocking([g] {
            g->wait();
            return 7;
        });
        return f.get() * 2;
    });
    // Every worker may be inside such an await; others tasks still complete.
    std::vector<weft::future<int>> others;
    for (unsigned w = 0; w < GetParam(); ++w)
        others.push_back(rt->spawn([g] { return weft::spawn_blocking([g] { g->wait(); return 1; }).get(); }));
    EXPECT_EQ(rt->spawn([] { return 5; }).get(), 5);
    g->open();
    EXPECT_EQ(waiter.get(), 14);
    for (auto &f : others) EXPECT_EQ(f.get(), 1);
}

TEST_P(Blocking, GrowsToTheBoundAndQueuesTheRestRunningEachOnce) {
    constexpr std::uint32_t k_bound = 3;
    constexpr int k_jobs = 10;
    pool().set_thread_limit(k_bound);
    auto g = std::make_shared<gate>();
    gate_opener opener{g};
    struct shared_state {
        std::atomic<int> started{0};
        std::atomic<int> running{0};
        std::atomic<int> max_running{0};
        std::atomic<int> runs[k_jobs] = {};
    };
    auto st = std::make_shared<shared_state>();
    std::vector<weft::future<int>> jobs;
    for (int i = 0; i < k_jobs; ++i) {
        jobs.push_back(rt->spawn_blocking([g, st, i] {
            st->runs[i].fetch_add(1);
            const int now = st->running.fetch_add(1) + 1;
            int seen = st->max_running.load();
            while (now > seen && !st->max_running.compare_exchange_weak(seen, now)) {
            }
            st->started.fetch_add(1);
            g->wait();
            st->running.fetch_sub(1);
            return i * 3;
        }));
    }
    ASSERT_TRUE(eventually([&] { return st->started.load() == static_cast<int>(k_bound); }));
    // Grown to exactly the number of jobs blocked at once, the bound; the rest wait in the queue.
    EXPECT_EQ(pool().thread_count(), k_bound);
    EXPECT_EQ(pool().queued(), static_cast<std::uint32_t>(k_jobs) - k_bound);
    EXPECT_EQ(st->started.load(), static_cast<int>(k_bound));
    g->open();
    for (int i = 0; i < k_jobs; ++i) EXPECT_EQ(jobs[static_cast<std::size_t>(i)].get(), i * 3);
    for (int i = 0; i < k_jobs; ++i) EXPECT_EQ(st->runs[i].load(), 1) << "job " << i;
    EXPECT_LE(st->max_running.load(), static_cast<int>(k_bound));
    EXPECT_LE(pool().thread_count(), k_bound);
    EXPECT_EQ(pool().queued(), 0u);
}

TEST_P(Blocking, ShrinksToNoThreadWhenIdleAndGrowsAgain) {
    constexpr int k_jobs = 8;
    auto g = std::make_shared<gate>();
    gate_opener opener{g};
    auto started = std::make_shared<std::atomic<int>>(0);
    std::vector<weft::future<int>> jobs;
    for (int i = 0; i < k_jobs; ++i)
        jobs.push_back(rt->spawn_blocking([g, started, i] {
            started->fetch_add(1);
            g->wait();
            return i;
        }));
    ASSERT_TRUE(eventually([&] { return started->load() == k_jobs; }));
    EXPECT_EQ(pool().thread_count(), static_cast<std::uint32_t>(k_jobs));
    g->open();
    for (int i = 0; i < k_jobs; ++i) EXPECT_EQ(jobs[static_cast<std::size_t>(i)].get(), i);
    pool().set_idle_timeout(1ms);
    ASSERT_TRUE(eventually([] { return pool().thread_count() == 0; })) << "idle threads did not exit";
    // An emptied pool starts threads again.
    EXPECT_EQ(rt->spawn_blocking([] { return 11; }).get(), 11);
    ASSERT_TRUE(eventually([] { return pool().thread_count() == 0; }));
}

TEST_P(Blocking, IdleThreadsAreReusedAndABurstStillGetsAThreadPerBlockedJob) {
    pool().set_idle_timeout(std::chrono::hours(1));  // nothing exits during the test
    auto started = std::make_shared<std::atomic<int>>(0);
    auto run_blocked = [&](int n) {
        auto g = std::make_shared<gate>();
        gate_opener opener{g};
        const int before = started->load();
        std::vector<weft::future<int>> jobs;
        for (int i = 0; i < n; ++i)
            jobs.push_back(rt->spawn_blocking([g, started, i] {
                started->fetch_add(1);
                g->wait();
                return i;
            }));
        // Every job of the burst runs at once: each got a thread, reused or new.
        const bool all_started = eventually([&] { return started->load() == before + n; });
        g->open();
        for (int i = 0; i < n; ++i) EXPECT_EQ(jobs[static_cast<std::size_t>(i)].get(), i);
        return all_started;
    };
    ASSERT_TRUE(run_blocked(4));
    ASSERT_TRUE(eventually([] { return pool().idle_threads() == 4; }));
    EXPECT_EQ(pool().thread_count(), 4u);
    // Four idle threads are promised to the first four jobs of the burst (not to the same job
    // twice), and four more threads start for the rest.
    ASSERT_TRUE(run_blocked(8));
    EXPECT_EQ(pool().thread_count(), 8u);
}

TEST_P(Blocking, ThreadStartFailureWithNoThreadFailsTheSpawnAndLeaksNothing) {
    ASSERT_EQ(pool().thread_count(), 0u);
    pool().fail_thread_starts(1);
    weft_test::tracked value(&counts, 5);
    try {
        rt->spawn_blocking([value] { return value.value(); });
        ADD_FAILURE() << "spawn_blocking did not throw";
    } catch (const std::system_error &e) {
        EXPECT_EQ(e.code().value(), EAGAIN);
    }
    EXPECT_EQ(pool().queued(), 0u);
    EXPECT_EQ(pool().thread_count(), 0u);
    const auto s = rt->stats();
    EXPECT_EQ(s.spawned, s.executed) << "the refused spawn is still counted";
    // The same from inside a task (counted on the worker's own counters).
    pool().fail_thread_starts(1);
    EXPECT_TRUE(rt->spawn([value] {
                      try {
                          weft::spawn_blocking([value] { return value.value(); });
                          return false;
                      } catch (const std::system_error &e) {
                          return e.code().value() == EAGAIN;
                      }
                  }).get());
    rt->wait_idle();
    const auto s2 = rt->stats();
    EXPECT_EQ(s2.spawned, s2.executed);
    // The next spawn works.
    EXPECT_EQ(rt->spawn_blocking([value] { return value.value(); }).get(), 5);
}

TEST_P(Blocking, ThreadStartFailureWithABusyThreadQueuesTheJob) {
    auto g = std::make_shared<gate>();
    gate_opener opener{g};
    auto started = std::make_shared<std::atomic<int>>(0);
    auto first = rt->spawn_blocking([g, started] {
        started->fetch_add(1);
        g->wait();
        return 1;
    });
    ASSERT_TRUE(eventually([&] { return started->load() == 1; }));
    ASSERT_EQ(pool().thread_count(), 1u);
    pool().fail_thread_starts(1);
    auto second = rt->spawn_blocking([] { return 2; });  // no new thread: it waits for the busy one
    EXPECT_EQ(pool().thread_count(), 1u);
    EXPECT_EQ(pool().queued(), 1u);
    EXPECT_FALSE(second.ready());
    g->open();
    EXPECT_EQ(first.get(), 1);
    EXPECT_EQ(second.get(), 2);
}

TEST_P(Blocking, ExceptionsResultsAndArgumentsAsWithSpawn) {
    auto thrower = rt->spawn_blocking([](int v) -> int { throw boom(v); }, 7);
    try {
        thrower.get();
        ADD_FAILURE() << "get() did not throw";
    } catch (const boom &b) {
        EXPECT_EQ(b.value, 7);
    }
    std::atomic<int> side{0};
    rt->spawn_blocking([&side] { side.store(3); }).get();
    EXPECT_EQ(side.load(), 3);
    auto owned = rt->spawn_blocking([](std::string s, int n) { return std::make_unique<std::string>(s + std::to_string(n)); },
                                    std::string("x"), 4);
    EXPECT_EQ(*owned.get(), "x4");
    // Results destroyed exactly once, whether consumed or dropped unread.
    auto kept = rt->spawn_blocking([this] { return weft_test::tracked(&counts, 9); });
    EXPECT_EQ(kept.get().value(), 9);
    {
        auto dropped = rt->spawn_blocking([this] { return weft_test::tracked(&counts, 10); });
        dropped.wait();
    }
    // A running job sees its cancellation, as a task does (one cancelled before it starts never
    // runs: see tests/cancel_test.cpp).
    auto g = std::make_shared<gate>();
    gate_opener opener{g};
    auto started = std::make_shared<std::atomic<bool>>(false);
    auto cancellable = rt->spawn_blocking([g, started] {
        started->store(true);
        g->wait();
        return weft::this_task_cancelled();
    });
    weft_test::spin_until([&] { return started->load(); });
    cancellable.cancel();
    g->open();
    EXPECT_TRUE(cancellable.get());
}

TEST_P(Blocking, WaitIdleAndTheRuntimeDestructorWaitForBlockingJobs) {
    auto g = std::make_shared<gate>();
    gate_opener opener{g};
    auto started = std::make_shared<std::atomic<int>>(0);
    auto done = std::make_shared<std::atomic<bool>>(false);
    auto job = rt->spawn_blocking([g, started, done] {
        started->fetch_add(1);
        g->wait();
        // Spawning during the drain is accepted: the job is a task of this runtime.
        const int child = weft::spawn([] { return 20; }).get();
        done->store(true);
        return child + 1;
    });
    ASSERT_TRUE(eventually([&] { return started->load() == 1; }));
    bool done_when_idle = false;
    std::thread idle_waiter([&] {
        rt->wait_idle();
        done_when_idle = done->load();
    });
    g->open();
    idle_waiter.join();
    EXPECT_TRUE(done_when_idle);
    EXPECT_EQ(job.get(), 21);

    auto g2 = std::make_shared<gate>();
    gate_opener opener2{g2};
    done->store(false);
    auto second = rt->spawn_blocking([g2, started, done] {
        started->fetch_add(1);
        g2->wait();
        const int child = weft::spawn([] { return 30; }).get();
        done->store(true);
        return child + 2;
    });
    ASSERT_TRUE(eventually([&] { return started->load() == 2; }));
    bool done_when_destroyed = false;
    std::thread destroyer([&] {
        rt.reset();
        done_when_destroyed = done->load();
    });
    g2->open();
    destroyer.join();
    EXPECT_TRUE(done_when_destroyed);
    EXPECT_EQ(second.get(), 32);
}

INSTANTIATE_TEST_SUITE_P(Workers, Blocking, ::testing::Values(1u, 2u, 4u),
                         [](const auto &info) { return std::to_string(info.param) + "workers"; });

// ---- the C ABI, on the default runtime started with each worker count ----

void *twice(void *arg) { return reinterpret_cast<void *>(reinterpret_cast<std::uintptr_t>(arg) * 2); }

struct c_gate_job {
    std::shared_ptr<gate> g;
    std::atomic<int> started{0};
    std::atomic<bool> done{false};
};
void *wait_on_gate(void *arg) {
    auto *job = static_cast<c_gate_job *>(arg);
    job->started.fetch_add(1);
    job->g->wait();
    job->done.store(true);
    return reinterpret_cast<void *>(std::uintptr_t{77});
}

class BlockingCApi : public ::testing::TestWithParam<unsigned> {
protected:
    void SetUp() override {
        ASSERT_TRUE(drain_pool());
        weft_shutdown();
        ASSERT_EQ(weft_init(GetParam()), 0);
    }
    void TearDown() override {
        weft_wait_all();
        const weft_stats_t s = weft_stats();
        EXPECT_EQ(s.spawned, s.executed);
        weft_shutdown();
        pool().fail_thread_starts(0);
    }
};

TEST_P(BlockingCApi, NullFunctionIsEinval) {
    errno = 0;
    EXPECT_EQ(weft_spawn_blocking(nullptr, nullptr), nullptr);
    EXPECT_EQ(errno, EINVAL);
}

TEST_P(BlockingCApi, ResultThroughAwaitFromOutsideAndInsideTasks) {
    weft_future *f = weft_spawn_blocking(twice, reinterpret_cast<void *>(std::uintptr_t{21}));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(weft_await(f)), 42u);
    auto inner = [](void *arg) -> void * {
        weft_future *g = weft_spawn_blocking(twice, arg);
        return g ? weft_await(g) : nullptr;
    };
    std::vector<weft_future *> outer;
    for (std::uintptr_t i = 1; i <= 32; ++i) {
        outer.push_back(weft_spawn(inner, reinterpret_cast<void *>(i)));
        ASSERT_NE(outer.back(), nullptr);
    }
    for (std::uintptr_t i = 1; i <= 32; ++i)
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(weft_await(outer[i - 1])), 2 * i);
}

TEST_P(BlockingCApi, NoThreadCanStartIsEagain) {
    ASSERT_EQ(pool().thread_count(), 0u);
    pool().fail_thread_starts(1);
    errno = 0;
    EXPECT_EQ(weft_spawn_blocking(twice, nullptr), nullptr);
    EXPECT_EQ(errno, EAGAIN);
    weft_future *f = weft_spawn_blocking(twice, reinterpret_cast<void *>(std::uintptr_t{4}));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(weft_await(f)), 8u);
}

TEST_P(BlockingCApi, ShutdownRefusesNewJobsAndWaitsForRunningOnes) {
    c_gate_job job;
    job.g = std::make_shared<gate>();
    gate_opener opener{job.g};
    weft_future *f = weft_spawn_blocking(wait_on_gate, &job);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(eventually([&] { return job.started.load() == 1; }));
    bool done_when_stopped = false;
    std::thread stopper([&] {
        weft_shutdown();
        done_when_stopped = job.done.load();
    });
    // While the drain waits for the blocked job, spawns from outside are refused.
    int refusal = 0;
    const bool refused = eventually([&] {
        errno = 0;
        weft_future *extra = weft_spawn_blocking(twice, nullptr);
        if (extra) {
            weft_await(extra);
            return false;
        }
        refusal = errno;
        return true;
    });
    job.g->open();
    stopper.join();
    EXPECT_TRUE(refused);
    EXPECT_EQ(refusal, ECANCELED);
    EXPECT_TRUE(done_when_stopped);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(weft_await(f)), 77u);
}

INSTANTIATE_TEST_SUITE_P(Workers, BlockingCApi, ::testing::Values(1u, 2u, 4u),
                         [](const auto &info) { return std::to_string(info.param) + "workers"; });

}  // namespace
