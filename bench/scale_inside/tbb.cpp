// scale_inside on oneTBB: one task of a task_group runs the scale loop (a nested task_group runs N tasks writing i*i
// into a preallocated array, then waits), so every spawn comes from a worker of the arena.
#include "../common/harness.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_group.h>

#include <memory>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_scale[0].n);
    const std::uint64_t want = bench::scale_answer(n);
    const unsigned threads = bench::threads_from_env("BENCH_THREADS");
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    tbb::parallel_for(0, 1024, [](int) {});

    const auto start = bench::clock::now();
    std::uint64_t sum = 0;
    tbb::task_group root;
    root.run([n, &sum] {
        auto out = std::make_unique_for_overwrite<std::uint64_t[]>(n);
        std::uint64_t *slots = out.get();
        tbb::task_group group;
        for (std::uint64_t i = 0; i < n; ++i) group.run([slots, i] { slots[i] = i * i; });
        group.wait();
        for (std::uint64_t i = 0; i < n; ++i) sum += slots[i];
    });
    root.wait();
    const double ms = bench::ms_since(start);

    bench::check_answer("tbb", "scale_inside", sum, want);
    bench::print_result("tbb", "scale_inside", n, ms);
}
