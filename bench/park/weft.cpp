// park on weft: n tasks each wait on one promise's future; setting it resumes them all. ms is the time from the
// set until the last task has resumed; kib_per_task is the resident memory the waiting (suspended) tasks added.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

#include <atomic>
#include <string>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_park.n);
    const std::uint64_t settle_ms = bench::arg_or(argc, argv, 2, bench::k_park_settle_ms);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    weft::promise<int> gate;
    const weft::future<int> opened = gate.get_future();
    weft::promise<void> all_resumed;
    weft::future<void> finished = all_resumed.get_future();
    std::atomic<std::uint64_t> waiting{0};  // written by each task before it waits; read by main
    std::atomic<std::uint64_t> left{n};     // each resumed task decrements it; the last one sets all_resumed
    std::atomic<std::uint64_t> sum{0};      // each resumed task adds its index; main reads it after all_resumed
    const double before = bench::resident_kib();
    for (std::uint64_t i = 0; i < n; ++i) {
        rt.spawn_detached([&, i] {
            waiting.fetch_add(1, std::memory_order_relaxed);
            opened.wait();
            sum.fetch_add(i, std::memory_order_relaxed);
            // acq_rel: the last decrement sees every other task's add before it sets all_resumed.
            if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) all_resumed.set_value();
        });
    }
    while (waiting.load(std::memory_order_relaxed) < n) bench::sleep_us(1000);
    // The last tasks to say they are about to wait get a moment to reach the wait.
    bench::sleep_us(settle_ms * 1000);
    const double parked = bench::resident_kib();

    const auto start = bench::clock::now();
    gate.set_value(1);
    finished.get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "park", sum.load(std::memory_order_relaxed), bench::sum_below(n));
    bench::print_result("weft", "park", n, ms,
                        " kib_per_task=" + std::to_string((parked - before) / static_cast<double>(n)));
}
