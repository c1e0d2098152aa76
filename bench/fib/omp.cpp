// fib with OpenMP tasks: each call makes fib(n-1) a task, computes fib(n-2) itself, then taskwait.
#include "../common/harness.hpp"

#include <omp.h>

namespace {
std::uint64_t fib(std::uint64_t n) {
    if (n < 2) return n;
    std::uint64_t a = 0;
#pragma omp task shared(a) firstprivate(n)
    a = fib(n - 1);
    const std::uint64_t b = fib(n - 2);
#pragma omp taskwait
    return a + b;
}
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_fib.n);
#pragma omp parallel
    { (void)omp_get_thread_num(); }

    const auto start = bench::clock::now();
    std::uint64_t result = 0;
#pragma omp parallel
#pragma omp single
    result = fib(n);
    const double ms = bench::ms_since(start);

    bench::check_answer("omp", "fib", result, bench::fib_of(n));
    bench::print_result("omp", "fib", n, ms);
}
