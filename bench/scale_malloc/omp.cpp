// scale_malloc with OpenMP tasks: a task per i stores a malloc'ed i*i; after the region the results are summed and freed.
#include "../common/harness.hpp"

#include <omp.h>

#include <cstdlib>
#include <memory>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_scale[0].n);
    const std::uint64_t want = bench::scale_answer(n);
#pragma omp parallel
    { (void)omp_get_thread_num(); }

    const auto start = bench::clock::now();
    auto out = std::make_unique_for_overwrite<std::uint64_t *[]>(n);
    std::uint64_t **slots = out.get();
#pragma omp parallel
#pragma omp single
    for (std::uint64_t i = 0; i < n; ++i) {
#pragma omp task firstprivate(i)
        {
            auto *p = static_cast<std::uint64_t *>(std::malloc(sizeof(std::uint64_t)));
            *p = i * i;
            slots[i] = p;
        }
    }
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        sum += *slots[i];
        std::free(slots[i]);
    }
    const double ms = bench::ms_since(start);

    bench::check_answer("omp", "scale_malloc", sum, want);
    bench::print_result("omp", "scale_malloc", n, ms);
}
