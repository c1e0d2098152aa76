// wake on weft: from an idle runtime, the time from spawn (read in the spawner) to the task starting (read in the task).
// on_worker_pct says how often a worker, rather than the spawner waiting in get(), started the task.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

#include <string>
#include <thread>
#include <tuple>
#include <utility>

int main(int argc, char **argv) {
    const std::uint64_t samples = bench::arg_or(argc, argv, 1, bench::k_wake_samples);
    const std::uint64_t gap_us = bench::arg_or(argc, argv, 2, bench::k_wake_gap_us);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();
    const std::thread::id spawner = std::this_thread::get_id();

    std::vector<double> latencies_us;
    latencies_us.reserve(samples);
    std::uint64_t on_worker = 0;
    std::uint64_t ran = 0;  // the sum of the sample indices the tasks report: proof that every task ran
    const auto start = bench::clock::now();
    for (std::uint64_t s = 0; s < samples; ++s) {
        bench::sleep_us(gap_us);
        const auto spawned = bench::clock::now();
        const auto [started, by, index] =
            rt.spawn([s] { return std::tuple{bench::clock::now(), std::this_thread::get_id(), s}; }).get();
        ran += index;
        latencies_us.push_back(std::chrono::duration<double, std::micro>(started - spawned).count());
        on_worker += by != spawner;
    }
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "wake", ran, bench::sum_below(samples));
    const double on_worker_pct = samples ? 100.0 * static_cast<double>(on_worker) / static_cast<double>(samples) : 0;
    bench::print_result("weft", "wake", samples, ms,
                        bench::percentiles_us(std::move(latencies_us)) + " on_worker_pct=" + std::to_string(on_worker_pct));
}
