// skynet as plain recursion over the same 10-ary tree: the floor.
#include "../common/harness.hpp"

namespace {
std::uint64_t skynet(std::uint64_t offset, std::uint64_t size) {
    if (size == 1) return offset;
    const std::uint64_t child = size / bench::k_skynet_fanout;
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < bench::k_skynet_fanout; ++i) sum += skynet(offset + i * child, child);
    return sum;
}
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t leaves = bench::skynet_leaves(argc, argv);

    const auto start = bench::clock::now();
    const std::uint64_t result = skynet(0, leaves);
    const double ms = bench::ms_since(start);

    bench::check_answer("serial", "skynet", result, bench::skynet_answer(leaves));
    bench::print_result("serial", "skynet", leaves, ms);
}
