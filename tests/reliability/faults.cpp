// Fault injection: failed task allocations, failed thread creation, throwing result destructors, memory exhaustion.
#include "cell_pool.hpp"
#include "child_process.hpp"
#include "common.hpp"
#include "scheduler.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <malloc.h>
#include <string>
#include <sys/resource.h>
#include <system_error>
#include <vector>

namespace {

// Counts live closures: a spawn that fails must not leak the closure it was given.
struct probe {
    std::atomic<int> *live;
    explicit probe(std::atomic<int> *l) : live(l) { live->fetch_add(1); }
    probe(const probe &o) : live(o.live) { live->fetch_add(1); }
    probe(probe &&o) noexcept : live(o.live) { live->fetch_add(1); }
    ~probe() { live->fetch_sub(1); }
};

// A fixed task tree in which every task allocation is a spawn whose failure is caught and counted.
struct fault_tree {
    std::atomic<int> failures{0};     // allocations that threw (or returned ENOMEM)
    std::atomic<int> spawned_ok{0};   // tasks whose spawn succeeded
    std::atomic<int> ran{0};          // task bodies run
    std::atomic<int> live_closures{0};
    std::atomic<int> wrong_errno{0};

    static void *c_leaf(void *arg) {
        static_cast<fault_tree *>(arg)->ran.fetch_add(1);
        return arg;
    }

