// idle with OpenMP tasks: after a burst of tasks, the CPU time the whole process burns while the program sleeps.
#include "../common/harness.hpp"

#include <memory>
#include <string>

int main(int argc, char **argv) {
    const std::uint64_t burst = bench::arg_or(argc, argv, 1, bench::k_idle_burst);
    const std::uint64_t sleep_ms = bench::arg_or(argc, argv, 2, bench::k_idle_sleep_ms);

    const auto start = bench::clock::now();
    auto out = std::make_unique_for_overwrite<std::uint64_t[]>(burst);
    std::uint64_t *slots = out.get();
#pragma omp parallel
#pragma omp single
    for (std::uint64_t i = 0; i < burst; ++i) {
#pragma omp task firstprivate(i)
        slots[i] = i * i;
    }
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < burst; ++i) sum += slots[i];
    const double ms = bench::ms_since(start);
    bench::check_answer("omp", "idle", sum, bench::sum_of_squares_below(burst));

    const double cpu_before = bench::process_cpu_ms();
    bench::sleep_us(sleep_ms * 1000);
    const double idle_cpu_ms = bench::process_cpu_ms() - cpu_before;

    bench::print_result("omp", "idle", burst, ms, " cpu_ms=" + std::to_string(idle_cpu_ms));
}
