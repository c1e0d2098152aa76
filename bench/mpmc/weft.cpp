// mpmc on weft: `senders` tasks send 0..n-1 between them over one weft::channel of the given capacity (SIZE_MAX:
// unbounded), `receivers` tasks receive until it is closed; the sum of what they received must be n(n-1)/2.
#include "../common/harness.hpp"

#include <weft/channel.hpp>
#include <weft/weft.hpp>

#include <string>
#include <vector>

namespace {
struct tally {
    std::uint64_t sum = 0;
    std::uint64_t count = 0;
};
}  // namespace

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_mpmc.n);
    const std::uint64_t capacity = bench::arg_or(argc, argv, 2, bench::k_mpmc_capacity);
    const std::uint64_t senders = bench::arg_or(argc, argv, 3, bench::k_mpmc_senders);
    const std::uint64_t receivers = bench::arg_or(argc, argv, 4, bench::k_mpmc_receivers);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    weft::channel<std::uint64_t> ch(capacity == bench::k_unbounded ? weft::channel_unbounded : capacity);
    std::vector<weft::future<void>> sending;
    std::vector<weft::future<tally>> receiving;
    for (std::uint64_t r = 0; r < receivers; ++r)
        receiving.push_back(rt.spawn([ch]() mutable {
            tally t;
            for (std::uint64_t v : ch) {
                t.sum += v;
                t.count += 1;
            }
            return t;
        }));
    for (std::uint64_t s = 0; s < senders; ++s)
        sending.push_back(rt.spawn([ch, s, n, senders]() mutable {
            for (std::uint64_t v = s; v < n; v += senders) ch.send(v);
        }));
    for (auto &f : sending) f.get();
    ch.close();
    tally total;
    for (auto &f : receiving) {
        const tally t = f.get();
        total.sum += t.sum;
        total.count += t.count;
    }
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "mpmc", total.count, n);
    bench::check_answer("weft", "mpmc", total.sum, bench::sum_below(n));
    bench::print_result("weft", "mpmc", n, ms, " ns_per_op=" + std::to_string(ms * 1e6 / static_cast<double>(n)));
}
