// weft::select and weft_select over channel operations, parameterised over worker counts: one
// case per select, racing a close, fairness among ready cases, NULL channels, polls and timeouts.
#include "channel/channel_test_support.hpp"

#include <weft/channel.hpp>
#include <weft/weft.h>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft_test::scaled;

namespace {

class Select : public weft_test::Workers {};

TEST_P(Select, PollAndTimeoutWithNothingReady) {
    weft::channel<int> a(0), b(1);
    weft::recv_case<int> ra(a), rb(b);
    EXPECT_FALSE(weft::try_select(ra, rb).has_value());
    auto f = rt->spawn([a, b]() mutable {
        weft::recv_case<int> ra(a), rb(b);
        return weft::select_for(5ms, ra, rb).has_value() || ra.fired() || rb.fired();
    });
    EXPECT_FALSE(f.get());
    EXPECT_TRUE(b.try_send(1)) << "a timed-out select must not stay linked as a receiver";
    EXPECT_FALSE(a.try_send(1)) << "nor leave a receiver behind on the rendezvous channel";
}

TEST_P(Select, OneCaseHappensWhenSeveralCompleteAtOnce) {
    // A select waits on two rendezvous channels; two senders offer on both at once. Exactly one
    // value is taken; the other sender is still waiting and its value is received afterwards.
    for (int round = 0; round < scaled(1000, 100); ++round) {
        weft::channel<int> a(0), b(0);
        auto sel = rt->spawn([a, b]() mutable {
            weft::recv_case<int> ra(a), rb(b);
            const std::size_t i = weft::select(ra, rb);
            EXPECT_TRUE(ra.fired() != rb.fired());
            EXPECT_EQ(i == 0, ra.fired());
            return i == 0 ? *ra.value : *rb.value;
        });
        auto sa = rt->spawn([a]() mutable { a.send(1); });
        std::thread sb([b]() mutable { b.send(2); });
        const int got = sel.get();
        // The loser is still waiting to send: take its value here.
        const int other = got == 1 ? *b.recv() : *a.recv();
        EXPECT_EQ(got + other, 3);
        sa.get();
        sb.join();
    }
}

TEST_P(Select, RacingACloseDeliversExactlyOnce) {
    for (int round = 0; round < scaled(2000, 200); ++round) {
        weft::channel<int> a(0), b(1);
        auto sel = rt->spawn([a, b]() mutable {
            weft::recv_case<int> ra(a), rb(b);
            weft::select(ra, rb);
            return ra.fired() ? (ra.closed() ? -1 : *ra.value) : (rb.closed() ? -2 : *rb.value);
        });
        std::thread closer([a]() mutable { a.close(); });
        const bool sent = b.try_send(7);
        closer.join();
        const int got = sel.get();
        ASSERT_NE(got, -2) << "b was never closed";
        if (got == 7) {
            EXPECT_TRUE(sent);
            EXPECT_FALSE(b.try_recv().has_value()) << "delivered twice";
        } else {
            ASSERT_EQ(got, -1);
            EXPECT_EQ(b.try_recv().has_value(), sent) << "the value sent to b was lost";
        }
    }
}

TEST_P(Select, SendRacingACloseEitherDeliversOrReportsClosed) {
    for (int round = 0; round < scaled(2000, 200); ++round) {
        weft::channel<int> a(0);
        std::atomic<bool> received{false};
        auto receiver = rt->spawn([a, &received]() mutable {
            if (a.recv()) received.store(true);
        });
        auto sel = rt->spawn([a]() mutable {
            weft::send_case<int> sa(a, 5);
            weft::select(sa);
            return !sa.closed();
        });
        a.close();
        const bool delivered = sel.get();
        receiver.get();
        EXPECT_EQ(delivered, received.load()) << "a select send reported success iff the value arrived";
    }
}

// With both cases ready every time, each is chosen with probability 1/2: over n selects the count
// of case 0 is Binomial(n, 1/2), standard deviation sqrt(n)/2. The bound is 6 standard deviations,
// exceeded by chance with probability below 1e-8. A NULL (empty) case never fires.
TEST_P(Select, ReadyCasesAreChosenFairly) {
    const int n = 4000;
    weft::channel<int> a(weft::channel_unbounded), b(weft::channel_unbounded);
    for (int i = 0; i < n; ++i) {
        a.send(i);
        b.send(i);
    }
    auto f = rt->spawn([a, b, n]() mutable {
        weft::channel<int> none(0);
        weft::channel<int> gone(std::move(none));
        int first = 0;
        for (int i = 0; i < n; ++i) {
            weft::recv_case<int> ra(a), rn(none), rb(b);
            const std::size_t k = weft::select(ra, rn, rb);
            EXPECT_NE(k, 1u) << "a case on an empty handle fired";
            first += k == 0;
        }
        return first;
    });
    const int first = f.get();
    const double sd = std::sqrt(n) / 2;
    EXPECT_NEAR(first, n / 2, 6 * sd) << "case 0 chosen " << first << " times of " << n;
}

TEST_P(Select, CSelectCasesStatusAndErrors) {
    weft_channel *a = weft_channel_new(1);
    weft_channel *b = weft_channel_new(0);
    ASSERT_TRUE(a && b);
    weft_select_case bad[1] = {{a, 3, nullptr, 0}};
    errno = 0;
    EXPECT_EQ(weft_select(bad, 1, 0), -1);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(weft_select(nullptr, 2, 0), -1);
    EXPECT_EQ(errno, EINVAL);
    weft_select_case only_null[1] = {{nullptr, WEFT_RECV, nullptr, 0}};
    EXPECT_EQ(weft_select(only_null, 1, 0), -1);
    EXPECT_EQ(errno, ETIMEDOUT);
    EXPECT_EQ(weft_select(only_null, 1, 2), -1);
    EXPECT_EQ(errno, ETIMEDOUT);

    int x = 0;
    weft_select_case cases[3] = {{nullptr, WEFT_SEND, &x, 0}, {a, WEFT_SEND, &x, 0}, {b, WEFT_RECV, nullptr, 0}};
    EXPECT_EQ(weft_select(cases, 3, 0), 1) << "only the buffered send can proceed";
    EXPECT_EQ(cases[1].status, 0);
    EXPECT_EQ(weft_channel_len(a), 1u);
    void *v = nullptr;
    auto f = rt->spawn([b] { return weft_channel_send(b, reinterpret_cast<void *>(std::uintptr_t{9})); });
    weft_select_case recv_b[2] = {{nullptr, WEFT_RECV, nullptr, 0}, {b, WEFT_RECV, nullptr, 0}};
    EXPECT_EQ(weft_select(recv_b, 2, -1), 1);
    EXPECT_EQ(recv_b[1].status, 0);
    EXPECT_EQ(recv_b[1].value, reinterpret_cast<void *>(std::uintptr_t{9}));
    EXPECT_EQ(f.get(), 0);
    weft_channel_close(b);
    EXPECT_EQ(weft_select(recv_b, 2, -1), 1);
    EXPECT_EQ(recv_b[1].status, EPIPE);
    EXPECT_EQ(weft_channel_recv(a, &v), 0);
    EXPECT_EQ(v, &x);
    weft_channel_free(a);
    weft_channel_free(b);
}

// A task whose selects (or polls) keep completing at once never waits, so it never gives its
// worker back; a task woken on that worker resumes only there. Without the cooperative budget
// (suspend/fiber.hpp) the woken receiver below waited for the busy task, which waits for it: a
// hang on one worker, and on more whenever the busy task ran on the receiver's worker.
TEST_P(Select, AWokenTaskIsNotHeldOffByATaskWhoseOperationsCompleteAtOnce) {
    for (int variant = 0; variant < 2; ++variant) {
        weft::channel<int> ch(0);
        std::atomic<bool> done{false};
        auto receiver = rt->spawn([&done, ch, variant]() mutable {
            auto busy = weft::spawn([&done, variant] {  // queued on this worker
                weft::channel<int> side(1);
                while (!done.load()) {
                    if (variant == 0) {
                        weft::send_case<int> s(side, 1);
                        weft::recv_case<int> r(side);
                        weft::select_for(std::chrono::milliseconds(1), s, r);
                    } else {
                        (void)side.try_send(1);
                        (void)side.try_recv();
                    }
                }
            });
            auto v = ch.recv();  // suspends; the worker runs busy
            done.store(true);
            busy.get();
            return v;
        });
        weft_test::finishes_within(weft_test::k_watchdog, "a woken receiver behind a busy selecting task", [&] {
            ch.send(42);  // a rendezvous: waits for the receiver, then wakes it
            EXPECT_EQ(receiver.get(), std::optional<int>(42)) << "variant " << variant;
        });
    }
}

// The same for a task whose wait ends by its deadline: only the worker's loop turns a due timer
// into a woken task, so the budget also yields when one of the worker's timed waits is due. The
// busy task stops only once the sleeper (a sleep, then a timed receive) has woken.
TEST_P(Select, ATaskWokenByItsDeadlineIsNotHeldOffByATaskWhoseOperationsCompleteAtOnce) {
    for (int variant = 0; variant < 2; ++variant) {
        std::atomic<bool> done{false};
        auto sleeper = rt->spawn([&done, variant] {
            auto busy = weft::spawn([&done] {  // queued on this worker
                weft::channel<int> side(1);
                while (!done.load()) {
                    (void)side.try_send(1);
                    (void)side.try_recv();
                }
            });
            if (variant == 0) {
                weft::sleep_for(std::chrono::milliseconds(2));  // suspends; the worker runs busy
            } else {
                weft::channel<int> never(0);
                EXPECT_FALSE(never.recv_for(std::chrono::milliseconds(2)).has_value());
            }
            done.store(true);
            busy.get();
        });
        weft_test::finishes_within(weft_test::k_watchdog, "a timed-out waiter behind a busy polling task", [&] {
            sleeper.get();
        });
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, Select, ::testing::Values(1u, 2u, 4u),
                         [](const auto &info) { return std::to_string(info.param) + "workers"; });

}  // namespace
