// idle on weft: after a burst of tasks, the CPU time the whole process burns while the program sleeps.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

#include <string>

int main(int argc, char **argv) {
    const std::uint64_t burst = bench::arg_or(argc, argv, 1, bench::k_idle_burst);
    const std::uint64_t sleep_ms = bench::arg_or(argc, argv, 2, bench::k_idle_sleep_ms);
    weft::runtime rt(weft::options{.workers = 0});

    const auto start = bench::clock::now();
    std::vector<weft::future<std::uint64_t>> futures;
    futures.reserve(burst);
    for (std::uint64_t i = 0; i < burst; ++i) futures.push_back(rt.spawn([i] { return i * i; }));
    std::uint64_t sum = 0;
    for (auto &f : futures) sum += f.get();
    const double ms = bench::ms_since(start);
    bench::check_answer("weft", "idle", sum, bench::sum_of_squares_below(burst));

    const double cpu_before = bench::process_cpu_ms();
    bench::sleep_us(sleep_ms * 1000);
    const double idle_cpu_ms = bench::process_cpu_ms() - cpu_before;

    bench::print_result("weft", "idle", burst, ms, " cpu_ms=" + std::to_string(idle_cpu_ms));
}
