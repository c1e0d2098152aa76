// wake on oneTBB: from an idle arena, the time from task_arena::enqueue (read in the submitter) to the task starting.
// enqueue is oneTBB's way to hand work to its workers from outside; a task_group::wait() in the submitter would
// instead run the task on the submitting thread and never wake a worker.
#include "../common/harness.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <future>

int main(int argc, char **argv) {
    const std::uint64_t samples = bench::arg_or(argc, argv, 1, bench::k_wake_samples);
    const std::uint64_t gap_us = bench::arg_or(argc, argv, 2, bench::k_wake_gap_us);
    const unsigned threads = bench::threads_from_env("BENCH_THREADS");
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    tbb::task_arena arena(static_cast<int>(threads));
    arena.initialize();
    arena.execute([] {
        tbb::task_group warm;
        warm.run([] {});
        warm.wait();
    });

    std::vector<double> latencies_us;
    std::uint64_t ran = 0;  // the sum of the sample indices the tasks add: proof that every task ran
    latencies_us.reserve(samples);
    const auto start = bench::clock::now();
    for (std::uint64_t s = 0; s < samples; ++s) {
        bench::sleep_us(gap_us);
        std::promise<bench::clock::time_point> started;
        auto result = started.get_future();
        const auto spawned = bench::clock::now();
        arena.enqueue([&started, &ran, s] {
            ran += s;
            started.set_value(bench::clock::now());
        });
        latencies_us.push_back(std::chrono::duration<double, std::micro>(result.get() - spawned).count());
    }
    const double ms = bench::ms_since(start);

    bench::check_answer("tbb", "wake", ran, bench::sum_below(samples));
    bench::print_result("tbb", "wake", samples, ms, bench::percentiles_us(std::move(latencies_us)));
}
