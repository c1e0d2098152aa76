// The randomized stress mix with exactly-once accounting, shared by the ctest stress and the soak driver.
//
// Every task gets an id from a ledger and increments ran[id] when it runs. A task that returns a
// value returns an `outcome` (or throws a `tracked_error`) that counts produced[id] when made and
// destroyed[id] when the last live copy dies. At the end every issued id must have ran == 1 and
// destroyed == produced <= 1; a task cancelled before it started counts as run once its future
// reports the cancellation. The tree under each root is drawn from a seeded generator: awaited
// children, dropped futures, detached tasks, task groups, exceptions, cancellation, when_all,
// when_any, timed waits and the C ABI; roots come from several outside threads into one shared
// runtime, from threads spawning into the default runtime, and from threads that create and
// destroy runtimes of their own while the others run.
#pragma once

#include "common.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace rel {

struct mix_params {
    std::uint64_t tasks = 100000;
    std::uint64_t seed = 1;
    unsigned workers = 2;          // of the shared runtime
    unsigned outside_threads = 3;  // spawn roots into the shared runtime
    unsigned default_threads = 1;  // spawn roots into the default runtime
    unsigned churn_threads = 1;    // create and destroy runtimes of their own
    unsigned max_depth = 10;
    // Replaces task groups and when_all/when_any (waits with nothing to claim) by awaited futures:
    // WEFT_STRESS_NO_GROUP_WAITS=1, to soak the rest while such waits can strand a task.
    bool no_group_waits = env_u64("WEFT_STRESS_NO_GROUP_WAITS", 0) != 0;
};

struct mix_report {
    std::uint64_t tasks = 0;             // ids issued and checked
    std::uint64_t failures = 0;          // ids (or events) that broke the accounting
    std::string first_failure;
    std::uint64_t runtimes_created = 0;  // by the churn threads
    std::uint64_t handled_exceptions = 0;
    double seconds = 0;
};

class ledger {
public:
    explicit ledger(std::uint64_t n)
        : m_limit(n),
          ran(new std::atomic<std::uint32_t>[n]()),
          produced(new std::atomic<std::uint32_t>[n]()),
          destroyed(new std::atomic<std::uint32_t>[n]()) {}

    bool take(std::uint64_t &id) noexcept {
        id = m_next.fetch_add(1, std::memory_order_relaxed);
        return id < m_limit;
    }
    bool exhausted() const noexcept { return m_next.load(std::memory_order_relaxed) >= m_limit; }
    // Roots into long-lived runtimes stop here, leaving the rest of the budget to the churn threads.
    bool past_reserve() const noexcept { return m_next.load(std::memory_order_relaxed) >= m_limit - m_limit / 5; }
    std::uint64_t issued() const noexcept { return std::min(m_next.load(), m_limit); }

    void fail(const std::string &what) {
        std::lock_guard lock(m_mutex);
        if (m_failures++ == 0) m_first_failure = what;
    }
    std::uint64_t failures() const {
        std::lock_guard lock(m_mutex);
        return m_failures;
    }
    std::string first_failure() const {
        std::lock_guard lock(m_mutex);
        return m_first_failure;
    }

private:
    const std::uint64_t m_limit;
    std::atomic<std::uint64_t> m_next{0};
    mutable std::mutex m_mutex;
    std::uint64_t m_failures = 0;
    std::string m_first_failure;

public:
    std::unique_ptr<std::atomic<std::uint32_t>[]> ran, produced, destroyed;
};

// A task's value: counted when made, and when its last live instance is destroyed.
struct outcome {
    ledger *l;
    std::uint64_t id;
    bool live;
    outcome(ledger *lg, std::uint64_t i) : l(lg), id(i), live(true) { l->produced[id].fetch_add(1, std::memory_order_relaxed); }
    outcome(outcome &&o) noexcept : l(o.l), id(o.id), live(std::exchange(o.live, false)) {}
    outcome(const outcome &) = delete;
    outcome &operator=(const outcome &) = delete;
    outcome &operator=(outcome &&) = delete;
    ~outcome() {
        if (live) l->destroyed[id].fetch_add(1, std::memory_order_relaxed);
    }
};

// A task's exception: counted the same way (exception_ptr never copies it in libstdc++).
struct tracked_error : std::exception {
    ledger *l;
    std::uint64_t id;
    bool live;
    tracked_error(ledger *lg, std::uint64_t i) : l(lg), id(i), live(true) { l->produced[id].fetch_add(1, std::memory_order_relaxed); }
    tracked_error(tracked_error &&o) noexcept : l(o.l), id(o.id), live(std::exchange(o.live, false)) {}
    tracked_error(const tracked_error &o) = delete;
    ~tracked_error() override {
        if (live) l->destroyed[id].fetch_add(1, std::memory_order_relaxed);
    }
    const char *what() const noexcept override { return "tracked_error"; }
};

class mixer {
public:
    mixer(ledger &l, const mix_params &p) : m_l(l), m_p(p) {}