    void node(int depth) {
        ran.fetch_add(1);
        if (depth == 0) return;
        try {  // awaited child
            auto f = weft::spawn([this, p = probe(&live_closures), depth] {
                node(depth - 1);
                return depth;
            });
            spawned_ok.fetch_add(1);
            if (f.get() != depth) wrong_errno.fetch_add(1000);
        } catch (const std::bad_alloc &) {
            failures.fetch_add(1);
        }
        try {  // detached child
            weft::spawn_detached([this, p = probe(&live_closures), depth] { node(depth - 1); });
            spawned_ok.fetch_add(1);
        } catch (const std::bad_alloc &) {
            failures.fetch_add(1);
        }
        {  // two children in a group
            weft::task_group g;
            for (int i = 0; i < 2; ++i) {
                try {
                    g.spawn([this, p = probe(&live_closures), depth] { node(depth - 1); });
                    spawned_ok.fetch_add(1);
                } catch (const std::bad_alloc &) {
                    failures.fetch_add(1);
                }
            }
            g.wait();
        }
        // A C leaf.
        if (weft_future *f = weft_spawn(&c_leaf, this)) {
            spawned_ok.fetch_add(1);
            weft_await(f);
        } else {
            failures.fetch_add(1);
            if (errno != ENOMEM) wrong_errno.fetch_add(1);
        }
        // A leaf behind when_all (the combinator allocates its own cell).
        try {
            std::vector<weft::future<int>> v;
            v.push_back(weft::spawn([this, p = probe(&live_closures)] {
                ran.fetch_add(1);
                return 7;
            }));
            spawned_ok.fetch_add(1);
            try {
                weft::when_all(v).get();
            } catch (const std::bad_alloc &) {
                failures.fetch_add(1);
            }
            if (v[0].get() != 7) wrong_errno.fetch_add(1000);
        } catch (const std::bad_alloc &) {
            failures.fetch_add(1);
        }
    }
};

// Runs the tree with the nth allocation (counted from inside the root task) failing.
struct sweep_result {
    int failures, spawned_ok, ran, live_closures, wrong;
    bool later_spawn_works;
    std::uint64_t spawned, executed;
};
sweep_result run_tree(std::int64_t n, int depth) {
    fault_tree t;
    sweep_result r{};
    {
        weft::runtime rt(weft::options{2, 0, 0});
        auto root = rt.spawn([&t, n, depth] {
            weft::detail::fail_nth_allocation(n);
            t.node(depth);
        });
        root.get();
        rt.wait_idle();
        weft::detail::fail_nth_allocation(0);
        r.later_spawn_works = rt.spawn([] { return 42; }).get() == 42;
        rt.wait_idle();
        const weft::stats s = rt.stats();
        r.spawned = s.spawned;
        r.executed = s.executed;
    }
    r.failures = t.failures.load();
    r.spawned_ok = t.spawned_ok.load();
    r.ran = t.ran.load();
    r.live_closures = t.live_closures.load();
    r.wrong = t.wrong_errno.load();
    return r;
}

TEST(ReliabilityFaults, EveryAllocationOfATaskTreeFailsOnceAndTheRuntimeRecovers) {
    const int depth = rel::k_chaos || rel::k_tsan ? 2 : 3;
    const sweep_result clean = run_tree(0, depth);
    ASSERT_EQ(clean.failures, 0);
    ASSERT_EQ(clean.ran, clean.spawned_ok + 1);
    // Allocations in the clean run: every successful spawn plus one when_all cell per internal node.
    const int allocations = clean.spawned_ok + clean.spawned_ok / 6;
    int injected = 0;
    for (int n = 1; n <= allocations + 2; ++n) {
        if (rel::env_u64("WEFT_REL_VERBOSE", 0)) std::fprintf(stderr, "sweep n=%d\n", n);
        sweep_result r{};
        rel::finishes_within(std::chrono::seconds(60), "task tree with allocation " + std::to_string(n) + " failing",
                             [&] { r = run_tree(n, depth); });
        SCOPED_TRACE("failing allocation " + std::to_string(n) + " of " + std::to_string(allocations));
        EXPECT_EQ(r.failures, n <= allocations ? 1 : 0);
        EXPECT_EQ(r.wrong, 0) << "a C spawn failed with errno other than ENOMEM, or a value was wrong";
        EXPECT_EQ(r.ran, r.spawned_ok + 1) << "a spawned task did not run exactly once";
        EXPECT_EQ(r.live_closures, 0) << "a closure leaked or was destroyed twice";
        EXPECT_TRUE(r.later_spawn_works);
        EXPECT_EQ(r.spawned, r.executed);
        injected += r.failures;
    }
    rel::figure("allocation_faults_injected_and_survived", injected, "faults");
}

TEST(ReliabilityFaults, CSpawnReportsEnomemAndLaterSpawnsWork) {
    ASSERT_EQ(weft_init(2) == 0 || weft_init(2) == EBUSY, true);
    auto id = [](void *p) -> void * { return p; };
    int x = 0;
    weft::detail::fail_nth_allocation(1);
    errno = 0;
    EXPECT_EQ(weft_spawn(id, &x), nullptr);
    EXPECT_EQ(errno, ENOMEM);
    weft::detail::fail_nth_allocation(1);
    EXPECT_EQ(weft_spawn_detached([](void *) {}, &x), ENOMEM);
    weft_future *f = weft_spawn(id, &x);
    ASSERT_NE(f, nullptr);
    weft::detail::fail_nth_allocation(1);
    errno = 0;
    EXPECT_EQ(weft_future_then(f, id), nullptr);  // consumes f even when it fails
    EXPECT_EQ(errno, ENOMEM);
    weft::detail::fail_nth_allocation(1);
    weft_future *g = weft_spawn(id, &x);  // fails
    EXPECT_EQ(g, nullptr);
    g = weft_spawn(id, &x);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(weft_await(g), &x);
    weft_wait_all();
    const weft_stats_t s = weft_stats();
    EXPECT_EQ(s.spawned, s.executed);
}

// pthread_create cannot reserve a 64 TiB stack: the constructor must throw std::system_error.
TEST(ReliabilityFaults, ThreadCreationFailureThrowsSystemError) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        try {
            weft::runtime rt(weft::options{4, std::size_t{1} << 46, 0});
            ADD_FAILURE() << "a runtime with 64 TiB stacks started";
        } catch (const std::system_error &e) {
            EXPECT_NE(e.code().value(), 0);
            std::fprintf(stderr, "thread creation failure reported as: %s\n", e.what());
        }
    }
    weft::runtime rt(weft::options{2, 0, 0});
    EXPECT_EQ(rt.spawn([] { return 5; }).get(), 5);
}

// The process's address-space size now (VmSize, what RLIMIT_AS is checked against), in bytes.
std::size_t address_space_bytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmSize:", 0) == 0) return static_cast<std::size_t>(std::strtoull(line.c_str() + 7, nullptr, 10)) * 1024;
    return 0;
}

// Caps the address space at what the process uses now plus `budget` bytes. Only the soft limit
// moves (the hard one stays), so a later call may raise it again without privileges.
void limit_address_space_to_current_plus(std::size_t budget, const char *what) {
    const std::size_t now = address_space_bytes();
    ASSERT_NE(now, 0u) << "cannot read VmSize from /proc/self/status";
    rlimit rl{};
    ASSERT_EQ(getrlimit(RLIMIT_AS, &rl), 0) << std::strerror(errno);
    ASSERT_TRUE(rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= now + budget) << "the hard RLIMIT_AS is already lower";
    rl.rlim_cur = static_cast<rlim_t>(now + budget);
    ASSERT_EQ(setrlimit(RLIMIT_AS, &rl), 0) << std::strerror(errno);
    std::printf("child: %s: address space %zu MiB, limit set %zu MiB above it\n", what, now >> 20, budget >> 20);
}

