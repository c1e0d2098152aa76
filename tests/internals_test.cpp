// The injector, the parker, the cell pools and the idle coordinator, each alone.
#include "cell_pool.hpp"
#include "idle.hpp"
#include "injection_queue.hpp"
#include "parker.hpp"
#include "suspend/timer_heap.hpp"
#include "suspend/waiter.hpp"
#include "test_support.hpp"

#include <weft/bits/task_cell.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <random>
#include <map>
#include <cstring>
#include <memory>
#include <new>
#include <set>
#include <thread>
#include <vector>

using namespace weft::detail;
using weft_test::round_partner;
using weft_test::scaled;

namespace {

constexpr std::int64_t k_generous_ns = 30'000'000'000;  // a lost wake-up shows as park() == false

// ---- injection queue ----

// The timer heap against a sorted reference: random adds, early removals and expiries, with the
// whole-heap invariant checked after every step.
TEST(TimerHeap, ExpiresInDeadlineOrderThroughAddsAndRemovals) {
    using weft::detail::timer_heap;
    using weft::detail::waiter;
    std::mt19937_64 rng(42);
    std::vector<std::unique_ptr<waiter>> pool;
    std::multimap<std::int64_t, waiter *> reference;
    timer_heap heap;
    std::int64_t now = 0;
    for (int step = 0; step < 20000; ++step) {
        const unsigned action = rng() % 8;
        if (action < 4 || reference.empty()) {
            auto w = std::make_unique<waiter>();
            w->deadline = now + static_cast<std::int64_t>(rng() % 1000);  // ties happen
            heap.add(w.get());
            reference.emplace(w->deadline, w.get());
            pool.push_back(std::move(w));
        } else if (action < 6) {
            // An early end: any waiter still in the heap leaves it.
            auto it = reference.begin();
            std::advance(it, static_cast<long>(rng() % reference.size()));
            heap.remove(it->second);
            EXPECT_EQ(it->second->timer_id, timer_heap::k_none);
            heap.remove(it->second);  // a second removal is a no-op
            reference.erase(it);
        } else {
            now += static_cast<std::int64_t>(rng() % 200);
            while (waiter *w = heap.pop_expired(now)) {
                ASSERT_FALSE(reference.empty());
                EXPECT_EQ(w->deadline, reference.begin()->first) << "expired out of deadline order";
                EXPECT_LE(w->deadline, now);
                auto range = reference.equal_range(w->deadline);
                auto it = std::find_if(range.first, range.second, [w](const auto &kv) { return kv.second == w; });
                ASSERT_NE(it, range.second) << "a waiter expired twice or after its removal";
                reference.erase(it);
            }
            if (!reference.empty()) {
                EXPECT_GT(reference.begin()->first, now);
            }
        }
        ASSERT_EQ(heap.size(), reference.size());
        ASSERT_EQ(heap.earliest(), reference.empty() ? -1 : reference.begin()->first);
        ASSERT_TRUE(heap.valid()) << "at step " << step;
    }
}

TEST(Injector, EmptyAtFirstAndAfterDraining) {
    injection_queue q;
    EXPECT_TRUE(q.empty());
    task_cell *out[4];
    EXPECT_EQ(q.try_pop_batch(out, 4), 0u);
    task_cell cells[3]{};
    q.push(&cells[0]);
    EXPECT_FALSE(q.empty());
    cells[1].next.store(&cells[2]);
    q.push_chain(&cells[1], &cells[2]);
    std::vector<task_cell *> got;
    while (got.size() < 3) {
        const std::uint32_t n = q.try_pop_batch(out, 4);
        got.insert(got.end(), out, out + n);
    }
    EXPECT_EQ(got, (std::vector<task_cell *>{&cells[0], &cells[1], &cells[2]}));  // FIFO
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.try_pop_batch(out, 4), 0u);
}

