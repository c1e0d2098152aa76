// scale_inside on weft: one task runs the scale loop (spawn N tasks computing i*i, keep every future, get() them in
// order), so every spawn comes from a worker instead of from a thread outside the runtime.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_scale[0].n);
    const std::uint64_t want = bench::scale_answer(n);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    const std::uint64_t sum = rt.spawn([n] {
                                    std::vector<weft::future<std::uint64_t>> futures;
                                    futures.reserve(n);
                                    for (std::uint64_t i = 0; i < n; ++i)
                                        futures.push_back(weft::spawn([i] { return i * i; }));
                                    std::uint64_t total = 0;
                                    for (auto &f : futures) total += f.get();
                                    return total;
                                }).get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "scale_inside", sum, want);
    bench::print_result("weft", "scale_inside", n, ms);
}
