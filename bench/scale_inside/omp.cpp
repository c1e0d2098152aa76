// scale_inside with OpenMP tasks: one explicit task runs the scale loop (a task per i writing i*i into an array, then
// taskwait), so the spawning loop itself is a task that either team thread may run.
#include "../common/harness.hpp"

#include <omp.h>

#include <memory>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_scale[0].n);
    const std::uint64_t want = bench::scale_answer(n);
#pragma omp parallel
    { (void)omp_get_thread_num(); }

    const auto start = bench::clock::now();
    auto out = std::make_unique_for_overwrite<std::uint64_t[]>(n);
    std::uint64_t *slots = out.get();
#pragma omp parallel
#pragma omp single
#pragma omp task
    {
        for (std::uint64_t i = 0; i < n; ++i) {
#pragma omp task firstprivate(i)
            slots[i] = i * i;
        }
#pragma omp taskwait
    }
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < n; ++i) sum += slots[i];
    const double ms = bench::ms_since(start);

    bench::check_answer("omp", "scale_inside", sum, want);
    bench::print_result("omp", "scale_inside", n, ms);
}
