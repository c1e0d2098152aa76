// pipeline on weft: a source task sends 0..n-1, `stages` tasks in a chain each receive, add one and send on, a sink
// task sums what reaches it; stages+1 weft::channel of the given capacity. The sum must be n(n-1)/2 + stages*n.
#include "../common/harness.hpp"

#include <weft/channel.hpp>
#include <weft/weft.hpp>

#include <string>
#include <vector>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_pipeline.n);
    const std::uint64_t stages = bench::arg_or(argc, argv, 2, bench::k_pipeline_stages);
    const std::uint64_t capacity = bench::arg_or(argc, argv, 3, bench::k_pipeline_capacity);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    std::vector<weft::channel<std::uint64_t>> links;
    for (std::uint64_t i = 0; i <= stages; ++i) links.emplace_back(capacity);
    std::vector<weft::future<void>> running;
    running.push_back(rt.spawn([out = links[0], n]() mutable {
        for (std::uint64_t v = 0; v < n; ++v) out.send(v);
        out.close();
    }));
    for (std::uint64_t s = 0; s < stages; ++s)
        running.push_back(rt.spawn([in = links[s], out = links[s + 1]]() mutable {
            for (std::uint64_t v : in) out.send(v + 1);
            out.close();
        }));
    weft::future<std::uint64_t> sink = rt.spawn([in = links[stages]]() mutable {
        std::uint64_t sum = 0;
        for (std::uint64_t v : in) sum += v;
        return sum;
    });
    const std::uint64_t result = sink.get();
    for (auto &f : running) f.get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "pipeline", result, bench::sum_below(n) + stages * n);
    bench::print_result("weft", "pipeline", n, ms, " ns_per_op=" + std::to_string(ms * 1e6 / static_cast<double>(n)));
}
