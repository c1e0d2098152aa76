// scale as a plain loop: the floor every runtime's per-task overhead is measured above.
#include "../common/harness.hpp"

#include <memory>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_scale[0].n);
    const std::uint64_t want = bench::scale_answer(n);

    const auto start = bench::clock::now();
    auto out = std::make_unique_for_overwrite<std::uint64_t[]>(n);
    for (std::uint64_t i = 0; i < n; ++i) out[i] = i * i;
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < n; ++i) sum += out[i];
    const double ms = bench::ms_since(start);

    bench::check_answer("serial", "scale", sum, want);
    bench::print_result("serial", "scale", n, ms);
}
