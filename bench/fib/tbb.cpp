// fib on oneTBB: a task_group per call runs fib(n-1) while the caller computes fib(n-2), then wait().
#include "../common/harness.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_group.h>

namespace {
std::uint64_t fib(std::uint64_t n) {
    if (n < 2) return n;
    std::uint64_t a = 0;
    tbb::task_group group;
    group.run([&a, n] { a = fib(n - 1); });
    const std::uint64_t b = fib(n - 2);
    group.wait();
    return a + b;
}
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_fib.n);
    const unsigned threads = bench::threads_from_env("BENCH_THREADS");
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    tbb::parallel_for(0, 1024, [](int) {});

    const auto start = bench::clock::now();
    const std::uint64_t result = fib(n);
    const double ms = bench::ms_since(start);

    bench::check_answer("tbb", "fib", result, bench::fib_of(n));
    bench::print_result("tbb", "fib", n, ms);
}
