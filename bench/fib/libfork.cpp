// fib on libfork: each call forks fib(n-1), calls fib(n-2), then joins; a coroutine frame per call, continuation stealing.
#include "../common/harness.hpp"

#include <libfork.hpp>

namespace {
inline constexpr auto fib = [](auto fib, std::uint64_t n) -> lf::task<std::uint64_t> {
    if (n < 2) co_return n;
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    co_await lf::fork(&a, fib)(n - 1);
    co_await lf::call(&b, fib)(n - 2);
    co_await lf::join;
    co_return a + b;
};
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_fib.n);
    lf::lazy_pool pool(bench::threads_from_env("BENCH_THREADS"));
    lf::sync_wait(pool, fib, std::uint64_t{2});

    const auto start = bench::clock::now();
    const std::uint64_t result = lf::sync_wait(pool, fib, n);
    const double ms = bench::ms_since(start);

    bench::check_answer("libfork", "fib", result, bench::fib_of(n));
    bench::print_result("libfork", "fib", n, ms);
}