// glibc gives a thread that first calls malloc its own arena: 64 MiB of address space (128 MiB
// while it is being aligned), reserved whenever that happens. One arena keeps those reservations
// from eating a budget at moments the test cannot predict.
void single_malloc_arena() {
#ifdef M_ARENA_MAX
    mallopt(M_ARENA_MAX, 1);
#endif
}

// Child: 8 workers with default (64 MiB) stacks, under a limit that leaves room for three and a
// half stacks above what the process uses: the eight stacks (512 MiB) provably do not fit, at
// most three workers start before one fails, and at least half a stack stays free for the error
// path. The limit is measured again before each attempt, so the attempts do not depend on what
// the earlier ones left mapped.
TEST(ReliabilityFaultsChild, AddressSpaceLimitStopsWorkerStart) {
    if (!rel::is_child("threads")) GTEST_SKIP() << "runs as a child of ThreadStartUnderAddressSpaceLimit";
    single_malloc_arena();
    constexpr std::size_t k_stack = weft::detail::k_default_stack_size;
    constexpr std::size_t k_budget = k_stack * 7 / 2;
    int failed = 0;
    for (int i = 0; i < 5; ++i) {
        ASSERT_NO_FATAL_FAILURE(limit_address_space_to_current_plus(k_budget, "runtime(8 workers)"));
        try {
            weft::runtime rt(weft::options{8, 0, 0});
        } catch (const std::system_error &e) {
            ++failed;
            std::printf("child: runtime(8 workers) threw system_error: %s\n", e.what());
        }
    }
    EXPECT_EQ(failed, 5);
    ASSERT_NO_FATAL_FAILURE(limit_address_space_to_current_plus(k_budget, "weft_init(8)"));
    const int c = weft_init(8);
    std::printf("child: weft_init(8) returned %d (%s)\n", c, std::strerror(c));
    EXPECT_NE(c, 0);
    // Two 1 MiB stacks fit many times over in the same budget.
    ASSERT_NO_FATAL_FAILURE(limit_address_space_to_current_plus(k_budget, "runtime(2 workers, 1 MiB stacks)"));
    weft::runtime small(weft::options{2, std::size_t{1} << 20, 0});
    EXPECT_EQ(small.spawn([] { return 3; }).get(), 3);
}

TEST(ReliabilityFaults, ThreadStartUnderAddressSpaceLimit) {
    if (rel::k_sanitized) GTEST_SKIP() << "sanitizers reserve terabytes of shadow memory; RLIMIT_AS cannot apply";
    const rel::child_result r = rel::run_child_test("ReliabilityFaultsChild.AddressSpaceLimitStopsWorkerStart", "threads");
    std::fprintf(stderr, "%s", r.output.c_str());
    EXPECT_EQ(r.signal, 0) << "child crashed";
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("threw system_error"), std::string::npos);
}

