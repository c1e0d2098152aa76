// Shared pieces of the channel tests: the worker-count fixture and a watchdog.
#pragma once

#include "test_support.hpp"
#include "../runtime_fixture.hpp"

#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

namespace weft_test {

// Turns a hang into a failure: unless disarmed (destroyed) within its limit, prints what hung and
// ends the process (a hung runtime cannot be destroyed).
class watchdog {
public:
    explicit watchdog(const char *what, std::chrono::seconds limit = std::chrono::seconds(240))
        : m_thread([this, what, limit] {
              std::unique_lock lock(m_mutex);
              if (!m_cv.wait_for(lock, limit, [this] { return m_done; })) {
                  std::fprintf(stderr, "watchdog: %s has not finished after %lld s: hang\n", what,
                               static_cast<long long>(limit.count()));
                  std::fflush(nullptr);
                  std::_Exit(1);
              }
          }) {}
    ~watchdog() {
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_cv.notify_one();
        m_thread.join();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_done = false;
    std::thread m_thread;
};

class Workers : public ::testing::TestWithParam<unsigned> {
protected:
    void SetUp() override {
        dog = std::make_unique<watchdog>(::testing::UnitTest::GetInstance()->current_test_info()->name());
        rt = std::make_unique<weft::runtime>(weft::options{.workers = GetParam()});
    }
    void TearDown() override {
        weft_test::stop_checking_every_task_ran(rt);
        dog.reset();
    }
    unsigned workers() const { return GetParam(); }
    std::unique_ptr<watchdog> dog;
    std::unique_ptr<weft::runtime> rt;
};

}  // namespace weft_test
