// wake on weft: from an idle runtime, the time from spawn (read in the spawner) to the task starting (read in the task).
#include "../common/harness.hpp"

#include <weft/weft.hpp>

int main(int argc, char **argv) {
    const std::uint64_t samples = bench::arg_or(argc, argv, 1, bench::k_wake_samples);
    const std::uint64_t gap_us = bench::arg_or(argc, argv, 2, bench::k_wake_gap_us);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    std::vector<double> latencies_us;
    latencies_us.reserve(samples);
    const auto start = bench::clock::now();
    for (std::uint64_t s = 0; s < samples; ++s) {
        bench::sleep_us(gap_us);
        const auto spawned = bench::clock::now();
        const auto started = rt.spawn([] { return bench::clock::now(); }).get();
        latencies_us.push_back(std::chrono::duration<double, std::micro>(started - spawned).count());
    }
    const double ms = bench::ms_since(start);

    bench::print_result("weft", "wake", samples, ms, bench::percentiles_us(std::move(latencies_us)));
}
