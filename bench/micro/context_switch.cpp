// Micro-benchmark of the context switch under suspension: weft's own (src/platform/) against
// Boost.Context when it is installed. One iteration is a round trip: two switches.
#include "platform/context_switch.hpp"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <sys/mman.h>

#if defined(WEFT_BENCH_HAVE_BOOST_CONTEXT)
#include <boost/context/fiber.hpp>
#endif

namespace {

constexpr std::size_t k_stack = 64 * 1024;

struct ping {
    void *main_sp = nullptr;
    void *fiber_sp = nullptr;
};

[[noreturn]] void bounce(void *arg) {
    auto *p = static_cast<ping *>(arg);
    for (;;) weft::detail::switch_context(&p->fiber_sp, p->main_sp);
}

void weft_switch_round_trip(benchmark::State &state) {
    void *stack = mmap(nullptr, k_stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    alignas(16) static unsigned char storage[weft::detail::k_context_storage];
    ping p;
    p.fiber_sp = weft::detail::make_context(stack, k_stack, &bounce, &p, storage);
    for (auto _ : state) weft::detail::switch_context(&p.main_sp, p.fiber_sp);
    state.SetItemsProcessed(state.iterations());
    munmap(stack, k_stack);
}
BENCHMARK(weft_switch_round_trip);

#if defined(WEFT_BENCH_HAVE_BOOST_CONTEXT)
void boost_fiber_round_trip(benchmark::State &state) {
    namespace ctx = boost::context;
    ctx::fiber f{[](ctx::fiber &&back) {
        for (;;) back = std::move(back).resume();
        return std::move(back);
    }};
    for (auto _ : state) f = std::move(f).resume();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(boost_fiber_round_trip);
#endif

}  // namespace
