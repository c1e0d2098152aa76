// skynet with OpenMP tasks: each node makes a task per child writing into a local array, then taskwait and sum.
#include "../common/harness.hpp"

#include <omp.h>

#include <array>

namespace {
std::uint64_t skynet(std::uint64_t offset, std::uint64_t size) {
    if (size == 1) return offset;
    const std::uint64_t child = size / bench::k_skynet_fanout;
    std::array<std::uint64_t, bench::k_skynet_fanout> results;
    for (std::uint64_t i = 0; i < bench::k_skynet_fanout; ++i) {
#pragma omp task shared(results) firstprivate(i, offset, child)
        results[i] = skynet(offset + i * child, child);
    }
#pragma omp taskwait
    std::uint64_t sum = 0;
    for (std::uint64_t r : results) sum += r;
    return sum;
}
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t leaves = bench::skynet_leaves(argc, argv);
#pragma omp parallel
    { (void)omp_get_thread_num(); }

    const auto start = bench::clock::now();
    std::uint64_t result = 0;
#pragma omp parallel
#pragma omp single
    {
#pragma omp task shared(result)
        result = skynet(0, leaves);
    }
    const double ms = bench::ms_since(start);

    bench::check_answer("omp", "skynet", result, bench::skynet_answer(leaves));
    bench::print_result("omp", "skynet", leaves, ms);
}
