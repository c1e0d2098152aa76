// idle on oneTBB: after a burst of tasks, the CPU time the whole process burns while the program sleeps.
#include "../common/harness.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_group.h>

#include <memory>
#include <string>

int main(int argc, char **argv) {
    const std::uint64_t burst = bench::arg_or(argc, argv, 1, bench::k_idle_burst);
    const std::uint64_t sleep_ms = bench::arg_or(argc, argv, 2, bench::k_idle_sleep_ms);
    const unsigned threads = bench::threads_from_env("BENCH_THREADS");
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);

    const auto start = bench::clock::now();
    auto out = std::make_unique_for_overwrite<std::uint64_t[]>(burst);
    std::uint64_t *slots = out.get();
    tbb::task_group group;
    for (std::uint64_t i = 0; i < burst; ++i) group.run([slots, i] { slots[i] = i * i; });
    group.wait();
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < burst; ++i) sum += slots[i];
    const double ms = bench::ms_since(start);
    bench::check_answer("tbb", "idle", sum, bench::sum_of_squares_below(burst));

    const double cpu_before = bench::process_cpu_ms();
    bench::sleep_us(sleep_ms * 1000);
    const double idle_cpu_ms = bench::process_cpu_ms() - cpu_before;

    bench::print_result("tbb", "idle", burst, ms, " cpu_ms=" + std::to_string(idle_cpu_ms));
}
