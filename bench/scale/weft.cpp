// scale on weft: spawn N tasks computing i*i, keep every future, get() them in order.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_scale[0].n);
    const std::uint64_t want = bench::scale_answer(n);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    std::vector<weft::future<std::uint64_t>> futures;
    futures.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) futures.push_back(rt.spawn([i] { return i * i; }));
    std::uint64_t sum = 0;
    for (auto &f : futures) sum += f.get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "scale", sum, want);
    bench::print_result("weft", "scale", n, ms);
}
