// A runtime's life at its edges: calls from its own tasks, stats and waits during restarts, `then`
// after shutdown, fork(), bounds on its configuration, allocation failure, CPU affinity.
//
// Cases that crashed or hung before run in a child process (tests/reliability/child_process.hpp),
// so that a crash or a watchdog exit is one failed test, not a dead test binary. This binary
// replaces the global operator new so that any allocation can be made to fail.
#include "reliability/child_process.hpp"
#include "reliability/common.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <new>
#include <sched.h>
#include <signal.h>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

// ---- fault injection: every operator new of this process ----
namespace {
// > 0: the allocation that brings it to zero throws (or returns null for nothrow). Any thread.
std::atomic<long> g_new_countdown{0};
std::atomic<long> g_new_failures{0};  // allocations failed so far

bool fail_this_allocation() noexcept {
    if (g_new_countdown.load(std::memory_order_relaxed) <= 0) return false;
    if (g_new_countdown.fetch_sub(1, std::memory_order_relaxed) != 1) return false;
    g_new_failures.fetch_add(1, std::memory_order_relaxed);
    return true;
}
void *allocate(std::size_t n, std::size_t align) noexcept {
    if (fail_this_allocation()) return nullptr;
    if (n == 0) n = 1;
    if (align <= alignof(std::max_align_t)) return std::malloc(n);
    void *p = nullptr;
    return posix_memalign(&p, align, n) == 0 ? p : nullptr;
}
void *allocate_or_throw(std::size_t n, std::size_t align) {
    void *p = allocate(n, align);
    if (!p) throw std::bad_alloc();
    return p;
}
}  // namespace

