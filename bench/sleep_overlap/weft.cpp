// sleep_overlap on weft: n tasks each sleep sleep_ms at once; the sleeps overlap, so the whole takes about sleep_ms
// however few the workers. Each checks it slept at least that long and returns its index.
#include "../common/harness.hpp"

#include <weft/sleep.hpp>
#include <weft/weft.hpp>

#include <chrono>
#include <vector>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_sleep_overlap.n);
    const std::uint64_t sleep_ms = bench::arg_or(argc, argv, 2, bench::k_sleep_overlap_ms);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    std::vector<double> late_us(n);
    std::vector<weft::future<std::uint64_t>> tasks;
    const auto start = bench::clock::now();
    for (std::uint64_t i = 0; i < n; ++i)
        tasks.push_back(rt.spawn([&late_us, i, sleep_ms] {
            const auto deadline = bench::clock::now() + std::chrono::milliseconds(sleep_ms);
            weft::sleep_for(std::chrono::milliseconds(sleep_ms));
            late_us[i] = std::chrono::duration<double, std::micro>(bench::clock::now() - deadline).count();
            return i;
        }));
    std::uint64_t sum = 0;
    for (auto &f : tasks) sum += f.get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "sleep_overlap", sum, bench::sum_below(n));
    bench::check_not_early("weft", "sleep_overlap", late_us);
    bench::print_result("weft", "sleep_overlap", n, ms, bench::lateness_us(late_us));
}
