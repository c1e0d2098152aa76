// fib as plain recursion: the floor for the spawn-per-call version.
#include "../common/harness.hpp"

namespace {
std::uint64_t fib(std::uint64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_fib.n);

    const auto start = bench::clock::now();
    const std::uint64_t result = fib(n);
    const double ms = bench::ms_since(start);

    bench::check_answer("serial", "fib", result, bench::fib_of(n));
    bench::print_result("serial", "fib", n, ms);
}
