// Install test: a C++ program that calls every compiled entry point of weft.hpp, so that linking
// it against a shared libweft fails if one of them is not exported.
#include <weft/weft.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <vector>

namespace {
int failures = 0;
void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("failed: %s\n", what);
        ++failures;
    }
}
}  // namespace

int main() {
    {
        weft::runtime rt(weft::options{.workers = 2});
        check(rt.workers() == 2, "runtime::workers");
        auto f = rt.spawn([] { return weft::spawn([] { return 20; }).get() + 22; });
        check(f.wait_for(std::chrono::seconds(60)), "future::wait_for");
        check(f.get() == 42, "nested spawn");

        std::vector<weft::future<int>> v;
        for (int i = 0; i < 4; ++i) v.push_back(rt.spawn([i] { return i; }));
        weft::when_all(v).get();
        check(weft::when_any(v).get() < v.size(), "when_any");
        check(v[3].get() == 3, "when_all keeps results");

        std::atomic<int> ran{0};
        weft::task_group g(rt);
        for (int i = 0; i < 8; ++i) g.spawn([&ran] { ran.fetch_add(1); });
        g.wait();
        check(ran.load() == 8, "task_group");

        static std::atomic<int> handled{0};
        weft::set_exception_handler([](std::exception_ptr) { handled.fetch_add(1); });
        rt.spawn_detached([] { throw std::runtime_error("detached"); });
        rt.wait_idle();
        weft::set_exception_handler(nullptr);
        check(handled.load() == 1, "set_exception_handler");

        auto c = rt.spawn([] { return weft::this_task_cancelled(); });
        check(!c.get(), "this_task_cancelled");
        // A future is ready before its worker counts the task as executed: wait for quiescence.
        rt.wait_idle();
        const weft::stats s = rt.stats();
        check(s.spawned == s.executed, "runtime::stats");

        weft::promise<int> p;
        auto pf = p.get_future();
        auto waiter = rt.spawn([&pf] { return pf.get(); });
        p.set_value(7);
        check(waiter.get() == 7, "promise");

        weft::mutex m;
        weft::counting_semaphore sem(0);
        auto locker = rt.spawn([&] {
            std::lock_guard lock(m);
            sem.release();
        });
        check(sem.try_acquire_for(std::chrono::seconds(60)), "counting_semaphore");
        locker.get();
        check(m.try_lock(), "mutex");
        m.unlock();

        check(rt.spawn_blocking([] { return 5; }).get() == 5, "spawn_blocking");

        weft::channel<int> ch(1);
        auto producer = rt.spawn([ch]() mutable {
            weft::sleep_for(std::chrono::milliseconds(1));
            ch.send(9);
            ch.close();
        });
        check(ch.recv() == std::optional<int>(9), "channel");
        producer.get();
    }
    weft::spawn_detached([] {});
    weft::wait_idle();
    weft_shutdown();
    if (failures) return 1;
    std::printf("weft C++ consumer ok\n");
    return 0;
}
