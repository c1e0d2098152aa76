// skynet on libfork: each node forks its first nine children, calls the last, joins, then sums their results.
#include "../common/harness.hpp"

#include <libfork.hpp>

#include <array>

namespace {
inline constexpr auto skynet = [](auto skynet, std::uint64_t offset, std::uint64_t size) -> lf::task<std::uint64_t> {
    if (size == 1) co_return offset;
    const std::uint64_t child = size / bench::k_skynet_fanout;
    std::array<std::uint64_t, bench::k_skynet_fanout> results{};
    for (std::uint64_t i = 0; i + 1 < bench::k_skynet_fanout; ++i)
        co_await lf::fork(&results[i], skynet)(offset + i * child, child);
    const std::uint64_t last = bench::k_skynet_fanout - 1;
    co_await lf::call(&results[last], skynet)(offset + last * child, child);
    co_await lf::join;
    std::uint64_t sum = 0;
    for (std::uint64_t r : results) sum += r;
    co_return sum;
};
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t leaves = bench::skynet_leaves(argc, argv);
    lf::lazy_pool pool(bench::threads_from_env("BENCH_THREADS"));
    lf::sync_wait(pool, skynet, std::uint64_t{0}, std::uint64_t{10});

    const auto start = bench::clock::now();
    const std::uint64_t result = lf::sync_wait(pool, skynet, std::uint64_t{0}, leaves);
    const double ms = bench::ms_since(start);

    bench::check_answer("libfork", "skynet", result, bench::skynet_answer(leaves));
    bench::print_result("libfork", "skynet", leaves, ms);
}