TEST(Injector, BatchRespectsMax) {
    injection_queue q;
    task_cell cells[10]{};
    for (auto &c : cells) q.push(&c);
    task_cell *out[10];
    std::uint32_t n = 0;
    while ((n = q.try_pop_batch(out, 3)) == 0) {
    }
    EXPECT_EQ(n, 3u);
    EXPECT_EQ(out[0], &cells[0]);
    EXPECT_EQ(out[2], &cells[2]);
    std::size_t rest = 0;
    while (rest < 7) rest += q.try_pop_batch(out, 10);
    EXPECT_EQ(rest, 7u);
    EXPECT_TRUE(q.empty());
}

class InjectorRace : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(InjectorRace, ManyProducersSeveralConsumersExactlyOnce) {
    const auto [producers, consumers] = GetParam();
    const std::size_t per = static_cast<std::size_t>(scaled(50'000, 1'000));
    const std::size_t n = per * static_cast<std::size_t>(producers);
    std::unique_ptr<task_cell[]> cells(new task_cell[n]());
    std::unique_ptr<std::atomic<std::uint32_t>[]> taken(new std::atomic<std::uint32_t>[n]);
    for (std::size_t i = 0; i < n; ++i) taken[i].store(0);
    std::atomic<std::size_t> total{0};
    std::atomic<bool> order_ok{true};
    injection_queue q;

    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            weft_test::xorshift rng(static_cast<std::uint64_t>(p) + 1);
            task_cell *base = &cells[static_cast<std::size_t>(p) * per];
            std::size_t i = 0;
            while (i < per) {
                // Single pushes and chains of up to 8.
                const std::size_t len = std::min<std::size_t>(per - i, 1 + rng.below(8));
                if (len == 1) {
                    q.push(&base[i]);
                } else {
                    for (std::size_t k = 0; k + 1 < len; ++k) base[i + k].next.store(&base[i + k + 1], std::memory_order_relaxed);
                    q.push_chain(&base[i], &base[i + len - 1]);
                }
                i += len;
            }
        });
    }
    for (int c = 0; c < consumers; ++c) {
        threads.emplace_back([&, c] {
            weft_test::xorshift rng(static_cast<std::uint64_t>(c) + 100);
            std::vector<task_cell *> out(64);
            // Per producer, a consumer sees that producer's tasks in push order.
            std::vector<std::ptrdiff_t> last(static_cast<std::size_t>(producers), -1);
            while (total.load(std::memory_order_relaxed) < n) {
                const std::uint32_t max = 1 + rng.below(64);
                const std::uint32_t got = q.try_pop_batch(out.data(), max);
                if (got == 0) {
                    std::this_thread::yield();
                    continue;
                }
                EXPECT_LE(got, max);
                for (std::uint32_t k = 0; k < got; ++k) {
                    const auto idx = out[k] - cells.get();
                    ASSERT_GE(idx, 0);
                    ASSERT_LT(static_cast<std::size_t>(idx), n);
                    taken[static_cast<std::size_t>(idx)].fetch_add(1);
                    const auto prod = static_cast<std::size_t>(idx) / per;
                    if (idx <= last[prod]) order_ok.store(false);
                    last[prod] = idx;
                }
                total.fetch_add(got);
            }
        });
    }
    for (auto &th : threads) th.join();
    EXPECT_EQ(total.load(), n);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (taken[i].load() != 1 && ++wrong <= 10) ADD_FAILURE() << "cell " << i << " taken " << taken[i].load() << " times";
    EXPECT_EQ(wrong, 0u);
    EXPECT_TRUE(order_ok.load()) << "a consumer saw one producer's tasks out of order";
    EXPECT_TRUE(q.empty());
}

INSTANTIATE_TEST_SUITE_P(Threads, InjectorRace,
                         ::testing::Combine(::testing::Values(1, 4, 8), ::testing::Values(1, 3)),
                         [](const auto &info) {
                             return std::to_string(std::get<0>(info.param)) + "producers_" +
                                    std::to_string(std::get<1>(info.param)) + "consumers";
                         });

// ---- parker ----

TEST(Parker, UnparkBeforeParkReturnsAtOnce) {
    parker p;
    p.unpark();
    EXPECT_TRUE(p.park(now_ns() + k_generous_ns));
}

