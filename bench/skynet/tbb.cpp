// skynet on oneTBB: each node runs its 10 children in a task_group writing into a local array, then sums.
#include "../common/harness.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_group.h>

#include <array>

namespace {
std::uint64_t skynet(std::uint64_t offset, std::uint64_t size) {
    if (size == 1) return offset;
    const std::uint64_t child = size / bench::k_skynet_fanout;
    std::array<std::uint64_t, bench::k_skynet_fanout> results;
    tbb::task_group group;
    for (std::uint64_t i = 0; i < bench::k_skynet_fanout; ++i)
        group.run([&results, i, offset, child] { results[i] = skynet(offset + i * child, child); });
    group.wait();
    std::uint64_t sum = 0;
    for (std::uint64_t r : results) sum += r;
    return sum;
}
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t leaves = bench::skynet_leaves(argc, argv);
    const unsigned threads = bench::threads_from_env("BENCH_THREADS");
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    tbb::parallel_for(0, 1024, [](int) {});

    const auto start = bench::clock::now();
    std::uint64_t result = 0;
    tbb::task_group root;
    root.run([&result, leaves] { result = skynet(0, leaves); });
    root.wait();
    const double ms = bench::ms_since(start);

    bench::check_answer("tbb", "skynet", result, bench::skynet_answer(leaves));
    bench::print_result("tbb", "skynet", leaves, ms);
}
