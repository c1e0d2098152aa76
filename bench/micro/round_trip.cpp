// Micro-benchmarks of a whole spawn + get, from a worker (inside a task) and from outside.
#include <weft/weft.hpp>

#include <benchmark/benchmark.h>

namespace {

// From outside the runtime: spawn one task, then get() it (the thread sleeps if it must wait).
void spawn_get_outside(benchmark::State &state) {
    weft::runtime rt(weft::options{.workers = 2});
    std::uint64_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(rt.spawn([i] { return i * i; }).get());
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(spawn_get_outside)->UseRealTime();

// Inside a task: batches of 1000 spawn + get round trips on a worker (the child is usually popped
// back from the worker's own queue).
void spawn_get_inside(benchmark::State &state) {
    weft::runtime rt(weft::options{.workers = 2});
    for (auto _ : state) {
        const std::uint64_t sum = rt.spawn([] {
                                        std::uint64_t s = 0;
                                        for (std::uint64_t i = 0; i < 1000; ++i) s += weft::spawn([i] { return i; }).get();
                                        return s;
                                    }).get();
        if (sum != 999 * 1000 / 2) state.SkipWithError("wrong sum");
    }
    state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(spawn_get_inside)->UseRealTime();

// From outside: spawn 1000 tasks, then get them in order (the seed benchmark in miniature).
void spawn_1000_then_get(benchmark::State &state) {
    weft::runtime rt(weft::options{.workers = 2});
    std::vector<weft::future<std::uint64_t>> fs;
    fs.reserve(1000);
    for (auto _ : state) {
        for (std::uint64_t i = 0; i < 1000; ++i) fs.push_back(rt.spawn([i] { return i * i; }));
        std::uint64_t s = 0;
        for (auto &f : fs) s += f.get();
        fs.clear();
        benchmark::DoNotOptimize(s);
    }
    state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(spawn_1000_then_get)->UseRealTime();

}  // namespace
