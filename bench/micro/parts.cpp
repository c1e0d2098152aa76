// Micro-benchmarks of the scheduler's parts alone: the work-stealing queue, the injector, the pools.
#include "cell_pool.hpp"
#include "injection_queue.hpp"
#include "work_stealing_queue.hpp"

#include <benchmark/benchmark.h>

#include <thread>
#include <vector>

namespace {

using weft::detail::task_cell;

std::vector<task_cell> &tokens(std::size_t n) {
    static std::vector<task_cell> cells(4096);
    if (cells.size() < n) cells = std::vector<task_cell>(n);
    return cells;
}

// Owner push followed by owner pop (LIFO), the fork-join fast path.
void queue_push_pop(benchmark::State &state) {
    weft::detail::work_stealing_queue q(256);
    auto &cells = tokens(1);
    for (auto _ : state) {
        q.push(&cells[0]);
        benchmark::DoNotOptimize(q.pop());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(queue_push_pop);

// Fill a queue and take half of it with one steal; items = tasks moved.
void queue_steal_half(benchmark::State &state) {
    weft::detail::work_stealing_queue victim(256), thief(256);
    auto &cells = tokens(256);
    std::uint64_t moved = 0;
    for (auto _ : state) {
        state.PauseTiming();
        while (thief.pop()) {
        }
        for (std::size_t i = 0; i < 256; ++i) victim.push(&cells[i]);
        state.ResumeTiming();
        const auto got = victim.steal_half_into(thief);
        moved += got.count;
        state.PauseTiming();
        while (victim.pop()) {
        }
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(moved));
}
BENCHMARK(queue_steal_half);

// One producer pushes single tasks; the same thread takes them back 64 at a time.
void injector_push_then_batch(benchmark::State &state) {
    weft::detail::injection_queue q;
    auto &cells = tokens(64);
    task_cell *out[64];
    for (auto _ : state) {
        for (std::size_t i = 0; i < 64; ++i) q.push(&cells[i]);
        std::uint32_t got = 0;
        while (got < 64) got += q.try_pop_batch(out, 64 - got);
        benchmark::DoNotOptimize(out[0]);
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(injector_push_then_batch);

// Allocate and free a 32-byte cell on one thread: the pool's local fast path.
void pool_alloc_free_local(benchmark::State &state) {
    for (auto _ : state) {
        task_cell *c = weft::detail::allocate_cell(32);
        benchmark::DoNotOptimize(c);
        weft::detail::free_cell_memory(c);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(pool_alloc_free_local);

// Allocate 4096 cells here, free them on another thread, allocate again (remote list refill).
void pool_cross_thread_free(benchmark::State &state) {
    std::vector<task_cell *> cells(4096);
    for (auto _ : state) {
        for (auto &c : cells) c = weft::detail::allocate_cell(32);
        std::thread([&] {
            for (auto *c : cells) weft::detail::free_cell_memory(c);
        }).join();
    }
    state.SetItemsProcessed(state.iterations() * 4096);
}
BENCHMARK(pool_cross_thread_free);

}  // namespace
