// Randomized stress with exactly-once accounting (WEFT_STRESS_TASKS sets the size, WEFT_STRESS_SEED the seed).
#include "stress_mix.hpp"

#include <gtest/gtest.h>

namespace {

TEST(ReliabilityStress, RandomTreesRunEveryTaskOnceAndDestroyEveryResultOnce) {
    rel::mix_params p;
    p.tasks = rel::env_u64("WEFT_STRESS_TASKS", rel::scaled(2000000, 500000, 300000, 100000));
    p.seed = rel::seed_from_env("reliability stress");
    p.workers = static_cast<unsigned>(rel::env_u64("WEFT_STRESS_WORKERS", 2));
    rel::mix_report rep;
    rel::finishes_within(std::chrono::seconds(rel::env_u64("WEFT_STRESS_LIMIT_S", 240)),
                         "stress mix (seed " + std::to_string(p.seed) + ")", [&] { rep = rel::run_mix(p); });
    std::fprintf(stderr,
                 "reliability stress: %llu tasks checked in %.2f s (%.0f tasks/s), %llu runtimes churned, "
                 "%llu detached exceptions handled\n",
                 static_cast<unsigned long long>(rep.tasks), rep.seconds, rep.tasks / rep.seconds,
                 static_cast<unsigned long long>(rep.runtimes_created),
                 static_cast<unsigned long long>(rep.handled_exceptions));
    rel::figure("stress_tasks_checked", static_cast<double>(rep.tasks), "tasks");
    EXPECT_EQ(rep.tasks, p.tasks);
    EXPECT_EQ(rep.failures, 0u) << "first failure: " << rep.first_failure << " (seed " << p.seed << ")";
}

// The same mix on one worker (everything interleaves on one queue) and on four (more stealing
// than cores), smaller.
TEST(ReliabilityStress, OneWorkerAndFourWorkers) {
    for (unsigned workers : {1u, 4u}) {
        rel::mix_params p;
        p.tasks = rel::env_u64("WEFT_STRESS_TASKS", rel::scaled(1000000, 200000, 120000, 40000)) / 4;
        p.seed = rel::seed_from_env("reliability stress (workers varied)");
        p.workers = workers;
        rel::mix_report rep;
        rel::finishes_within(std::chrono::seconds(rel::env_u64("WEFT_STRESS_LIMIT_S", 240)),
                             "stress mix (seed " + std::to_string(p.seed) + ")", [&] { rep = rel::run_mix(p); });
        EXPECT_EQ(rep.tasks, p.tasks);
        EXPECT_EQ(rep.failures, 0u) << workers << " workers, first failure: " << rep.first_failure << " (seed "
                                    << p.seed << ")";
    }
}

}  // namespace
