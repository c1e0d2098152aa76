// The teardown shared by the runtime test fixtures.
#pragma once

#include "test_support.hpp"

#include <gtest/gtest.h>
#include <weft/weft.hpp>

#include <chrono>
#include <memory>

namespace weft_test {

// A runtime fixture's teardown: waits until the runtime is idle, checks that every task spawned
// ran, and destroys it.
inline void stop_checking_every_task_ran(std::unique_ptr<weft::runtime> &rt) {
    if (!rt) return;
    rt->wait_idle();
    const auto s = rt->stats();
    EXPECT_EQ(s.spawned, s.executed) << "tasks spawned but not run";
    rt.reset();
}

// A fixture with one runtime of GetParam() workers, torn down under a watchdog (a teardown that
// hangs fails the test instead of the whole run).
class runtime_per_worker_count : public ::testing::TestWithParam<unsigned> {
protected:
    void SetUp() override { rt = std::make_unique<weft::runtime>(weft::options{.workers = GetParam()}); }
    void TearDown() override {
        finishes_within(k_watchdog, "teardown wait_idle", [&] { stop_checking_every_task_ran(rt); });
    }
    unsigned workers() const { return GetParam(); }
    std::unique_ptr<weft::runtime> rt;
};

}  // namespace weft_test
