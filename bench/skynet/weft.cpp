// skynet on weft: a 10-ary tree of tasks over the leaves; each node spawns its children and sums their futures.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

#include <array>

namespace {
std::uint64_t skynet(std::uint64_t offset, std::uint64_t size) {
    if (size == 1) return offset;
    const std::uint64_t child = size / bench::k_skynet_fanout;
    std::array<weft::future<std::uint64_t>, bench::k_skynet_fanout> children;
    for (std::uint64_t i = 0; i < bench::k_skynet_fanout; ++i) children[i] = weft::spawn(skynet, offset + i * child, child);
    std::uint64_t sum = 0;
    for (auto &f : children) sum += f.get();
    return sum;
}
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t leaves = bench::skynet_leaves(argc, argv);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    const std::uint64_t result = rt.spawn(skynet, std::uint64_t{0}, leaves).get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "skynet", result, bench::skynet_answer(leaves));
    bench::print_result("weft", "skynet", leaves, ms);
}
