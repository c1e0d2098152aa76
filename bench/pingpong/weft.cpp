// pingpong on weft: two tasks hand a counter back and forth through a pair of weft::counting_semaphore, n round
// trips; each hop adds one, so the counter ends at 2n. A task waiting for its turn is suspended, not spinning.
#include "../common/harness.hpp"

#include <weft/weft.hpp>

#include <string>

int main(int argc, char **argv) {
    const std::uint64_t n = bench::arg_or(argc, argv, 1, bench::k_pingpong.n);
    weft::runtime rt(weft::options{.workers = 0});
    rt.spawn([] { return 0; }).get();

    const auto start = bench::clock::now();
    weft::counting_semaphore to_echo(0);
    weft::counting_semaphore to_server(0);
    std::uint64_t token = 0;  // handed over by the semaphores: only the task whose turn it is touches it
    weft::future<void> echo = rt.spawn([&] {
        for (std::uint64_t i = 0; i < n; ++i) {
            to_echo.acquire();
            token += 1;
            to_server.release();
        }
    });
    weft::future<std::uint64_t> server = rt.spawn([&] {
        for (std::uint64_t i = 0; i < n; ++i) {
            to_echo.release();
            to_server.acquire();
            token += 1;
        }
        return token;
    });
    const std::uint64_t result = server.get();
    echo.get();
    const double ms = bench::ms_since(start);

    bench::check_answer("weft", "pingpong", result, 2 * n);
    bench::print_result("weft", "pingpong", n, ms, " ns_per_op=" + std::to_string(ms * 1e6 / static_cast<double>(n)));
}
