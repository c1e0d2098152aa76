// Prints config.hpp as JSON so the runner passes the same sizes and answers to the Go and tokio programs.
#include "config.hpp"

#include <cinttypes>
#include <cstdio>

int main() {
    std::printf("{\n  \"scale\": [");
    for (std::size_t i = 0; i < bench::k_scale.size(); ++i)
        std::printf("%s{\"n\": %" PRIu64 ", \"answer\": %" PRIu64 "}", i ? ", " : "", bench::k_scale[i].n,
                    bench::k_scale[i].answer);
    std::printf("],\n  \"scale_quick_max\": %" PRIu64 ",\n", bench::k_scale_quick_max);
    std::printf("  \"fib\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 "},\n", bench::k_fib.n, bench::k_fib.answer);
    std::printf("  \"skynet\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"fanout\": %" PRIu64 "},\n",
                bench::k_skynet.n, bench::k_skynet.answer, bench::k_skynet_fanout);
    std::printf("  \"wake\": {\"samples\": %" PRIu64 ", \"samples_quick\": %" PRIu64 ", \"gap_us\": %" PRIu64
                ", \"poll_us\": %" PRIu64 "},\n",
                bench::k_wake_samples, bench::k_wake_samples_quick, bench::k_wake_gap_us, bench::k_wake_poll_us);
    std::printf("  \"idle\": {\"burst\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"sleep_ms\": %" PRIu64 "},\n",
                bench::k_idle_burst, bench::sum_of_squares_below(bench::k_idle_burst), bench::k_idle_sleep_ms);
    std::printf("  \"park\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"settle_ms\": %" PRIu64 "},\n",
                bench::k_park.n, bench::k_park.answer, bench::k_park_settle_ms);
    std::printf("  \"pingpong\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"n_quick\": %" PRIu64
                ", \"answer_quick\": %" PRIu64 "},\n",
                bench::k_pingpong.n, bench::k_pingpong.answer, bench::k_pingpong_quick.n, bench::k_pingpong_quick.answer);
    std::printf("  \"mutex\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"n_quick\": %" PRIu64
                ", \"answer_quick\": %" PRIu64 ", \"tasks\": %" PRIu64 "},\n",
                bench::k_mutex.n, bench::k_mutex.answer, bench::k_mutex_quick.n, bench::k_mutex_quick.answer,
                bench::k_mutex_tasks);
    std::printf("  \"chan_pingpong\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"n_quick\": %" PRIu64
                ", \"answer_quick\": %" PRIu64 "},\n",
                bench::k_chan_pingpong.n, bench::k_chan_pingpong.answer, bench::k_chan_pingpong_quick.n,
                bench::k_chan_pingpong_quick.answer);
    std::printf("  \"mpmc\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"n_quick\": %" PRIu64
                ", \"answer_quick\": %" PRIu64 ", \"senders\": %" PRIu64 ", \"receivers\": %" PRIu64
                ", \"capacity\": %" PRIu64 ", \"unbounded\": %" PRIu64 "},\n",
                bench::k_mpmc.n, bench::k_mpmc.answer, bench::k_mpmc_quick.n, bench::k_mpmc_quick.answer,
                bench::k_mpmc_senders, bench::k_mpmc_receivers, bench::k_mpmc_capacity, bench::k_unbounded);
    std::printf("  \"pipeline\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"n_quick\": %" PRIu64
                ", \"answer_quick\": %" PRIu64 ", \"stages\": %" PRIu64 ", \"capacity\": %" PRIu64 "},\n",
                bench::k_pipeline.n, bench::k_pipeline.answer, bench::k_pipeline_quick.n,
                bench::k_pipeline_quick.answer, bench::k_pipeline_stages, bench::k_pipeline_capacity);
    std::printf("  \"timers\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"n_quick\": %" PRIu64
                ", \"answer_quick\": %" PRIu64 ", \"max_us\": %" PRIu64 ", \"seed\": %" PRIu64 "},\n",
                bench::k_timers.n, bench::k_timers.answer, bench::k_timers_quick.n, bench::k_timers_quick.answer,
                bench::k_timers_max_us, bench::k_timers_seed);
    std::printf("  \"sleep_overlap\": {\"n\": %" PRIu64 ", \"answer\": %" PRIu64 ", \"sleep_ms\": %" PRIu64 "},\n",
                bench::k_sleep_overlap.n, bench::k_sleep_overlap.answer, bench::k_sleep_overlap_ms);
    std::printf("  \"threads\": %u\n}\n", bench::k_threads);
}
