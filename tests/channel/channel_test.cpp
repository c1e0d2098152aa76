// weft::channel<T> on the runtime, parameterised over worker counts: rendezvous, buffering, close
// with waiting parties, iteration, parties outside the runtime, and an exactly-once stress mix.
#include "channel/channel_test_support.hpp"

#include <weft/channel.hpp>
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft_test::scaled;

namespace {

class Channel : public weft_test::Workers {};

// Leaves `ch` an empty handle (a select case on it never fires).
void drop(weft::channel<int> &ch) { weft::channel<int> gone(std::move(ch)); }

TEST_P(Channel, RendezvousSendReturnsOnlyOnceReceived) {
    for (int round = 0; round < scaled(200, 20); ++round) {
        weft::channel<int> ch(0);
        EXPECT_FALSE(ch.try_send(7)) << "a rendezvous send without a receiver must not complete";
        std::atomic<bool> sent{false};
        auto f = rt->spawn([&] {
            ch.send(round);
            sent.store(true);
        });
        std::optional<int> v;
        while (!(v = ch.try_recv())) {
            ASSERT_FALSE(sent.load()) << "send returned before any receiver took the value";
            EXPECT_EQ(ch.size(), 0u);
            std::this_thread::yield();
        }
        EXPECT_EQ(*v, round);
        f.get();
        EXPECT_TRUE(sent.load());
    }
}

TEST_P(Channel, BufferedFifoAndCapacity) {
    // A capacity whose buffer does not fit in memory (or in size_t) is refused at construction.
    using big = std::array<char, 64>;
    EXPECT_THROW(weft::channel<big>(std::numeric_limits<std::size_t>::max() / 32), std::bad_alloc);
    weft::channel<int> ch(4);
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(ch.try_send(i));
    EXPECT_FALSE(ch.try_send(99));
    EXPECT_EQ(ch.size(), 4u);
    auto f = rt->spawn([ch]() mutable {  // waits for room: the fifth value goes in after a receive
        ch.send(4);
        ch.send(5);
    });
    for (int i = 0; i < 6; ++i) EXPECT_EQ(ch.recv(), i);
    f.get();
    EXPECT_FALSE(ch.try_recv().has_value());
}

TEST_P(Channel, MovedFromHandleIsAnErrorNotACrash) {
    weft::channel<int> a(1);
    weft::channel<int> b(std::move(a));
    EXPECT_THROW(a.send(1), std::logic_error);
    EXPECT_THROW(a.try_send(1), std::logic_error);
    EXPECT_THROW(a.send_for(1, std::chrono::milliseconds(1)), std::logic_error);
    EXPECT_THROW(a.recv(), std::logic_error);
    EXPECT_THROW(a.try_recv(), std::logic_error);
    EXPECT_THROW(a.recv_for(std::chrono::milliseconds(1)), std::logic_error);
    EXPECT_THROW(for (int v : a) (void)v, std::logic_error);
    EXPECT_TRUE(a.closed());
    EXPECT_EQ(a.size(), 0u);
    a.close();
    EXPECT_TRUE(b.try_send(7));  // the channel itself is untouched
    a = b;                       // and the handle is usable again once assigned
    EXPECT_EQ(a.recv(), 7);
}

TEST_P(Channel, UnboundedNeverWaitsAndKeepsOrder) {
    weft::channel<std::string> ch(weft::channel_unbounded);
    const int n = scaled(20000, 1000);
    for (int i = 0; i < n; ++i) ASSERT_TRUE(ch.try_send(std::to_string(i)));
    EXPECT_EQ(ch.size(), static_cast<std::size_t>(n));
    auto f = rt->spawn([ch]() mutable {
        int expect = 0;
        while (auto v = ch.try_recv()) EXPECT_EQ(*v, std::to_string(expect++));
        return expect;
    });
    EXPECT_EQ(f.get(), n);
}

TEST_P(Channel, MoveOnlyValuesAndIterationUntilClosed) {
    weft::channel<std::unique_ptr<int>> ch(2);
    const int n = scaled(5000, 500);
    auto producer = rt->spawn([ch, n]() mutable {
        for (int i = 0; i < n; ++i) ch.send(std::make_unique<int>(i));
        ch.close();
    });
    auto consumer = rt->spawn([ch]() mutable {
        long sum = 0;
        int expect = 0;
        for (auto v : ch) {
            EXPECT_EQ(*v, expect++);
            sum += *v;
        }
        return sum;
    });
    producer.get();
    EXPECT_EQ(consumer.get(), static_cast<long>(n) * (n - 1) / 2);
    EXPECT_THROW(ch.send(std::make_unique<int>(0)), weft::channel_closed);
}

// Receivers blocked on an empty channel and senders blocked on a full one, tasks and threads: a
// close wakes every one of them; the buffered values are drained, none lost, none twice.
TEST_P(Channel, CloseWakesEveryWaiterAndLosesNothing) {
    for (int round = 0; round < scaled(20, 4); ++round) {
        weft::channel<int> empty(1);
        const int receivers = 8;
        std::atomic<int> woke_empty{0};
        std::vector<weft::future<void>> tasks;
        std::vector<std::thread> threads;
        for (int i = 0; i < receivers; ++i) {
            auto body = [empty, &woke_empty]() mutable {
                EXPECT_FALSE(empty.recv().has_value());
                woke_empty.fetch_add(1);
            };
            if (i % 2) tasks.push_back(rt->spawn(body)); else threads.emplace_back(body);
        }
        weft::channel<int> full(2);
        full.send(-1);
        full.send(-2);
        const int senders = 8;
        std::atomic<int> refused{0};
        std::atomic<int> accepted{0};
        for (int i = 0; i < senders; ++i) {
            auto body = [full, i, &refused, &accepted]() mutable {
                try {
                    full.send(i);
                    accepted.fetch_add(1);
                } catch (const weft::channel_closed &) {
                    refused.fetch_add(1);
                }
            };
            if (i % 2) tasks.push_back(rt->spawn(body)); else threads.emplace_back(body);
        }
        std::this_thread::yield();
        empty.close();
        full.close();
        for (auto &t : tasks) t.get();
        for (auto &t : threads) t.join();
        EXPECT_EQ(woke_empty.load(), receivers);
        EXPECT_EQ(refused.load() + accepted.load(), senders);
        std::vector<int> drained;
        while (auto v = full.recv()) drained.push_back(*v);
        EXPECT_EQ(drained.size(), 2u) << "the two buffered values are drained, and only they";
        EXPECT_EQ(accepted.load(), 0) << "the buffer was full until the close: no send could complete";
    }
}

TEST_P(Channel, TimeoutsReportAndLeaveNothingBehind) {
    weft::channel<int> ch(0);
    auto f = rt->spawn([ch]() mutable {
        EXPECT_FALSE(ch.recv_for(5ms).has_value());
        EXPECT_FALSE(ch.send_for(1, 5ms));
        return ch.size();
    });
    EXPECT_EQ(f.get(), 0u);
    EXPECT_FALSE(ch.try_recv().has_value()) << "a timed-out send must not leave its value behind";
    EXPECT_FALSE(ch.try_send(2)) << "a timed-out receive must not stay linked as a receiver";
}

TEST_P(Channel, PartiesOutsideTheRuntime) {
    weft::channel<int> to_task(0);
    weft::channel<int> to_thread(0);
    const int n = scaled(2000, 200);
    auto echo = rt->spawn([to_task, to_thread]() mutable {
        for (auto v : to_task) to_thread.send(v * 2);
        to_thread.close();
    });
    std::thread producer([to_task, n]() mutable {
        for (int i = 0; i < n; ++i) to_task.send(i);
        to_task.close();
    });
    long sum = 0;
    int count = 0;
    while (auto v = to_thread.recv()) {
        sum += *v;
        ++count;
    }
    producer.join();
    echo.get();
    EXPECT_EQ(count, n);
    EXPECT_EQ(sum, static_cast<long>(n) * (n - 1));
    // And with no runtime at all: two plain threads over a rendezvous channel.
    weft::channel<int> plain(0);
    std::thread t([plain]() mutable { plain.send(42); });
    EXPECT_EQ(plain.recv(), 42);
    t.join();
}

// Exactly once under a random mix: producers (tasks and threads) send every value of their range
// by send, try_send, send_for or a select over two channels; consumers take by recv, try_recv,
// recv_for or select with a timeout; the channels are closed once every producer is done. Every
// value must be received exactly once. Consumer 0 (a thread) only ever selects over both
// channels without a timeout, so some receiver always matches a blocked sender whichever channel
// it chose (with only single-channel receives, all consumers on a and all producers on b would
// deadlock by design).
TEST_P(Channel, ExactlyOnceUnderARandomMix) {
    const int producers = 6;
    const int per_producer = scaled(4000, 300);
    const int total = producers * per_producer;
    std::vector<std::atomic<int>> seen(static_cast<std::size_t>(total));
    const std::size_t capacities[] = {0, 1, 3, weft::channel_unbounded};
    for (std::size_t cap : capacities) {
        for (auto &s : seen) s.store(0);
        weft::channel<int> a(cap);
        weft::channel<int> b(cap == weft::channel_unbounded ? 0 : cap + 1);
        auto produce = [&, a, b](int id) mutable {
            weft_test::xorshift rng(static_cast<std::uint64_t>(id) + 1 + cap);
            for (int k = 0; k < per_producer; ++k) {
                int v = id * per_producer + k;
                weft::channel<int> &ch = rng.below(2) ? a : b;
                switch (rng.below(4)) {
                    case 0: ch.send(v); break;
                    case 1: while (!ch.try_send(v)) weft::sleep_for(50us); break;
                    case 2: while (!ch.send_for(v, 1ms)) {} break;
                    default: {
                        weft::send_case<int> sa(a, v), sb(b, v);
                        while (!weft::select_for(1ms, sa, sb)) {}
                        EXPECT_FALSE(sa.closed() || sb.closed());
                    }
                }
            }
        };
        auto consume = [&, a, b](int id) mutable {
            weft_test::xorshift rng(static_cast<std::uint64_t>(id) + 100 + cap);
            weft::channel<int> ca = a, cb = b;  // moved-from once closed: a case that never fires
            auto take = [&](int v) { ASSERT_EQ(seen[static_cast<std::size_t>(v)].fetch_add(1), 0) << v; };
            while (ca.native_handle() || cb.native_handle()) {
                const unsigned how = rng.below(4);
                if (id == 0 || how == 3 || !ca.native_handle() || !cb.native_handle()) {
                    weft::recv_case<int> ra(ca), rb(cb);
                    if (id == 0) {
                        weft::select(ra, rb);
                    } else if (!weft::select_for(1ms, ra, rb)) {
                        continue;
                    }
                    if (ra.fired() && ra.value) take(*ra.value);
                    if (rb.fired() && rb.value) take(*rb.value);
                    if (ra.closed()) drop(ca);
                    if (rb.closed()) drop(cb);
                    continue;
                }
                weft::channel<int> &ch = rng.below(2) ? ca : cb;
                std::optional<int> v;
                if (how == 0) {
                    v = ch.recv();
                    if (!v) drop(ch);
                } else if (how == 1) {
                    v = ch.try_recv();
                    if (!v && ch.closed() && !(v = ch.try_recv())) drop(ch);
                } else {
                    v = ch.recv_for(1ms);
                    if (!v && ch.closed() && !(v = ch.try_recv())) drop(ch);
                }
                if (v) take(*v);
            }
        };
        std::vector<weft::future<void>> tasks;
        std::vector<std::thread> threads;
        for (int p = 0; p < producers; ++p) {
            if (p == 0) threads.emplace_back(produce, p); else tasks.push_back(rt->spawn(produce, p));
        }
        std::vector<weft::future<void>> consumers;
        std::vector<std::thread> consumer_threads;
        for (int c = 0; c < 5; ++c) {
            if (c == 0) consumer_threads.emplace_back(consume, c); else consumers.push_back(rt->spawn(consume, c));
        }
        for (auto &t : tasks) t.get();
        for (auto &t : threads) t.join();
        a.close();
        b.close();
        for (auto &c : consumers) c.get();
        for (auto &t : consumer_threads) t.join();
        int missing = 0;
        for (auto &s : seen) missing += s.load() == 0;
        EXPECT_EQ(missing, 0) << "values lost at capacity " << cap;
    }
}

INSTANTIATE_TEST_SUITE_P(Workers, Channel, ::testing::Values(1u, 2u, 4u),
                         [](const auto &info) { return std::to_string(info.param) + "workers"; });

}  // namespace
