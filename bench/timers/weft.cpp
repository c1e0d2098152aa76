// timers on weft: n tasks spawned from main, task i sleeps timer_duration_us(i) (0-100 ms, the same in every
// language) from when it starts, with weft::sleep_until; each records how late it woke and returns its index.
// ms is the time until every task has woken; late_* are the percentiles of the lateness.
#include "../common/harness.hpp"

#include <weft/sleep.hpp>
#include <weft/weft.hpp>

#include <chrono>
#include <vector>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_timers.n);
    const std::uint64_t max_us = bench::arg_or(argc, argv, 2, bench::k_timers_max_us);
    const std::uint64_t seed = bench::arg_or(argc, argv, 3, bench::k_timers_seed);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    std::vector<double> late_us(n);  // task i writes slot i; main reads them after awaiting every task
    std::vector<weft::future<std::uint64_t>> tasks;
    tasks.reserve(n);
    const auto start = bench::clock::now();
    for (std::uint64_t i = 0; i < n; ++i)
        tasks.push_back(rt.spawn([&late_us, i, max_us, seed] {
            const auto deadline =
                bench::clock::now() + std::chrono::microseconds(bench::timer_duration_us(seed, i, max_us));
            weft::sleep_until(deadline);
            late_us[i] = std::chrono::duration<double, std::micro>(bench::clock::now() - deadline).count();
            return i;
        }));
    std::uint64_t sum = 0;
    for (auto &f : tasks) sum += f.get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "timers", sum, bench::sum_below(n));
    bench::check_not_early("weft", "timers", late_us);
    bench::print_result("weft", "timers", n, ms, bench::lateness_us(late_us));
}
