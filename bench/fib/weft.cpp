// fib on weft: a spawn per call; each call spawns fib(n-1), computes fib(n-2) itself, then gets the child.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

namespace {
std::uint64_t fib(std::uint64_t n) {
    if (n < 2) return n;
    weft::future<std::uint64_t> a = weft::spawn(fib, n - 1);
    const std::uint64_t b = fib(n - 2);
    return b + a.get();
}
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_fib.n);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    const std::uint64_t result = rt.spawn(fib, n).get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "fib", result, bench::fib_of(n));
    bench::print_result("weft", "fib", n, ms);
}