TEST(Parker, TimeoutReturnsFalse) {
    parker p;
    EXPECT_FALSE(p.park(now_ns() + 1'000'000));
    EXPECT_FALSE(p.park(now_ns() - 1));  // a deadline already past
    EXPECT_FALSE(p.park(0));
}

TEST(Parker, AtMostOneTokenIsKept) {
    parker p;
    p.unpark();
    p.unpark();
    p.unpark();
    EXPECT_TRUE(p.park(now_ns() + k_generous_ns));
    EXPECT_FALSE(p.park(now_ns() + 1'000'000));
}

TEST(Parker, TokenArrivingDuringTimedParkIsConsumed) {
    // After a timeout, the parker is usable again and a later unpark still wakes it.
    parker p;
    EXPECT_FALSE(p.park(now_ns() + 100'000));
    std::thread t([&] { p.unpark(); });
    EXPECT_TRUE(p.park(now_ns() + k_generous_ns));
    t.join();
    EXPECT_FALSE(p.park(now_ns() + 100'000));
}

TEST(Parker, PingPongNeverLosesAWakeUp) {
    const int rounds = scaled(100'000, 5'000);
    parker a, b;
    std::atomic<int> turn{0};  // who may run: 0 = a, 1 = b
    std::atomic<int> lost{0};
    std::thread tb([&] {
        for (int i = 0; i < rounds; ++i) {
            if (!b.park(now_ns() + k_generous_ns)) lost.fetch_add(1);
            EXPECT_EQ(turn.load(), 1);
            turn.store(0);
            a.unpark();
        }
    });
    for (int i = 0; i < rounds; ++i) {
        EXPECT_EQ(turn.load(), 0);
        turn.store(1);
        b.unpark();
        if (!a.park(now_ns() + k_generous_ns)) lost.fetch_add(1);
    }
    tb.join();
    EXPECT_EQ(lost.load(), 0);
    EXPECT_EQ(turn.load(), 0);
}

TEST(Parker, WakerRacingTheSleeperManyTimes) {
    // unpark from another thread at an arbitrary moment relative to park: never lost.
    const int rounds = scaled(20'000, 1'000);
    int lost = 0;
    round_partner waker;
    for (int i = 0; i < rounds; ++i) {
        parker p;
        waker.start([&] { p.unpark(); });
        if (!p.park(now_ns() + k_generous_ns)) ++lost;
        waker.finish();
    }
    EXPECT_EQ(lost, 0);
}

// ---- cell pools ----

TEST(CellPool, AllocateFreeReallocateOnOneThread) {
    constexpr int n = 1000;
    std::vector<task_cell *> cells;
    for (int i = 0; i < n; ++i) {
        task_cell *c = allocate_cell(64);
        ASSERT_NE(c, nullptr);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(c) % 8, 0u);
        std::memset(c->payload(), i & 0xff, 64 - sizeof(task_cell));
        cells.push_back(c);
    }
    std::set<task_cell *> distinct(cells.begin(), cells.end());
    EXPECT_EQ(distinct.size(), cells.size());
    for (int i = 0; i < n; ++i) {
        auto *p = static_cast<unsigned char *>(cells[static_cast<std::size_t>(i)]->payload());
        for (std::size_t k = 0; k < 64 - sizeof(task_cell); ++k) ASSERT_EQ(p[k], i & 0xff) << "cells overlap";
    }
    const auto before = pool_statistics();
    for (task_cell *c : cells) free_cell_memory(c);
    std::set<task_cell *> again;
    for (int i = 0; i < n; ++i) again.insert(allocate_cell(64));
    EXPECT_EQ(again, distinct) << "freed cells are reused";
    EXPECT_EQ(pool_statistics().chunks, before.chunks);
    for (task_cell *c : again) free_cell_memory(c);
}

TEST(CellPool, LargeCellsComeFromTheHeap) {
    task_cell *c = allocate_cell(k_max_pooled_cell + 100);
    EXPECT_TRUE(c->flags & k_heap_cell);
    std::memset(c->payload(), 0xab, k_max_pooled_cell + 100 - sizeof(task_cell));
    free_cell_memory(c);
    task_cell *small = allocate_cell(k_max_pooled_cell);
    EXPECT_FALSE(small->flags & k_heap_cell);
    free_cell_memory(small);
}

TEST(CellPool, CrossThreadFreeReturnsCellsToTheOwner) {
    constexpr int n = 2000;
    std::vector<task_cell *> cells;
    for (int i = 0; i < n; ++i) cells.push_back(allocate_cell(48));
    const std::set<task_cell *> mine(cells.begin(), cells.end());
    const auto before = pool_statistics();
    std::thread([&] {
        for (task_cell *c : cells) free_cell_memory(c);
    }).join();
    // The owner gets them back through its remote list, without a new chunk.
    std::set<task_cell *> again;
    for (int i = 0; i < n; ++i) again.insert(allocate_cell(48));
    EXPECT_EQ(again, mine);
    EXPECT_EQ(pool_statistics().chunks, before.chunks);
    for (task_cell *c : again) free_cell_memory(c);
}

TEST(CellPool, ConcurrentRemoteFreesWhileTheOwnerAllocates) {
    const int rounds = scaled(200'000, 10'000);
    // The owner allocates and hands cells to two freeing threads; no live cell is handed out twice.
    // Each freer has a ring of cells (one producer, one consumer), so the owner waits only when a
    // freer is a whole ring behind: with one-cell slots every hand-off could wait for a yield,
    // which beside busy processes costs a time slice and made this test take a minute.
    constexpr std::uint32_t k_ring = 256;
    struct handoff {
        std::atomic<std::uint32_t> head{0};  // written by the freer, read by the owner
        std::atomic<std::uint32_t> tail{0};  // written by the owner, read by the freer
        task_cell *cells[k_ring] = {};
    };
    handoff ring[2];
    std::atomic<bool> done{false};
    std::vector<std::thread> freers;
    for (int f = 0; f < 2; ++f) {
        freers.emplace_back([&, f] {
            handoff &r = ring[f];
            for (;;) {
                const std::uint32_t h = r.head.load(std::memory_order_relaxed);
                if (h != r.tail.load(std::memory_order_acquire)) {
                    task_cell *c = r.cells[h % k_ring];
                    r.head.store(h + 1, std::memory_order_release);
                    EXPECT_EQ(*static_cast<std::uint64_t *>(c->payload()), reinterpret_cast<std::uintptr_t>(c));
                    *static_cast<std::uint64_t *>(c->payload()) = 0;
                    free_cell_memory(c);
                } else if (done.load(std::memory_order_acquire) && h == r.tail.load(std::memory_order_acquire)) {
                    return;
                } else {
                    std::this_thread::yield();
                }
            }
        });
    }
    std::vector<task_cell *> local;
    for (int i = 0; i < rounds; ++i) {
        task_cell *c = allocate_cell(32);
        // A live cell's payload is zero (fresh or scrubbed by its freer) before we stamp it.
        *static_cast<std::uint64_t *>(c->payload()) = reinterpret_cast<std::uintptr_t>(c);
        const int f = i % 3;
        if (f == 2) {
            local.push_back(c);
            if (local.size() > 64) {
                for (task_cell *l : local) {
                    EXPECT_EQ(*static_cast<std::uint64_t *>(l->payload()), reinterpret_cast<std::uintptr_t>(l));
                    *static_cast<std::uint64_t *>(l->payload()) = 0;
                    free_cell_memory(l);
                }
                local.clear();
            }
            continue;
        }
        handoff &r = ring[f];
        const std::uint32_t t = r.tail.load(std::memory_order_relaxed);
        while (t - r.head.load(std::memory_order_acquire) == k_ring) std::this_thread::yield();
        r.cells[t % k_ring] = c;
        r.tail.store(t + 1, std::memory_order_release);
    }
    done.store(true, std::memory_order_release);
    for (auto &t : freers) t.join();
    for (task_cell *l : local) free_cell_memory(l);
}

class FailNth : public ::testing::TestWithParam<int> {};

TEST_P(FailNth, ExactlyTheNthAllocationThrows) {
    const int nth = GetParam();
    fail_nth_allocation(nth);
    std::vector<task_cell *> got;
    int threw_at = 0;
    for (int i = 1; i <= nth + 3; ++i) {
        try {
            got.push_back(allocate_cell(64));
        } catch (const std::bad_alloc &) {
            EXPECT_EQ(threw_at, 0) << "a second allocation threw";
            threw_at = i;
        }
    }
    EXPECT_EQ(threw_at, nth);
    for (task_cell *c : got) free_cell_memory(c);
}
INSTANTIATE_TEST_SUITE_P(N, FailNth, ::testing::Values(1, 2, 5, 50));

TEST(CellPool, FailNthZeroDisables) {
    fail_nth_allocation(3);
    fail_nth_allocation(0);
    std::vector<task_cell *> got;
    for (int i = 0; i < 10; ++i) EXPECT_NO_THROW(got.push_back(allocate_cell(64)));
    for (task_cell *c : got) free_cell_memory(c);
}

TEST(CellPool, FailNthAppliesToHeapCellsToo) {
    fail_nth_allocation(1);
    EXPECT_THROW(allocate_cell(k_max_pooled_cell * 4), std::bad_alloc);
    task_cell *c = allocate_cell(k_max_pooled_cell * 4);
    free_cell_memory(c);
}

// ---- idle coordinator ----

TEST(IdleCoordinator, AtMostHalfTheWorkersSearch) {
    idle_coordinator c(4);
    EXPECT_TRUE(c.transition_to_searching());
    EXPECT_TRUE(c.transition_to_searching());
    EXPECT_FALSE(c.transition_to_searching());
    EXPECT_EQ(c.searching(), 2u);
    EXPECT_FALSE(c.transition_from_searching());
    EXPECT_TRUE(c.transition_from_searching()) << "the last searcher is told so";
    EXPECT_EQ(c.searching(), 0u);
}

TEST(IdleCoordinator, NotifyPicksAParkedWorkerOnlyWhenNobodySearches) {
    idle_coordinator c(4);
    EXPECT_FALSE(c.should_notify(std::memory_order_seq_cst));
    EXPECT_EQ(c.worker_to_notify(), idle_coordinator::k_none);
    ASSERT_TRUE(c.transition_to_searching());
    EXPECT_TRUE(c.transition_to_parked(2, true)) << "it was the last searcher: it must recheck";
    EXPECT_EQ(c.parked(), 1u);
    EXPECT_TRUE(c.should_notify(std::memory_order_seq_cst));
    ASSERT_TRUE(c.transition_to_searching());  // another worker searches: no wake-up needed
    EXPECT_FALSE(c.should_notify(std::memory_order_seq_cst));
    EXPECT_EQ(c.worker_to_notify(), idle_coordinator::k_none);
    EXPECT_TRUE(c.transition_to_parked(1, true)) << "again the last searcher";
    EXPECT_EQ(c.parked(), 2u);
    const std::uint32_t w = c.worker_to_notify();
    EXPECT_EQ(w, 1u) << "the most recently parked";
    EXPECT_EQ(c.searching(), 1u) << "the woken worker counts as searching";
    EXPECT_FALSE(c.transition_to_unparked(1)) << "the notifier already removed it";
    EXPECT_TRUE(c.transition_to_unparked(2));
    EXPECT_EQ(c.parked(), 0u);
    EXPECT_EQ(c.searching(), 2u);
}

TEST(IdleCoordinator, TakeAllParked) {
    idle_coordinator c(3);
    c.transition_to_parked(0, false);
    c.transition_to_parked(2, false);
    auto all = c.take_all_parked();
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, (std::vector<std::uint32_t>{0, 2}));
    EXPECT_EQ(c.parked(), 0u);
    EXPECT_FALSE(c.transition_to_unparked(0));
}

}  // namespace
