// mutex on weft: `tasks` tasks each lock one weft::mutex n times around `counter += 1`; a contended lock suspends
// the task.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

#include <mutex>
#include <string>
#include <vector>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_mutex.n);
    const std::uint64_t tasks = bench::arg_or(argc, argv, 2, bench::k_mutex_tasks);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    weft::mutex lock;
    std::uint64_t counter = 0;  // guarded by lock
    std::vector<weft::future<void>> workers;
    workers.reserve(tasks);
    for (std::uint64_t t = 0; t < tasks; ++t)
        workers.push_back(rt.spawn([&] {
            for (std::uint64_t i = 0; i < n; ++i) {
                const std::lock_guard<weft::mutex> held(lock);
                counter += 1;
            }
        }));
    for (auto &w : workers) w.get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "mutex", counter, tasks * n);
    bench::print_result("weft", "mutex", n, ms,
                        " ns_per_op=" + std::to_string(ms * 1e6 / static_cast<double>(n * tasks)));
}