// Child: spawn 10M tasks and keep their futures, under a limit that provably cannot hold them,
// then check the failure is a clean bad_alloc / ENOMEM and that the runtime recovers. Every
// outstanding task keeps a cell of at least sizeof(task_cell) + sizeof(int) bytes (header and
// result), and this child has spawned nothing before, so no cell memory is mapped yet: the loop
// needs at least 10M * 28 bytes (267 MiB) of new address space. The limit leaves half of that
// above what the process uses once the runtimes run and the futures' vector is reserved, so
// spawn must fail however the scheduler interleaves, and the other half is never needed.
TEST(ReliabilityFaultsChild, OutstandingTasksExhaustMemory) {
    if (!rel::is_child("oom")) GTEST_SKIP() << "runs as a child of MemoryExhaustionIsAClearFailure";
    constexpr std::size_t k_want = 10'000'000;
    constexpr std::size_t k_min_bytes_per_task = sizeof(weft::detail::task_cell) + sizeof(int);
    constexpr std::size_t k_budget = k_want * k_min_bytes_per_task / 2;
    single_malloc_arena();
    ASSERT_EQ(weft_init(2), 0);
    weft::runtime rt(weft::options{2, 0, 0});
    std::vector<weft::future<int>> outstanding;
    outstanding.reserve(k_want);
    ASSERT_NO_FATAL_FAILURE(limit_address_space_to_current_plus(k_budget, "10M outstanding tasks"));
    std::size_t spawned = 0;
    bool exhausted = false;
    try {
        for (; spawned < k_want; ++spawned) outstanding.push_back(rt.spawn([] { return 1; }));
    } catch (const std::bad_alloc &) {
        exhausted = true;
    }
    std::printf("child: %zu tasks outstanding when spawn threw bad_alloc: %s\n", spawned, exhausted ? "yes" : "no");
    EXPECT_TRUE(exhausted);
    // The C ABI reports the same exhaustion as NULL/ENOMEM.
    errno = 0;
    weft_future *cf = weft_spawn([](void *p) { return p; }, nullptr);
    std::printf("child: weft_spawn at exhaustion: %s, errno %d\n", cf ? "succeeded" : "NULL", errno);
    if (cf) weft_future_release(cf);
    else EXPECT_EQ(errno, ENOMEM);
    // Nothing corrupted: every spawned task ran and has its value.
    std::size_t sum = 0;
    for (std::size_t i = 0; i < outstanding.size(); i += 997) sum += outstanding[i].get();
    EXPECT_EQ(sum, (outstanding.size() + 996) / 997);
    outstanding.clear();
    outstanding.shrink_to_fit();
    for (int i = 0; i < 100000; ++i) outstanding.push_back(rt.spawn([i] { return i; }));
    for (int i = 0; i < 100000; i += 1000) EXPECT_EQ(outstanding[i].get(), i);
    outstanding.clear();
    rt.wait_idle();
    const weft::stats s = rt.stats();
    EXPECT_EQ(s.spawned, s.executed);
    std::printf("child: recovered, %llu tasks spawned and executed in all\n", static_cast<unsigned long long>(s.executed));
}

TEST(ReliabilityFaults, MemoryExhaustionIsAClearFailure) {
    if (rel::k_sanitized) GTEST_SKIP() << "sanitizers reserve terabytes of shadow memory; RLIMIT_AS cannot apply";
    if (rel::k_chaos) GTEST_SKIP() << "millions of chaos points take minutes";
    const rel::child_result r = rel::run_child_test("ReliabilityFaultsChild.OutstandingTasksExhaustMemory", "oom");
    std::fprintf(stderr, "%s", r.output.c_str());
    EXPECT_EQ(r.signal, 0) << "child crashed";
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("threw bad_alloc: yes"), std::string::npos);
}

// A result whose destructor throws (noexcept(false)): weft reports it, the process goes on.
struct bomb_error : std::runtime_error {
    bomb_error() : std::runtime_error("result destructor threw") {}
};
struct bomb {
    bool armed;
    explicit bomb(bool a) : armed(a) {}
    bomb(bomb &&o) noexcept : armed(std::exchange(o.armed, false)) {}
    ~bomb() noexcept(false) {
        if (armed) throw bomb_error();
    }
};

TEST(ReliabilityFaults, ThrowingResultDestructorIsReportedNotFatal) {
    static std::atomic<int> reported{0}, other{0};
    weft::set_exception_handler([](std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const bomb_error &) {
            reported.fetch_add(1);
        } catch (...) {
            other.fetch_add(1);
        }
    });
    constexpr int k_each = 200;
    int expected = 0;
    {
        weft::runtime rt(weft::options{2, 0, 0});
        for (int i = 0; i < k_each; ++i) {
            auto dropped_early = rt.spawn([] { return bomb(true); });  // dropped before or after it ran
        }
        expected += k_each;
        for (int i = 0; i < k_each; ++i) {
            auto f = rt.spawn([] { return bomb(true); });
            f.wait();  // dropped after it is ready: destroyed on this thread
        }
        expected += k_each;
        for (int i = 0; i < k_each; ++i) rt.spawn_detached([] { return bomb(true); });  // discarded in the task
        expected += k_each;
        for (int i = 0; i < k_each; ++i) {
            auto f = rt.spawn([] { return bomb(true); });
            bomb b = f.get();  // moved out: the cell's copy is disarmed
            b.armed = false;
        }
        rt.wait_idle();
        EXPECT_EQ(rt.spawn([] { return 9; }).get(), 9);
        rt.wait_idle();
        const weft::stats s = rt.stats();
        EXPECT_EQ(s.spawned, s.executed);
    }
    weft::set_exception_handler(nullptr);
    EXPECT_EQ(reported.load(), expected);
    EXPECT_EQ(other.load(), 0);
    rel::figure("throwing_result_destructors_survived", reported.load(), "faults");
}

}  // namespace
