// scale_malloc on weft: each of N tasks mallocs its 8-byte result; the awaiter reads and frees it.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

#include <cstdlib>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_scale[0].n);
    const std::uint64_t want = bench::scale_answer(n);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    std::vector<weft::future<std::uint64_t *>> futures;
    futures.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i)
        futures.push_back(rt.spawn([i] {
            auto *p = static_cast<std::uint64_t *>(std::malloc(sizeof(std::uint64_t)));
            *p = i * i;
            return p;
        }));
    std::uint64_t sum = 0;
    for (auto &f : futures) {
        std::uint64_t *p = f.get();
        sum += *p;
        std::free(p);
    }
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "scale_malloc", sum, want);
    bench::print_result("weft", "scale_malloc", n, ms);
}
