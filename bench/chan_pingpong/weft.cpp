// chan_pingpong on weft: two tasks hand a counter back and forth through two weft::channel of the given capacity
// (0: rendezvous; the runner also runs capacity 1), n round trips; each hop adds one, so the counter ends at 2n.
#include "../common/harness.hpp"

#include <weft/channel.hpp>
#include <weft/weft.hpp>

#include <string>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_chan_pingpong.n);
    const std::uint64_t capacity = bench::arg_or(argc, argv, 2, 0);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    weft::channel<std::uint64_t> ping(capacity);
    weft::channel<std::uint64_t> pong(capacity);
    weft::future<void> echo = rt.spawn([&] {
        for (std::uint64_t v : ping) pong.send(v + 1);
    });
    weft::future<std::uint64_t> server = rt.spawn([&] {
        std::uint64_t v = 0;
        for (std::uint64_t i = 0; i < n; ++i) {
            ping.send(v);
            v = pong.recv().value() + 1;
        }
        ping.close();
        return v;
    });
    const std::uint64_t result = server.get();
    echo.get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "chan_pingpong", result, 2 * n);
    bench::print_result("weft", "chan_pingpong", n, ms,
                        " ns_per_op=" + std::to_string(ms * 1e6 / static_cast<double>(n)));
}
