// scale_malloc as a plain loop: malloc each result, then sum and free in order; the floor for this problem.
#include "../common/harness.hpp"

#include <cstdlib>
#include <memory>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_scale[0].n);
    const std::uint64_t want = bench::scale_answer(n);

    const auto start = bench::clock::now();
    auto out = std::make_unique_for_overwrite<std::uint64_t *[]>(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        auto *p = static_cast<std::uint64_t *>(std::malloc(sizeof(std::uint64_t)));
        *p = i * i;
        out[i] = p;
    }
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        sum += *out[i];
        std::free(out[i]);
    }
    const double ms = bench::ms_since(start);

    bench::check_answer("serial", "scale_malloc", sum, want);
    bench::print_result("serial", "scale_malloc", n, ms);
}
