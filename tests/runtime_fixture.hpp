// The teardown shared by the runtime test fixtures.
#pragma once

#include <gtest/gtest.h>
#include <weft/weft.hpp>

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

}  // namespace weft_test
