// wake with OpenMP tasks: the time from creating a task (read in the creator) to it starting on the other team thread.
// The creator checks for the start (sleeping in between) instead of entering taskwait first, which would run the
// task on the creator itself.
#include "../common/harness.hpp"

#include <omp.h>

#include <atomic>

int main(int argc, char **argv) {
    const std::uint64_t samples = bench::arg_or(argc, argv, 1, bench::k_wake_samples);
    const std::uint64_t gap_us = bench::arg_or(argc, argv, 2, bench::k_wake_gap_us);
#pragma omp parallel
    { (void)omp_get_thread_num(); }

    std::vector<double> latencies_us;
    std::uint64_t ran = 0;  // the sum of the sample indices the tasks add: proof that every task ran
    latencies_us.reserve(samples);
    const auto start = bench::clock::now();
#pragma omp parallel
#pragma omp single
    for (std::uint64_t s = 0; s < samples; ++s) {
        bench::sleep_us(gap_us);
        std::atomic<bool> started_flag{false};
        bench::clock::time_point started;
        const auto spawned = bench::clock::now();
#pragma omp task shared(started_flag, started, ran) firstprivate(s)
        {
            started = bench::clock::now();
            ran += s;
            started_flag.store(true, std::memory_order_release);
        }
        while (!started_flag.load(std::memory_order_acquire)) bench::sleep_us(bench::k_wake_poll_us);
#pragma omp taskwait
        latencies_us.push_back(std::chrono::duration<double, std::micro>(started - spawned).count());
    }
    const double ms = bench::ms_since(start);

    bench::check_answer("omp", "wake", ran, bench::sum_below(samples));
    bench::print_result("omp", "wake", samples, ms, bench::percentiles_us(std::move(latencies_us)));
}