void *operator new(std::size_t n) { return allocate_or_throw(n, 0); }
void *operator new[](std::size_t n) { return allocate_or_throw(n, 0); }
void *operator new(std::size_t n, std::align_val_t a) { return allocate_or_throw(n, static_cast<std::size_t>(a)); }
void *operator new[](std::size_t n, std::align_val_t a) { return allocate_or_throw(n, static_cast<std::size_t>(a)); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept { return allocate(n, 0); }
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept { return allocate(n, 0); }
void *operator new(std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept {
    return allocate(n, static_cast<std::size_t>(a));
}
void *operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept {
    return allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace std::chrono_literals;

// Threads of this process, from /proc/self/task.
int thread_count() {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    while (dirent *e = readdir(d))
        if (e->d_name[0] != '.') ++n;
    closedir(d);
    return n;
}

// A joined thread can linger in /proc/self/task for a moment after pthread_join returns (the
// kernel clears the tid before it reaps the task): poll, with a watchdog for a thread that stays.
::testing::AssertionResult threads_back_to(int expected) {
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    int n = thread_count();
    while (n != expected) {
        if (std::chrono::steady_clock::now() > give_up)
            return ::testing::AssertionFailure() << n << " threads still exist, expected " << expected;
        std::this_thread::sleep_for(1ms);
        n = thread_count();
    }
    return ::testing::AssertionSuccess();
}

// Runs a child test; passes when it exited 0 and ran its test (was not skipped).
void expect_child_passes(const char *filter, const char *name) {
    const rel::child_result r = rel::run_child_test(filter, name);
    EXPECT_EQ(r.signal, 0) << "the child died of signal " << r.signal << ":\n" << r.output;
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("[  PASSED  ] 1 test"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("[  SKIPPED ]"), std::string::npos) << r.output;
}

void *identity(void *p) { return p; }
void *add_one(void *p) { return reinterpret_cast<void *>(reinterpret_cast<std::uintptr_t>(p) + 1); }
void *as_ptr(std::uintptr_t v) { return reinterpret_cast<void *>(v); }

const unsigned k_worker_counts[] = {1, 2, 4};

// ---- calls from a runtime's own task ----

struct own_task_calls {
    int shutdown_errno = 0;
    int init_result = 0;
};

void *call_lifecycle_from_task(void *p) {
    auto *out = static_cast<own_task_calls *>(p);
    errno = 0;
    weft_shutdown();
    out->shutdown_errno = errno;
    out->init_result = weft_init(0);
    return p;
}

TEST(LifecycleChild, CCallsFromOwnTask) {
    if (!rel::is_child("own-task-c")) GTEST_SKIP() << "runs as a child of CallsFromOwnTaskAreRefused";
    rel::finishes_within(120s, "weft_shutdown/weft_init from a task", [] {
        for (unsigned workers : k_worker_counts) {
            ASSERT_EQ(weft_init(workers), 0);
            own_task_calls out;
            weft_future *f = weft_spawn(&call_lifecycle_from_task, &out);
            ASSERT_NE(f, nullptr);
            EXPECT_EQ(weft_await(f), &out);
            EXPECT_EQ(out.shutdown_errno, EDEADLK) << workers << " workers";
            EXPECT_EQ(out.init_result, EDEADLK) << workers << " workers";
            // The runtime still works.
            weft_future *g = weft_spawn(&add_one, as_ptr(1));
            EXPECT_EQ(weft_await(g), as_ptr(2));
            weft_shutdown();
        }
    });
}

TEST(LifecycleChild, CppShutdownAndDestructorFromOwnTask) {
    if (!rel::is_child("own-task-cpp")) GTEST_SKIP() << "runs as a child of CallsFromOwnTaskAreRefused";
    rel::finishes_within(120s, "runtime shutdown/destructor from its own task", [] {
        const int baseline = thread_count();
        for (unsigned workers : k_worker_counts) {
            {
                weft::runtime rt(weft::options{workers, 0, 0});
                auto f = rt.spawn([&rt] {
                    try {
                        rt.shutdown();
                    } catch (const std::logic_error &) {
                        return 1;
                    }
                    return 0;
                });
                EXPECT_EQ(f.get(), 1) << "runtime::shutdown from its own task must throw std::logic_error";
                rt.shutdown();
                EXPECT_THROW(rt.spawn([] {}), weft::runtime_closed);
            }
            EXPECT_TRUE(threads_back_to(baseline));

            // The task that destroys its runtime returns; every task queued before it still runs,
            // and then every thread of the runtime goes away.
            std::atomic<int> ran{0};
            std::atomic<bool> destructor_returned{false};
            auto *rt = new weft::runtime(weft::options{workers, 0, 0});
            for (int i = 0; i < 100; ++i) rt->spawn_detached([&ran] { ran.fetch_add(1); });
            rt->spawn_detached([rt, &ran, &destructor_returned] {
                delete rt;
                destructor_returned.store(true);
                weft::spawn_detached([&ran] { ran.fetch_add(1); });  // still its runtime: accepted
            });
            EXPECT_TRUE(threads_back_to(baseline)) << workers << " workers";
            EXPECT_TRUE(destructor_returned.load());
            EXPECT_EQ(ran.load(), 101);
        }
    });
}

TEST(Lifecycle, CallsFromOwnTaskAreRefused) {
    expect_child_passes("LifecycleChild.CCallsFromOwnTask", "own-task-c");
    expect_child_passes("LifecycleChild.CppShutdownAndDestructorFromOwnTask", "own-task-cpp");
}

// ---- stats and wait_all while another thread restarts the runtime ----

TEST(LifecycleChild, StatsAndWaitAllDuringRestarts) {
    if (!rel::is_child("stats-restarts")) GTEST_SKIP() << "runs as a child of StatsAndWaitAllDuringRestarts";
    const int rounds = static_cast<int>(rel::scaled(200, 100, 40, 40));
    rel::finishes_within(240s, "stats and wait_all during restarts", [rounds] {
        std::atomic<bool> stop{false};
        std::atomic<long> backwards{0};
        std::thread cycler([&] {
            for (int i = 0; i < rounds; ++i) {
                const int rc = weft_init(1 + static_cast<unsigned>(i % 4));  // a new worker set each time
                EXPECT_TRUE(rc == 0 || rc == EBUSY) << rc;
                for (int k = 0; k < 20; ++k) weft_spawn_detached([](void *) {}, nullptr);
                weft_shutdown();
            }
            stop.store(true);
        });
        std::thread reader([&] {
            weft_stats_t prev{};
            while (!stop.load()) {
                const weft_stats_t s = weft_stats();
                if (s.spawned < prev.spawned || s.executed < prev.executed || s.stolen < prev.stolen ||
                    s.parked < prev.parked || s.woken < prev.woken)
                    backwards.fetch_add(1);
                prev = s;
            }
        });
        std::thread waiter([&] {
            while (!stop.load()) weft_wait_all();
        });
        cycler.join();
        reader.join();
        waiter.join();
        EXPECT_EQ(backwards.load(), 0) << "weft_stats went backwards";
        const weft_stats_t s = weft_stats();
        EXPECT_EQ(s.spawned, s.executed);
        EXPECT_EQ(s.spawned, static_cast<std::uint64_t>(rounds) * 20);
    });
}

TEST(Lifecycle, StatsAndWaitAllDuringRestarts) {
    expect_child_passes("LifecycleChild.StatsAndWaitAllDuringRestarts", "stats-restarts");
}

// ---- then after shutdown ----

// Runs `round` a few thousand times (fewer under sanitizers and chaos) while another thread keeps
// stopping the default runtime, which the rounds' spawns start again; then stops it.
template <class Round>
void rounds_while_another_thread_stops_the_runtime(Round round) {
    std::atomic<bool> stop{false};
    std::thread stopper([&] {
        while (!stop.load()) {
            weft_shutdown();
            std::this_thread::yield();
        }
    });
    const int rounds = static_cast<int>(rel::scaled(2000, 500, 200, 200));
    for (int i = 0; i < rounds; ++i) round();
    stop.store(true);
    stopper.join();
    weft_shutdown();
}

TEST(LifecycleChild, ThenAfterShutdown) {
    if (!rel::is_child("then-after-shutdown")) GTEST_SKIP() << "runs as a child of ThenAfterShutdown";
    rel::finishes_within(120s, "weft_future_then after weft_shutdown", [] {
        for (unsigned workers : k_worker_counts) {
            ASSERT_EQ(weft_init(workers), 0);
            weft_future *f = weft_spawn(&identity, as_ptr(41));
            ASSERT_EQ(weft_future_get(f), as_ptr(41));
            weft_shutdown();
            errno = 0;
            weft_future *g = weft_future_then(f, &add_one);
            if (g) {
                EXPECT_EQ(weft_await(g), as_ptr(42)) << workers << " workers";
            } else {
                EXPECT_EQ(errno, ECANCELED) << workers << " workers";
            }
            weft_shutdown();
        }
        // The same while another thread keeps stopping the runtime.
        rounds_while_another_thread_stops_the_runtime([] {
            weft_future *f = weft_spawn(&identity, as_ptr(7));
            if (!f) {
                EXPECT_EQ(errno, ECANCELED);
                return;
            }
            EXPECT_EQ(weft_future_get(f), as_ptr(7));
            weft_future *g = weft_future_then(f, &add_one);
            if (g) {
                EXPECT_EQ(weft_await(g), as_ptr(8));
            } else {
                EXPECT_EQ(errno, ECANCELED);
            }
        });
    });
}

TEST(Lifecycle, ThenAfterShutdown) { expect_child_passes("LifecycleChild.ThenAfterShutdown", "then-after-shutdown"); }

// The map task of a then whose input was still pending at weft_shutdown() is submitted by the
// thread that completes the input, after the runtime stopped. It must run (the default runtime
// starts again, as for any spawn) or fail with ECANCELED; before, it stayed in the queue of the
// stopped runtime and its await hung.
TEST(LifecycleChild, ThenOfAPendingInputFinishedAfterShutdown) {
    if (!rel::is_child("then-pending-after-shutdown")) GTEST_SKIP() << "runs as a child of ThenOfAPendingInputFinishedAfterShutdown";
    rel::finishes_within(120s, "a then whose input finishes after weft_shutdown", [] {
        for (unsigned workers : k_worker_counts) {
            ASSERT_EQ(weft_init(workers), 0);
            weft_future *p = weft_promise_new();
            ASSERT_NE(p, nullptr);
            weft_future *input = weft_when_all(&p, 1);  // pending until p is set; consumed by then
            ASSERT_NE(input, nullptr);
            weft_future *g = weft_future_then(input, &add_one);
            ASSERT_NE(g, nullptr);
            weft_shutdown();
            ASSERT_EQ(weft_promise_set(p, nullptr), 0);  // completes the input on this thread
            weft_future_release(p);
            errno = 0;
            void *r = weft_await(g);
            if (r) {
                EXPECT_EQ(r, as_ptr(1)) << workers << " workers";  // when_all resolves to NULL
            } else {
                EXPECT_EQ(errno, ECANCELED) << workers << " workers";
            }
            weft_shutdown();
        }
        // The same while another thread keeps stopping (and spawns keep restarting) the runtime.
        rounds_while_another_thread_stops_the_runtime([] {
            weft_future *p = weft_promise_new();
            ASSERT_NE(p, nullptr);
            weft_future *input = weft_when_all(&p, 1);
            weft_future *g = input ? weft_future_then(input, &add_one) : nullptr;
            ASSERT_EQ(weft_promise_set(p, nullptr), 0);
            weft_future_release(p);
            if (!g) return;  // refused while stopping: nothing to await
            errno = 0;
            void *r = weft_await(g);
            if (r) {
                EXPECT_EQ(r, as_ptr(1));
            } else {
                EXPECT_EQ(errno, ECANCELED);
            }
        });
    });
}

TEST(Lifecycle, ThenOfAPendingInputFinishedAfterShutdown) {
    expect_child_passes("LifecycleChild.ThenOfAPendingInputFinishedAfterShutdown", "then-pending-after-shutdown");
}

// ---- fork ----

// In the forked child: the default runtime must work afresh, and shutdown must be safe.
int use_weft_in_forked_child(weft::runtime &from_parent) {
    alarm(60);  // a hang becomes SIGALRM, which the parent reports
    // A runtime of the parent has no threads here: it refuses spawns and stops without waiting.
    try {
        from_parent.spawn([] {});
        return 3;
    } catch (const weft::runtime_closed &) {
    }
    from_parent.shutdown();
    weft_future *f = weft_spawn(&add_one, as_ptr(1));
    if (!f || weft_await(f) != as_ptr(2)) return 1;
    int sum = 0;
    weft::runtime rt(weft::options{2, 0, 0});
    std::vector<weft::future<int>> fs;
    for (int i = 0; i < 100; ++i) fs.push_back(rt.spawn([i] { return i; }));
    for (auto &x : fs) sum += x.get();
    if (sum != 4950) return 2;
    weft_wait_all();
    weft_shutdown();
    weft_shutdown();
    return 0;
}

TEST(LifecycleChild, ForkWhileRunning) {
    if (!rel::is_child("fork")) GTEST_SKIP() << "runs as a child of ForkWhileRunning";
    rel::finishes_within(240s, "fork while the runtime runs", [] {
        ASSERT_EQ(weft_init(2), 0);
        // Keep the workers spawning, awaiting and completing while the process forks, so that the
        // runtime's locks are in use at the moment of the fork.
        std::atomic<bool> stop{false};
        weft::runtime other(weft::options{2, 0, 0});
        std::thread busy([&] {
            while (!stop.load()) {
                auto f = weft::spawn([] {
                    auto a = weft::spawn([] { return 1; });
                    auto b = weft::spawn([] { return 2; });
                    return a.get() + b.get();
                });
                auto g = other.spawn([] { return 3; });
                EXPECT_EQ(f.get() + g.get(), 6);
            }
        });
        const int forks = static_cast<int>(rel::scaled(40, 20, 10, 10));
        for (int i = 0; i < forks; ++i) {
            const pid_t pid = fork();
            ASSERT_GE(pid, 0);
            if (pid == 0) _exit(use_weft_in_forked_child(other));
            int status = 0;
            ASSERT_EQ(waitpid(pid, &status, 0), pid);
            EXPECT_TRUE(WIFEXITED(status)) << "fork " << i << ": the child died of signal "
                                           << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
            if (WIFEXITED(status)) {
                EXPECT_EQ(WEXITSTATUS(status), 0) << "fork " << i;
            }
        }
        stop.store(true);
        busy.join();
        weft_shutdown();
    });
}

TEST(Lifecycle, ForkWhileRunning) {
    if (rel::k_tsan) GTEST_SKIP() << "ThreadSanitizer does not support threads in a child of a threaded fork";
    // This toolchain's AddressSanitizer does not hold its allocator's locks across fork(): a child
    // forked while another thread is inside the sanitizer's allocator inherits that lock held and
    // hangs in its first allocation (seen: the child's new threads block in the allocator's
    // free list). glibc's malloc, used by the other builds, takes its locks around fork.
    if (rel::k_asan) GTEST_SKIP() << "AddressSanitizer's allocator is not fork-safe in a threaded process";
    expect_child_passes("LifecycleChild.ForkWhileRunning", "fork");
}

// ---- bounds on the configuration ----

// Limits the address space to what is mapped now plus `extra` (not under sanitizers), until destroyed.
struct address_space_cap {
    rlimit old{};
    bool set = false;
    explicit address_space_cap(std::size_t extra) {
        if (rel::k_sanitized || getrlimit(RLIMIT_AS, &old) != 0) return;
        std::size_t mapped = 0;
        if (FILE *f = std::fopen("/proc/self/statm", "r")) {
            unsigned long pages = 0;
            if (std::fscanf(f, "%lu", &pages) == 1) mapped = pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
            std::fclose(f);
        }
        if (mapped == 0) return;
        rlimit cap = old;
        cap.rlim_cur = mapped + extra;
        set = setrlimit(RLIMIT_AS, &cap) == 0;
    }
    ~address_space_cap() {
        if (set) setrlimit(RLIMIT_AS, &old);
    }
};

TEST(LifecycleChild, AbsurdWorkerCounts) {
    if (!rel::is_child("bounds")) GTEST_SKIP() << "runs as a child of AbsurdConfigurationIsRefused";
    const int baseline = thread_count();
    {
        // A runtime that tried to honour these would ask for gigabytes; the cap turns that into a
        // quick failure (and this machine's memory stays with the other processes on it).
        // Sanitizers reserve terabytes of shadow up front, so there the cap cannot be applied.
        address_space_cap cap(std::size_t{2} << 30);
        EXPECT_EQ(weft_init(UINT_MAX), EINVAL);
        EXPECT_EQ(weft_init(4097), EINVAL);
        EXPECT_THROW(weft::runtime(weft::options{UINT_MAX, 0, 0}), std::invalid_argument);
    }
    EXPECT_THROW(weft::runtime(weft::options{1, 1024, 0}), std::invalid_argument);
    EXPECT_THROW(weft::runtime(weft::options{1, static_cast<std::size_t>(PTHREAD_STACK_MIN) - 1, 0}),
                 std::invalid_argument);
    EXPECT_EQ(thread_count(), baseline);
    weft::runtime ok(weft::options{1, static_cast<std::size_t>(PTHREAD_STACK_MIN) + (1 << 16), 0});
    EXPECT_EQ(ok.spawn([] { return 5; }).get(), 5);
}

TEST(Lifecycle, AbsurdConfigurationIsRefused) { expect_child_passes("LifecycleChild.AbsurdWorkerCounts", "bounds"); }

// The default worker count: the CPUs this process may run on.
unsigned affinity_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return static_cast<unsigned>(CPU_COUNT(&set));
}

TEST(LifecycleChild, InvalidWeftWorkers) {
    if (!rel::is_child("env")) GTEST_SKIP() << "runs as a child of InvalidWeftWorkersIsReportedOnce";
    // The parent set WEFT_WORKERS; the default applies, and a restart does not report it again.
    EXPECT_EQ(weft_workers(), affinity_cpus());
    weft_shutdown();
    ASSERT_EQ(weft_init(0), 0);
    EXPECT_EQ(weft_workers(), affinity_cpus());
    weft::runtime rt;
    EXPECT_EQ(rt.workers(), affinity_cpus());
    weft_shutdown();
}

TEST(Lifecycle, InvalidWeftWorkersIsReportedOnce) {
    for (const char *bad : {"abc", "0", "-2", "4097", "99999999999999999999", "3x", " ", ""}) {
        setenv("WEFT_WORKERS", bad, 1);
        const rel::child_result r = rel::run_child_test("LifecycleChild.InvalidWeftWorkers", "env");
        unsetenv("WEFT_WORKERS");
        EXPECT_EQ(r.exit_code, 0) << "WEFT_WORKERS=\"" << bad << "\":\n" << r.output;
        std::size_t reports = 0;
        for (std::size_t at = r.output.find("WEFT_WORKERS=\""); at != std::string::npos;
             at = r.output.find("WEFT_WORKERS=\"", at + 1))
            ++reports;
        EXPECT_EQ(reports, 1u) << "WEFT_WORKERS=\"" << bad << "\" should be reported exactly once:\n" << r.output;
    }
}

// ---- CPU affinity ----

TEST(LifecycleChild, OneCpuAffinity) {
    if (!rel::is_child("affinity")) GTEST_SKIP() << "runs as a child of WorkerCountHonoursAffinity";
    unsetenv("WEFT_WORKERS");
    cpu_set_t set;
    ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    int first = 0;
    while (!CPU_ISSET(first, &set)) ++first;
    CPU_ZERO(&set);
    CPU_SET(first, &set);
    ASSERT_EQ(sched_setaffinity(0, sizeof set, &set), 0);
    EXPECT_EQ(weft_workers(), 1u);
    weft::runtime rt;
    EXPECT_EQ(rt.workers(), 1u);
    weft_shutdown();
}

TEST(Lifecycle, WorkerCountHonoursAffinity) {
    if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs a machine with at least 2 CPUs";
    expect_child_passes("LifecycleChild.OneCpuAffinity", "affinity");
}

// ---- allocation failure in construction and shutdown ----

TEST(LifecycleChild, EveryFailedAllocationIsClean) {
    if (!rel::is_child("alloc")) GTEST_SKIP() << "runs as a child of EveryFailedAllocationIsClean";
    rel::finishes_within(240s, "allocation failure sweep", [] {
        const int baseline = thread_count();
        for (unsigned workers : k_worker_counts) {
            // C++: the constructor throws std::bad_alloc and leaves no thread; the destructor survives.
            bool construction_hit = true, shutdown_hit = true;
            long n = 1;
            for (; (construction_hit || shutdown_hit) && n < 2000; ++n) {
                const long failures = g_new_failures.load();
                g_new_countdown.store(n);
                std::unique_ptr<weft::runtime> rt;
                try {
                    rt = std::make_unique<weft::runtime>(weft::options{workers, 0, 0});
                } catch (const std::bad_alloc &) {
                }
                g_new_countdown.store(0);
                construction_hit = g_new_failures.load() != failures;
                if (!rt) {
                    EXPECT_TRUE(construction_hit) << "n=" << n;
                }
                shutdown_hit = false;
                if (rt) {
                    EXPECT_EQ(rt->spawn([] { return 3; }).get(), 3);
                    const long before = g_new_failures.load();
                    g_new_countdown.store(n);
                    rt.reset();  // must neither throw nor crash
                    g_new_countdown.store(0);
                    shutdown_hit = g_new_failures.load() != before;
                }
                ASSERT_TRUE(threads_back_to(baseline)) << workers << " workers, n=" << n;
            }
            EXPECT_FALSE(construction_hit) << "the sweep never reached a construction with no failure";
            std::fprintf(stderr, "%u workers: failed allocation 1 to %ld of runtime construction and shutdown in turn\n",
                         workers, n - 2);
            // C: weft_init returns an error code and leaves no thread; no exception crosses the ABI.
            construction_hit = true;
            shutdown_hit = true;
            for (long n = 1; (construction_hit || shutdown_hit) && n < 2000; ++n) {
                const long failures = g_new_failures.load();
                g_new_countdown.store(n);
                int rc = -1;
                EXPECT_NO_THROW(rc = weft_init(workers)) << "n=" << n;
                g_new_countdown.store(0);
                construction_hit = g_new_failures.load() != failures;
                EXPECT_TRUE(rc == 0 || rc == ENOMEM) << workers << " workers, n=" << n << " rc=" << rc;
                shutdown_hit = false;
                if (rc == 0) {
                    weft_future *f = weft_spawn(&add_one, as_ptr(1));
                    EXPECT_EQ(weft_await(f), as_ptr(2));
                    const long before = g_new_failures.load();
                    g_new_countdown.store(n);
                    EXPECT_NO_THROW(weft_shutdown()) << "n=" << n;
                    g_new_countdown.store(0);
                    shutdown_hit = g_new_failures.load() != before;
                    weft_shutdown();
                }
                ASSERT_TRUE(threads_back_to(baseline)) << workers << " workers, n=" << n;
            }
            EXPECT_FALSE(construction_hit) << "the sweep never reached a weft_init with no failure";
        }
    });
}

// Sweeps N over every allocation of construction and shutdown, making the Nth fail. Under
// AddressSanitizer the child's exit also checks that nothing leaked.
TEST(Lifecycle, EveryFailedAllocationIsClean) {
    expect_child_passes("LifecycleChild.EveryFailedAllocationIsClean", "alloc");
}

}  // namespace