    // The task body: counts its run, spawns its children, returns or throws.
    outcome body(std::uint64_t id, unsigned depth) {
        m_l.ran[id].fetch_add(1, std::memory_order_relaxed);
        rng r(m_p.seed ^ splitmix(id));
        unsigned kids = depth < m_p.max_depth ? r.below(depth < 2 ? 5 : 3) : 0;
        if (weft::this_task_cancelled()) kids = 0;
        for (unsigned k = 0; k < kids; ++k) child(r, depth + 1);
        if (r.below(20) == 0) throw tracked_error(&m_l, id);
        return outcome(&m_l, id);
    }

    // One child of a running task, spawned on the task's own runtime.
    void child(rng &r, unsigned depth) {
        std::uint64_t id;
        if (!m_l.take(id)) return;
        auto task = [this, id, depth] { return body(id, depth); };
        std::uint32_t what = r.below(11);
        if (m_p.no_group_waits && (what == 4 || what == 6 || what == 7)) what = 0;
        switch (what) {
        case 0:
        case 1: {  // spawn and await
            auto f = weft::spawn(task);
            consume(f, id);
            break;
        }
        case 2: {  // dropped future, maybe before the task ran
            auto f = weft::spawn(task);
            break;
        }
        case 3:  // detached: the outcome dies in the task, an exception goes to the handler
            weft::spawn_detached([this, id, depth] { (void)body(id, depth); });
            break;
        case 4: {  // task group of up to three, exceptions included
            weft::task_group g;
            g.spawn([this, id, depth] { (void)body(id, depth); });
            std::uint64_t more;
            for (int i = 0; i < 2 && m_l.take(more); ++i) g.spawn([this, more, depth] { (void)body(more, depth); });
            try {
                g.wait();
            } catch (const tracked_error &) {
            }
            break;
        }
        case 5: {  // cancelled, then awaited
            auto f = weft::spawn(task);
            f.cancel();
            consume(f, id);
            break;
        }
        case 6:
        case 7: {  // when_all or when_any over up to three
            std::vector<weft::future<outcome>> fs;
            std::vector<std::uint64_t> ids{id};
            fs.push_back(weft::spawn(task));
            std::uint64_t more;
            for (int i = 0; i < 2 && m_l.take(more); ++i) {
                ids.push_back(more);
                fs.push_back(weft::spawn([this, more, depth] { return body(more, depth); }));
            }
            if (r.below(2) == 0) {
                auto all = weft::when_all(fs);
                all.get();
                for (std::size_t i = 0; i < fs.size(); ++i) {
                    if (!fs[i].ready()) m_l.fail("when_all resolved before input " + std::to_string(ids[i]));
                    consume(fs[i], ids[i]);
                }
            } else {
                auto any = weft::when_any(fs);
                const std::size_t i = any.get();
                if (i >= fs.size() || !fs[i].ready()) {
                    m_l.fail("when_any gave an input that is not ready");
                } else {
                    consume(fs[i], ids[i]);
                }
                // The others are dropped, maybe still running.
            }
            break;
        }
        case 8: {  // the C ABI, inside a task: spawns on the task's runtime
            auto *a = new c_arg{this, id, depth};
            weft_future *f = weft_spawn(&c_body, a);
            if (!f) {
                m_l.fail("weft_spawn returned NULL inside a task");
                delete a;
                break;
            }
            if (r.below(2) == 0) {
                if (weft_await(f) != a) m_l.fail("weft_await returned another pointer");
            } else {
                weft_future *g = weft_future_then(f, &c_then);
                if (!g || weft_await(g) != a) m_l.fail("weft_future_then lost the value");
            }
            delete a;
            break;
        }
        default: {  // a short timed wait, then awaited or dropped
            auto f = weft::spawn(task);
            if (f.wait_for(std::chrono::microseconds(r.below(50)))) consume(f, id);
            break;
        }
        }
    }

    // Roots from a thread outside `rt` (or into the default runtime when rt is null).
    void root_loop(weft::runtime *rt, std::uint64_t seed, bool churning, std::uint64_t max_roots = ~std::uint64_t{0}) {
        rng r(seed);
        std::vector<std::pair<weft::future<outcome>, std::uint64_t>> window;
        std::uint64_t id;
        for (std::uint64_t n = 0; n < max_roots && (churning || !m_l.past_reserve()) && m_l.take(id); ++n) {
            auto task = [this, id] { return body(id, 0); };
            const std::uint32_t how = r.below(8);
            if (how == 0) {
                if (rt) {
                    rt->spawn_detached([this, id] { (void)body(id, 0); });
                } else {
                    weft::spawn_detached([this, id] { (void)body(id, 0); });
                }
            } else if (how == 1) {
                auto f = rt ? rt->spawn(task) : weft::spawn(task);  // dropped at once
            } else if (how == 2 && !rt) {
                auto *a = new c_arg{this, id, 0};
                weft_future *f = weft_spawn(&c_body, a);
                if (!f) {
                    m_l.fail("weft_spawn returned NULL outside");
                    delete a;
                } else if (weft_await(f) != a) {
                    m_l.fail("weft_await returned another pointer (outside)");
                }
                delete a;
            } else {
                window.emplace_back(rt ? rt->spawn(task) : weft::spawn(task), id);
                if (window.size() >= 32) drain(window, r);
            }
        }
        drain(window, r);
    }

