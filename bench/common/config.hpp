// Problem sizes and expected answers shared by every benchmark program (Go and tokio get them on the command line).
#pragma once

#include <array>
#include <cstdint>

namespace bench {

// Closed form of sum_{i<n} i*i, wrapping modulo 2^64 as the programs' 64-bit sums do.
constexpr std::uint64_t sum_of_squares_below(std::uint64_t n) {
    const unsigned __int128 m = n;
    const unsigned __int128 six_sums = (m - 1) * m * (2 * m - 1);
    return static_cast<std::uint64_t>(six_sums / 6);
}

struct sized_answer {
    std::uint64_t n;
    std::uint64_t answer;
};

// scale and scale_malloc: N tasks, each computing i*i; the answer is the wrapped sum.
inline constexpr std::array<sized_answer, 4> k_scale = {{
    {10'000, 333'283'335'000ull},
    {100'000, 333'328'333'350'000ull},
    {1'000'000, 333'332'833'333'500'000ull},
    {10'000'000, 1'291'890'006'563'070'912ull},
}};
static_assert(k_scale[0].answer == sum_of_squares_below(k_scale[0].n));
static_assert(k_scale[1].answer == sum_of_squares_below(k_scale[1].n));
static_assert(k_scale[2].answer == sum_of_squares_below(k_scale[2].n));
static_assert(k_scale[3].answer == sum_of_squares_below(k_scale[3].n));
// The largest N a --quick run uses (the issue: "N up to 1M" for quick runs).
inline constexpr std::uint64_t k_scale_quick_max = 1'000'000;

// fib(n) by iteration, to check the spawning versions for any n.
constexpr std::uint64_t fib_of(std::uint64_t n) {
    std::uint64_t a = 0, b = 1;
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t next = a + b;
        a = b;
        b = next;
    }
    return a;
}

// fib(30) with a spawn per call: 1,346,268 spawns.
inline constexpr sized_answer k_fib = {30, 832'040};
static_assert(k_fib.answer == fib_of(k_fib.n));

// skynet: a 10-ary tree over 1,000,000 leaves (1,111,111 tasks); the sum of the leaf ordinals.
inline constexpr sized_answer k_skynet = {1'000'000, 499'999'500'000ull};
// The sum of the leaf ordinals 0..leaves-1.
constexpr std::uint64_t skynet_answer(std::uint64_t leaves) { return leaves * (leaves - 1) / 2; }
static_assert(k_skynet.answer == skynet_answer(k_skynet.n));
inline constexpr std::uint64_t k_skynet_fanout = 10;

// The sum 0 + 1 + ... + (n-1): what a program that adds up its task indices must get.
constexpr std::uint64_t sum_below(std::uint64_t n) { return n * (n - 1) / 2; }

// wake: samples per run (the issue asks for 10,000; a quick run takes fewer) and the idle gap
// between samples, long enough for workers to park (the issue: "sleep ~0.5-1 ms").
inline constexpr std::uint64_t k_wake_samples = 10'000;
inline constexpr std::uint64_t k_wake_samples_quick = 1'000;
inline constexpr std::uint64_t k_wake_gap_us = 1'000;
// How long the OpenMP wake creator, which must not run the task itself, sleeps between checks that it has started:
// short next to the gap, and off the CPU so that on 2 cores it never competes with the thread being measured.
inline constexpr std::uint64_t k_wake_poll_us = 20;

// idle: a burst of tasks, then this long doing nothing while the process CPU time is measured.
inline constexpr std::uint64_t k_idle_burst = 100'000;
inline constexpr std::uint64_t k_idle_sleep_ms = 2'000;

// park: after every task has said it is about to wait, main sleeps this long so that the last few reach their wait
// before the promise is set. A judgement, not a measurement: they need microseconds on a quiet machine.
inline constexpr std::uint64_t k_park_settle_ms = 10;

// park: this many tasks each wait on one promise (Go: one channel close; tokio: one watch channel), then it is set;
// the answer is the sum of the task indices, added by each task after it resumes.
inline constexpr sized_answer k_park = {100'000, 4'999'950'000ull};
static_assert(k_park.answer == sum_below(k_park.n));

// pingpong: two tasks hand a token back and forth; each hop adds one, so n round trips end at 2n.
inline constexpr sized_answer k_pingpong = {1'000'000, 2'000'000};
inline constexpr sized_answer k_pingpong_quick = {100'000, 200'000};

// mutex: k_mutex_tasks tasks each lock one mutex n times around `counter += 1`; the answer is tasks * n.
inline constexpr std::uint64_t k_mutex_tasks = 4;
inline constexpr sized_answer k_mutex = {1'000'000, k_mutex_tasks * 1'000'000};
inline constexpr sized_answer k_mutex_quick = {100'000, k_mutex_tasks * 100'000};

// chan_pingpong: as pingpong, but through two weft::channel (Go: chan, tokio: mpsc, crossbeam-channel) of capacity
// k_chan_pingpong_capacity (the rendezvous problem) or 1 (chan_pingpong_cap1); the counter ends at 2n.
inline constexpr sized_answer k_chan_pingpong = {1'000'000, 2'000'000};
inline constexpr sized_answer k_chan_pingpong_quick = {100'000, 200'000};

// mpmc: k_mpmc_senders tasks send 0..n-1 between them (sender s sends every value congruent to s) over one channel
// of capacity k_mpmc_capacity (mpmc) or unbounded (mpmc_unbounded), k_mpmc_receivers tasks receive; the answer is
// the sum of every value received, n(n-1)/2, and the receivers also count them.
inline constexpr std::uint64_t k_mpmc_senders = 4;
inline constexpr std::uint64_t k_mpmc_receivers = 4;
inline constexpr std::uint64_t k_mpmc_capacity = 64;
// The capacity argument that means unbounded: SIZE_MAX, as weft::channel_unbounded.
inline constexpr std::uint64_t k_unbounded = UINT64_MAX;
inline constexpr sized_answer k_mpmc = {10'000'000, sum_below(10'000'000)};
inline constexpr sized_answer k_mpmc_quick = {1'000'000, sum_below(1'000'000)};

// pipeline: a source sends 0..n-1, k_pipeline_stages stage tasks each receive, add one and send on, a sink sums
// what reaches it: stages+1 channels of capacity k_pipeline_capacity; the answer is n(n-1)/2 + stages*n.
inline constexpr std::uint64_t k_pipeline_stages = 8;
inline constexpr std::uint64_t k_pipeline_capacity = 64;
inline constexpr sized_answer k_pipeline = {1'000'000, sum_below(1'000'000) + k_pipeline_stages * 1'000'000};
inline constexpr sized_answer k_pipeline_quick = {100'000, sum_below(100'000) + k_pipeline_stages * 100'000};

// timers: n tasks, task i sleeps timer_duration_us(k_timers_seed, i, k_timers_max_us) from when it starts (the same
// durations in every language); each checks it did not wake before its deadline and adds its index after waking:
// the answer is n(n-1)/2. Reported: the total time and the p50/p99 of how late each wake was.
inline constexpr std::uint64_t k_timers_max_us = 100'000;
inline constexpr std::uint64_t k_timers_seed = 0x9e3779b97f4a7c15ull;
inline constexpr sized_answer k_timers = {1'000'000, sum_below(1'000'000)};
inline constexpr sized_answer k_timers_quick = {100'000, sum_below(100'000)};

// splitmix64 of seed + i, reduced to 0..max_us: the same few lines in the Go and Rust programs.
constexpr std::uint64_t timer_duration_us(std::uint64_t seed, std::uint64_t i, std::uint64_t max_us) {
    std::uint64_t z = seed + i * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z % (max_us + 1);
}

// sleep_overlap: n tasks each sleep k_sleep_overlap_ms at once; on 2 workers that should take about that long.
inline constexpr sized_answer k_sleep_overlap = {64, sum_below(64)};
inline constexpr std::uint64_t k_sleep_overlap_ms = 100;

// Threads every runtime runs with (the issue: "thread count 2 everywhere").
inline constexpr unsigned k_threads = 2;

}  // namespace bench
