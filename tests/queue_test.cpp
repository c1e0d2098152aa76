// The work-stealing queue alone: owner push/pop/pop_oldest/take_older_half/remove and concurrent steal-half.
#include "test_support.hpp"
#include "work_stealing_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <tuple>
#include <vector>

using weft::detail::steal_status;
using weft::detail::task_cell;
using weft::detail::work_stealing_queue;
using weft_test::round_partner;
using weft_test::scaled;

namespace {

// Distinct tokens: the queue only moves pointers around.
struct tokens {
    explicit tokens(std::size_t n) : cells(new task_cell[n]()), count(n) {}
    std::unique_ptr<task_cell[]> cells;
    std::size_t count;
    task_cell *at(std::size_t i) { return &cells[i]; }
    std::size_t index(const task_cell *c) const { return static_cast<std::size_t>(c - cells.get()); }
};

// One thread's view of a queue: no chaos perturbations (nothing to race with; see
// set_chaos_enabled_for_this_thread).
class QueueCapacity : public ::testing::TestWithParam<std::uint32_t> {
protected:
    void SetUp() override { weft::detail::set_chaos_enabled_for_this_thread(false); }
    void TearDown() override { weft::detail::set_chaos_enabled_for_this_thread(true); }
};

TEST_P(QueueCapacity, PushUntilFullThenPopIsLifo) {
    const std::uint32_t cap = GetParam();
    work_stealing_queue q(cap);
    tokens t(cap + 1);
    EXPECT_EQ(q.capacity(), cap);
    EXPECT_FALSE(q.has_work());
    EXPECT_EQ(q.pop(), nullptr);
    EXPECT_EQ(q.free_slots(), cap);
    for (std::uint32_t i = 0; i < cap; ++i) {
        ASSERT_TRUE(q.push(t.at(i))) << i;
        EXPECT_EQ(q.free_slots(), cap - i - 1);
    }
    EXPECT_FALSE(q.push(t.at(cap)));
    EXPECT_TRUE(q.has_work());
    for (std::uint32_t i = cap; i-- > 0;) EXPECT_EQ(q.pop(), t.at(i));
    EXPECT_EQ(q.pop(), nullptr);
    EXPECT_FALSE(q.has_work());
}

TEST_P(QueueCapacity, PopOldestIsFifo) {
    const std::uint32_t cap = GetParam();
    work_stealing_queue q(cap);
    tokens t(cap);
    for (std::uint32_t i = 0; i < cap; ++i) ASSERT_TRUE(q.push(t.at(i)));
    for (std::uint32_t i = 0; i < cap; ++i) EXPECT_EQ(q.pop_oldest(), t.at(i));
    EXPECT_EQ(q.pop_oldest(), nullptr);
    EXPECT_EQ(q.pop(), nullptr);
    EXPECT_EQ(q.free_slots(), cap);
}

TEST_P(QueueCapacity, WrapAroundManyTimesTheCapacity) {
    const std::uint32_t cap = GetParam();
    work_stealing_queue q(cap);
    const std::size_t n = 50'000;
    tokens t(n);
    std::vector<int> seen(n, 0);
    std::size_t next = 0;
    weft_test::xorshift rng(cap);
    // Random pushes, LIFO pops and FIFO pops; the positions wrap the ring thousands of times.
    while (next < n || q.has_work()) {
        const auto r = rng.below(3);
        if (r == 0 && next < n) {
            if (q.push(t.at(next))) ++next;
        } else if (r == 1) {
            if (task_cell *c = q.pop()) ++seen[t.index(c)];
        } else {
            if (task_cell *c = q.pop_oldest()) ++seen[t.index(c)];
        }
    }
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "token " << i;
}

TEST_P(QueueCapacity, TakeOlderHalfOfAFullQueue) {
    const std::uint32_t cap = GetParam();
    work_stealing_queue q(cap);
    tokens t(cap);
    // Offset the positions so the half straddles the end of the ring.
    for (std::uint32_t i = 0; i < cap / 2 + 1; ++i) {
        ASSERT_TRUE(q.push(t.at(0)));
        ASSERT_EQ(q.pop_oldest(), t.at(0));
    }
    for (std::uint32_t i = 0; i < cap; ++i) ASSERT_TRUE(q.push(t.at(i)));
    std::vector<task_cell *> out(cap / 2);
    ASSERT_EQ(q.take_older_half(out.data()), cap / 2);
    for (std::uint32_t i = 0; i < cap / 2; ++i) EXPECT_EQ(out[i], t.at(i));
    EXPECT_EQ(q.free_slots(), cap / 2);
    for (std::uint32_t i = cap; i-- > cap / 2;) EXPECT_EQ(q.pop(), t.at(i));
    EXPECT_EQ(q.pop(), nullptr);
}

TEST_P(QueueCapacity, TakeOlderHalfOfOneTaskTakesNothing) {
    work_stealing_queue q(GetParam());
    tokens t(1);
    ASSERT_TRUE(q.push(t.at(0)));
    task_cell *out[1] = {};
    EXPECT_EQ(q.take_older_half(out), 0u);
    EXPECT_EQ(q.pop(), t.at(0));
}

TEST_P(QueueCapacity, StealHalfTakesTheOlderLargerHalf) {
    const std::uint32_t cap = GetParam();
    for (std::uint32_t k = 1; k <= cap; ++k) {
        work_stealing_queue victim(cap), thief(cap);
        tokens t(k);
        for (std::uint32_t i = 0; i < k; ++i) ASSERT_TRUE(victim.push(t.at(i)));
        const auto got = victim.steal_half_into(thief);
        ASSERT_EQ(got.status, steal_status::taken) << "k=" << k;
        const std::uint32_t expect = k - k / 2;
        EXPECT_EQ(got.count, expect) << "k=" << k;
        EXPECT_EQ(got.task, t.at(0)) << "the oldest task is the one to run";
        // The others went into the thief's queue, oldest first.
        for (std::uint32_t i = expect; i-- > 1;) EXPECT_EQ(thief.pop(), t.at(i)) << "k=" << k;
        EXPECT_EQ(thief.pop(), nullptr);
        for (std::uint32_t i = k; i-- > expect;) EXPECT_EQ(victim.pop(), t.at(i)) << "k=" << k;
        EXPECT_EQ(victim.pop(), nullptr);
    }
}

TEST_P(QueueCapacity, StealHalfIsLimitedByTheThiefsRoom) {
    const std::uint32_t cap = GetParam();
    work_stealing_queue victim(cap), thief(cap);
    tokens t(2 * cap);
    for (std::uint32_t i = 0; i < cap; ++i) ASSERT_TRUE(victim.push(t.at(i)));
    for (std::uint32_t i = 0; i < cap - 1; ++i) ASSERT_TRUE(thief.push(t.at(cap + i)));
    // One free slot in the thief's queue: room for one pushed plus the one to run.
    const auto got = victim.steal_half_into(thief);
    ASSERT_EQ(got.status, steal_status::taken);
    EXPECT_EQ(got.count, std::min<std::uint32_t>(2, cap - cap / 2));
    EXPECT_EQ(got.task, t.at(0));
    EXPECT_EQ(thief.free_slots(), cap == 2 ? 1u : 0u);
}

// "Taking an awaited entry": any entry can be taken out; the newest fills its place.
TEST_P(QueueCapacity, RemoveTakesAnyEntryAndTheNewestFillsTheGap) {
    const std::uint32_t cap = GetParam();
    tokens t(cap + 1);
    work_stealing_queue q(cap);
    // Wrap the positions around first, so that remove meets slots of an earlier lap.
    for (std::uint32_t i = 0; i < cap + cap / 2; ++i) {
        ASSERT_TRUE(q.push(t.at(0)));
        ASSERT_EQ(q.pop(), t.at(0));
    }
    for (std::uint32_t i = 0; i < cap; ++i) ASSERT_TRUE(q.push(t.at(i)));
    EXPECT_FALSE(q.remove(t.at(cap)));  // never queued
    ASSERT_TRUE(q.remove(t.at(0)));     // the oldest: the newest takes its slot
    EXPECT_FALSE(q.remove(t.at(0)));    // gone (its old slot now holds another task)
    std::vector<task_cell *> rest;
    while (task_cell *c = q.pop()) rest.push_back(c);
    ASSERT_EQ(rest.size(), cap - 1);
    std::vector<int> seen(cap, 0);
    for (task_cell *c : rest) ++seen[t.index(c)];
    for (std::uint32_t i = 1; i < cap; ++i) EXPECT_EQ(seen[i], 1) << "token " << i;
    EXPECT_EQ(rest.back(), t.at(cap - 1));  // it sits where token 0 was: popped last
    EXPECT_FALSE(q.has_work());
}

TEST_P(QueueCapacity, RemoveRefusesAnEntryAThiefTook) {
    const std::uint32_t cap = GetParam();
    tokens t(cap);
    work_stealing_queue q(cap), thief(cap);
    for (std::uint32_t i = 0; i < cap; ++i) ASSERT_TRUE(q.push(t.at(i)));
    const auto got = q.steal_half_into(thief);
    ASSERT_EQ(got.status, steal_status::taken);
    for (std::uint32_t i = 0; i < got.count; ++i) EXPECT_FALSE(q.remove(t.at(i))) << "token " << i;
    // The stolen ones sit in the thief's queue now, where its owner can remove them.
    for (std::uint32_t i = 1; i < got.count; ++i) EXPECT_TRUE(thief.remove(t.at(i))) << "token " << i;
    for (std::uint32_t i = got.count; i < cap; ++i) EXPECT_TRUE(q.remove(t.at(i))) << "token " << i;
    EXPECT_FALSE(q.has_work());
    EXPECT_FALSE(thief.has_work());
}

TEST_P(QueueCapacity, StealFromEmptyReportsEmpty) {
    work_stealing_queue victim(GetParam()), thief(GetParam());
    EXPECT_EQ(victim.steal_half_into(thief).status, steal_status::empty);
    tokens t(1);
    ASSERT_TRUE(victim.push(t.at(0)));
    ASSERT_EQ(victim.pop(), t.at(0));
    const auto got = victim.steal_half_into(thief);
    EXPECT_EQ(got.status, steal_status::empty);
    EXPECT_EQ(got.count, 0u);
}

INSTANTIATE_TEST_SUITE_P(Capacities, QueueCapacity, ::testing::Values(2u, 4u, 256u),
                         [](const auto &info) { return "cap" + std::to_string(info.param); });

// One owner pushing and popping (newest, oldest, older half on overflow) against 1-3 thieves that
// steal half into their own queues, drain them, and steal from each other: every token is taken
// exactly once.
class QueueRace : public ::testing::TestWithParam<std::tuple<std::uint32_t, int>> {};

TEST_P(QueueRace, EveryTokenTakenExactlyOnce) {
    const auto [cap, thieves] = GetParam();
    const std::size_t n = static_cast<std::size_t>(scaled(200'000, 2'000));
    tokens t(n);
    std::unique_ptr<std::atomic<std::uint32_t>[]> taken(new std::atomic<std::uint32_t>[n]);
    for (std::size_t i = 0; i < n; ++i) taken[i].store(0, std::memory_order_relaxed);
    std::atomic<std::size_t> total{0};
    std::atomic<std::uint64_t> steals{0};
    auto take = [&](task_cell *c) {
        taken[t.index(c)].fetch_add(1, std::memory_order_relaxed);
        total.fetch_add(1, std::memory_order_relaxed);
    };

    work_stealing_queue owner_q(cap);
    std::vector<std::unique_ptr<work_stealing_queue>> thief_q;
    for (int i = 0; i < thieves; ++i) thief_q.push_back(std::make_unique<work_stealing_queue>(cap));

    std::vector<std::thread> threads;
    for (int i = 0; i < thieves; ++i) {
        threads.emplace_back([&, i] {
            weft_test::xorshift rng(static_cast<std::uint64_t>(i) + 7);
            work_stealing_queue &mine = *thief_q[static_cast<std::size_t>(i)];
            while (total.load(std::memory_order_relaxed) < n) {
                // Mostly the owner's queue; sometimes another thief's.
                work_stealing_queue *victim = &owner_q;
                if (thieves > 1 && rng.below(4) == 0) {
                    auto v = rng.below(static_cast<std::uint32_t>(thieves));
                    if (v != static_cast<std::uint32_t>(i)) victim = thief_q[v].get();
                }
                const auto got = victim->steal_half_into(mine);
                if (got.status == steal_status::taken) {
                    EXPECT_NE(got.task, nullptr);
                    EXPECT_GE(got.count, 1u);
                    steals.fetch_add(1, std::memory_order_relaxed);
                    take(got.task);
                } else {
                    EXPECT_EQ(got.task, nullptr);
                    std::this_thread::yield();
                }
                // Run a few of ours (newest first), leaving the rest to be stolen.
                for (int k = 0; k < 2; ++k) {
                    if (task_cell *c = mine.pop()) take(c);
                }
            }
        });
    }

    weft_test::xorshift rng(cap * 31 + static_cast<std::uint32_t>(thieves));
    std::vector<task_cell *> half(cap / 2 + 1);
    std::size_t next = 0;
    while (total.load(std::memory_order_relaxed) < n) {
        if (next < n) {
            if (!owner_q.push(t.at(next))) {
                // Overflow, as the runtime does it: move the older half out.
                const std::uint32_t m = owner_q.take_older_half(half.data());
                for (std::uint32_t k = 0; k < m; ++k) take(half[k]);
                continue;
            }
            ++next;
        }
        const auto r = rng.below(8);
        if (r < 2 || next == n) {
            if (task_cell *c = owner_q.pop()) take(c);
        } else if (r == 2) {
            if (task_cell *c = owner_q.pop_oldest()) take(c);
        } else if (r == 3 && next > 0) {
            // An await: one of the last few pushed, which may be here, stolen or taken already.
            const std::size_t back = rng.below(cap < 8 ? cap : 8u) + 1;
            if (back <= next && taken[next - back].load(std::memory_order_relaxed) == 0 &&
                owner_q.remove(t.at(next - back)))
                take(t.at(next - back));
        }
    }
    for (auto &th : threads) th.join();

    EXPECT_EQ(total.load(), n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (taken[i].load() != 1) {
            if (++wrong <= 10) ADD_FAILURE() << "token " << i << " taken " << taken[i].load() << " times";
        }
    }
    EXPECT_EQ(wrong, 0u);
    EXPECT_FALSE(owner_q.has_work());
    for (auto &q : thief_q) EXPECT_FALSE(q->has_work());
}

INSTANTIATE_TEST_SUITE_P(Thieves, QueueRace,
                         ::testing::Combine(::testing::Values(2u, 4u, 256u), ::testing::Values(1, 2, 3)),
                         [](const auto &info) {
                             return "cap" + std::to_string(std::get<0>(info.param)) + "_thieves" +
                                    std::to_string(std::get<1>(info.param));
                         });

// A thief's claim is clipped when the owner pops into it: the owner keeps popping the newest task
// while a thief steals, and nothing is taken twice or lost, with the queue never refilled.
TEST(QueueRaceSingleRound, OwnerPopsWhileThiefStealsHalf) {
    const int rounds = scaled(20'000, 500);
    constexpr std::uint32_t cap = 4;
    tokens t(cap);
    round_partner stealer;
    for (int round = 0; round < rounds; ++round) {
        work_stealing_queue victim(cap), thief(cap);
        for (std::uint32_t i = 0; i < cap; ++i) ASSERT_TRUE(victim.push(t.at(i)));
        std::vector<int> seen(cap, 0);
        std::vector<task_cell *> stolen;
        stealer.start([&] {
            const auto got = victim.steal_half_into(thief);
            if (got.status == steal_status::taken) {
                stolen.push_back(got.task);
                while (task_cell *c = thief.pop()) stolen.push_back(c);
                EXPECT_EQ(stolen.size(), got.count);
            }
        });
        stealer.wait_until_begun();
        while (task_cell *c = victim.pop()) ++seen[t.index(c)];
        stealer.finish();
        // The thief may have been refused the whole range; what is left is the owner's.
        while (task_cell *c = victim.pop()) ++seen[t.index(c)];
        for (task_cell *c : stolen) ++seen[t.index(c)];
        for (std::uint32_t i = 0; i < cap; ++i) ASSERT_EQ(seen[i], 1) << "round " << round << " token " << i;
    }
}

}  // namespace