    // A thread that makes runtimes, runs roots in them and destroys them, until the budget is gone.
    void churn_loop(std::uint64_t seed, std::atomic<std::uint64_t> &created) {
        rng r(seed);
        while (!m_l.exhausted()) {
            weft::runtime own(weft::options{1 + r.below(2), 0, 0});
            created.fetch_add(1, std::memory_order_relaxed);
            root_loop(&own, r.next(), true, 1 + r.below(40));
            // Sometimes wait, sometimes let the destructor drain what is still queued.
            if (r.below(2)) own.wait_idle();
        }
    }

    void consume(weft::future<outcome> &f, std::uint64_t id) {
        try {
            outcome o = f.get();
            if (o.id != id) m_l.fail("future of " + std::to_string(id) + " returned " + std::to_string(o.id));
        } catch (const tracked_error &e) {
            if (e.id != id) m_l.fail("future of " + std::to_string(id) + " threw for " + std::to_string(e.id));
        } catch (const weft::task_cancelled &) {
            // Cancelled before it started: it never ran, and that is its one outcome (the body
            // itself never waits interruptibly, so a task that ran cannot end this way).
            if (m_l.ran[id].load(std::memory_order_relaxed) != 0)
                m_l.fail("task " + std::to_string(id) + " ran but its future reports it cancelled");
            m_l.ran[id].store(1, std::memory_order_relaxed);
        }
    }

private:
    struct c_arg {
        mixer *m;
        std::uint64_t id;
        unsigned depth;
    };
    static void *c_body(void *p) {
        auto *a = static_cast<c_arg *>(p);
        a->m->m_l.ran[a->id].fetch_add(1, std::memory_order_relaxed);
        return p;
    }
    static void *c_then(void *p) { return p; }

    void drain(std::vector<std::pair<weft::future<outcome>, std::uint64_t>> &window, rng &r) {
        for (auto &[f, id] : window) {
            if (r.below(4) != 0) consume(f, id);  // else dropped, maybe unfinished
        }
        window.clear();
    }

    ledger &m_l;
    const mix_params &m_p;
};

// Runs one mix to completion and checks the ledger.
inline mix_report run_mix(const mix_params &p) {
    const auto t0 = std::chrono::steady_clock::now();
    ledger l(p.tasks);
    mixer m(l, p);
    static std::atomic<std::uint64_t> handled{0};
    const std::uint64_t handled_before = handled.load();
    weft::set_exception_handler([](std::exception_ptr) { handled.fetch_add(1, std::memory_order_relaxed); });
    std::atomic<std::uint64_t> created{0};
    std::uint64_t spawned = 0, executed = 0;
    {
        weft::runtime rt(weft::options{p.workers, 0, 0});
        std::vector<std::thread> threads;
        for (unsigned i = 0; i < p.outside_threads; ++i)
            threads.emplace_back([&, i] { m.root_loop(&rt, p.seed + 101 * (i + 1), p.churn_threads == 0); });
        for (unsigned i = 0; i < p.default_threads; ++i)
            threads.emplace_back([&, i] { m.root_loop(nullptr, p.seed + 211 * (i + 1), p.churn_threads == 0); });
        for (unsigned i = 0; i < p.churn_threads; ++i)
            threads.emplace_back([&, i] { m.churn_loop(p.seed + 307 * (i + 1), created); });
        m.root_loop(&rt, p.seed, p.churn_threads == 0);
        for (auto &t : threads) t.join();
        rt.wait_idle();
        weft_wait_all();
        const weft::stats s = rt.stats();
        spawned = s.spawned;
        executed = s.executed;
    }
    mix_report rep;
    if (spawned != executed)
        l.fail("shared runtime idle with spawned " + std::to_string(spawned) + " != executed " + std::to_string(executed));
    rep.tasks = l.issued();
    for (std::uint64_t id = 0; id < rep.tasks; ++id) {
        const std::uint32_t ran = l.ran[id].load(), made = l.produced[id].load(), gone = l.destroyed[id].load();
        if (ran != 1 || made > 1 || gone != made)
            l.fail("task " + std::to_string(id) + ": ran " + std::to_string(ran) + ", results made " +
                   std::to_string(made) + ", destroyed " + std::to_string(gone));
    }
    rep.failures = l.failures();
    rep.first_failure = l.first_failure();
    rep.runtimes_created = created.load();
    rep.handled_exceptions = handled.load() - handled_before;
    rep.seconds = seconds_since(t0);
    return rep;
}

}  // namespace rel
