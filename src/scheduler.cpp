// The runtime's life: starting and stopping workers, accepting spawns, draining, counting.
//
// Protocol "Drain on stop". stop() first refuses new spawns from threads outside the runtime
// (m_accepting, read by outside spawners after their seq_cst count increment: a spawn that got
// past the check is counted, so the drain waits for it), then waits until the runtime is
// quiescent: every task spawned has completed. Tasks may keep spawning while the drain runs:
// spawns from inside a task are always accepted, so "every task already spawned, and all they
// spawn" runs. Only then are the workers told to exit and joined, and stop() waits for every
// accepted outside spawn to finish its wake-up call (m_outside_submitted), since that call reads
// the workers and the idle coordinator that a restart replaces.
// Quiescence: each worker counts the tasks it spawned and executed; outside threads share two
// counters. Reading every `executed` (acquire) before every `spawned` makes spawned >= executed
// hold for the snapshot, and equality means no task was pending at the moment of the reads.
#include "scheduler.hpp"

#include "cell_pool.hpp"
#include "parking_lot.hpp"

#include <weft/weft.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sched.h>
#include <system_error>
#include <thread>

namespace weft::detail {

constinit thread_local thread_context t_context;

namespace {
// At most this many runtimes exist at once (the id is 16 bits in every cell).
constexpr std::size_t k_max_runtimes = 4096;
std::mutex g_registry_mutex;
atomic<scheduler *> g_registry[k_max_runtimes];
std::vector<std::uint16_t> g_free_ids;  // guarded by g_registry_mutex
std::uint16_t g_next_id = 0;            // guarded by g_registry_mutex

std::uint16_t register_scheduler(scheduler *s) {
    std::lock_guard lock(g_registry_mutex);
    std::uint16_t id;
    if (!g_free_ids.empty()) {
        id = g_free_ids.back();
        g_free_ids.pop_back();
    } else {
        if (g_next_id == k_max_runtimes) throw std::system_error(EAGAIN, std::generic_category(), "weft: too many runtimes");
        id = g_next_id++;
    }
    g_registry[id].store(s, std::memory_order_release);
    return id;
}

void unregister_scheduler(std::uint16_t id) {
    std::lock_guard lock(g_registry_mutex);
    g_registry[id].store(nullptr, std::memory_order_release);
    g_free_ids.push_back(id);
}

std::uint32_t configured_workers(std::uint32_t requested) {
    if (requested) return requested;
    if (const char *env = std::getenv("WEFT_WORKERS")) {
        const long v = std::strtol(env, nullptr, 10);
        if (v > 0 && v <= 4096) return static_cast<std::uint32_t>(v);
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw ? hw : 1;
}

struct worker_start {
    scheduler *sched;
    worker *w;
};

void *worker_entry(void *arg) {
    auto *start = static_cast<worker_start *>(arg);
    scheduler *sched = start->sched;
    worker *w = start->w;
    delete start;
    const std::string name = "weft-worker-" + std::to_string(w->index);
    pthread_setname_np(pthread_self(), name.c_str());
    sched->worker_main(*w);
    return nullptr;
}
}  // namespace

scheduler *scheduler::from_id(std::uint16_t id) noexcept { return g_registry[id].load(std::memory_order_acquire); }

scheduler::scheduler() : m_id(register_scheduler(this)) {}

scheduler::~scheduler() {
    stop();
    unregister_scheduler(m_id);
}

void scheduler::start(const scheduler_config &config) {
    std::lock_guard lock(m_lifecycle);
    if (m_running.load(std::memory_order_relaxed)) throw std::system_error(EBUSY, std::generic_category(), "weft: already running");
    const std::uint32_t n = configured_workers(config.workers);
    std::uint32_t capacity = config.queue_capacity ? config.queue_capacity : k_default_queue_capacity;
    if (capacity < 2 || capacity > k_max_queue_capacity || (capacity & (capacity - 1)))
        capacity = k_default_queue_capacity;
    const std::size_t stack = config.stack_size ? config.stack_size : k_default_stack_size;

    m_workers.clear();
    for (std::uint32_t i = 0; i < n; ++i) {
        m_workers.push_back(std::make_unique<worker>(*this, i, capacity));
        m_workers.back()->rng = 0x9E3779B97F4A7C15ull * (i + 1) + m_id;
    }
    m_idle = std::make_unique<idle_coordinator>(n);
    m_shutdown.store(false, std::memory_order_relaxed);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack);
    std::uint32_t started = 0;
    int error = 0;
    for (; started < n; ++started) {
        auto *arg = new worker_start{this, m_workers[started].get()};
        error = pthread_create(&m_workers[started]->thread, &attr, &worker_entry, arg);
        if (error) {
            delete arg;
            break;
        }
    }
    pthread_attr_destroy(&attr);
    if (error) {
        // Stop the workers that did start; they find no work and exit.
        m_shutdown.store(true, std::memory_order_seq_cst);
        for (std::uint32_t w : m_idle->take_all_parked()) m_workers[w]->park.unpark();
        for (std::uint32_t i = 0; i < started; ++i) m_workers[i]->park.unpark();
        for (std::uint32_t i = 0; i < started; ++i) pthread_join(m_workers[i]->thread, nullptr);
        m_workers.clear();
        throw std::system_error(error, std::generic_category(), "weft: cannot start worker threads");
    }
    m_running.store(true, std::memory_order_release);
    m_accepting.store(true, std::memory_order_seq_cst);
}

void scheduler::stop() {
    std::lock_guard lock(m_lifecycle);
    if (!m_running.load(std::memory_order_relaxed)) return;
    m_accepting.store(false, std::memory_order_seq_cst);
    wait_idle();
    m_shutdown.store(true, std::memory_order_seq_cst);
    for (std::uint32_t w : m_idle->take_all_parked()) m_workers[w]->park.unpark();
    for (auto &w : m_workers) w->park.unpark();
    for (auto &w : m_workers) pthread_join(w->thread, nullptr);
    // A spawn from outside may still be between its push and its wake-up call (its task already
    // ran, so the drain did not wait for it): wait until every accepted outside spawn is done.
    while (m_outside_submitted.load(std::memory_order_acquire) != m_outside_spawned.load(std::memory_order_acquire))
        sched_yield();
    // Fold the workers' counters into the retired totals. The outside counters are never reset:
    // a spawn refused while closing undoes its increment later, and must not undo a reset.
    for (const auto &w : m_workers) w->counters.add_to(m_retired_counters);
    m_workers.clear();
    m_running.store(false, std::memory_order_release);
}

void scheduler::submit(task_cell *cell) {
    if (!try_submit(cell, true)) throw runtime_closed();
}

void scheduler::submit_internal(task_cell *cell) noexcept { try_submit(cell, false); }

bool scheduler::try_submit(task_cell *cell, bool refuse_when_closing) noexcept {
    thread_context &ctx = t_context;
    if (ctx.self && &ctx.self->sched == this) {
        bump(ctx.self->counters.spawned);
        push_from_worker(*ctx.self, cell);
        return true;
    }
    // seq_cst: pairs with stop()'s seq_cst store of m_accepting (see "Drain on stop").
    m_outside_spawned.fetch_add(1, std::memory_order_seq_cst);
    if (refuse_when_closing && !m_accepting.load(std::memory_order_seq_cst) && ctx.sched != this) {
        m_outside_spawned.fetch_sub(1, std::memory_order_seq_cst);
        return false;
    }
    push_from_outside(cell);
    return true;
}

void scheduler::push_from_outside(task_cell *cell) noexcept {
    m_injector.push(cell);
    // The injector's push is a seq_cst exchange: the spawner's half of "Searching and parking".
    if (m_idle->should_notify(std::memory_order_seq_cst)) notify_one_parked();
    // The last touch of the scheduler by this spawn: stop() waits for it (release pairs with
    // its acquire) before it frees the workers and the idle coordinator.
    m_outside_submitted.fetch_add(1, std::memory_order_release);
}

void scheduler::push_from_worker(worker &w, task_cell *cell) noexcept {
    if (!w.queue.push(cell)) {
        // Full: move the older half and this task to the injector in one chain.
        task_cell *batch[k_max_queue_capacity / 2];
        const std::uint32_t n = w.queue.take_older_half(batch);
        for (std::uint32_t i = 0; i + 1 < n; ++i) batch[i]->next.store(batch[i + 1], std::memory_order_relaxed);
        if (n) {
            batch[n - 1]->next.store(cell, std::memory_order_relaxed);
            m_injector.push_chain(batch[0], cell);
        } else {
            m_injector.push(cell);
        }
        if (m_idle->should_notify(std::memory_order_seq_cst)) notify_one_parked();
        return;
    }
    // The fence makes the push and the idle-state load a seq_cst pair with the last searcher's
    // park-then-recheck. Without it a wake-up can be lost, and that is not only parallelism: if the
    // task this worker runs next blocks its thread (a latch, a system call), the task just pushed
    // waits for a worker that nobody woke (the chaos build found exactly that).
    fence(std::memory_order_seq_cst);
    if (m_idle->should_notify(std::memory_order_relaxed)) notify_one_parked();
}

void scheduler::notify_one_parked() noexcept {
    const std::uint32_t w = m_idle->worker_to_notify();
    if (w == idle_coordinator::k_none) return;
    m_workers[w]->park.unpark();
}

bool scheduler::quiescent(std::uint64_t running_here) const noexcept {
    // m_retired_counters only changes under m_lifecycle while no task runs.
    std::uint64_t executed = m_retired_counters[1] + m_outside_executed.load(std::memory_order_acquire);
    for (const auto &w : m_workers) executed += w->counters.executed.load(std::memory_order_acquire);
    std::uint64_t spawned = m_retired_counters[0] + m_outside_spawned.load(std::memory_order_acquire);
    for (const auto &w : m_workers) spawned += w->counters.spawned.load(std::memory_order_acquire);
    return spawned - executed <= running_here;
}

// Protocol "Idle waiters": a thread in wait_idle counts itself in m_idle_waiters (seq_cst) before
// it first checks quiescence, and sleeps subscribed to the parking-lot key &m_idle_waiters. A
// worker about to park issues a seq_cst fence after its counter stores and, seeing a waiter,
// fires that key: the last worker to go idle after the last task wakes every waiter. Inside a task
// wait_idle suspends like any wait; the tasks on the waiter's stack (it and those it runs inline)
// cannot finish while it waits, so it adds them to m_idle_blocked, and a task waits only for the
// tasks not so blocked (two tasks in wait_idle at once must not wait for each other). An outside
// thread (and stop()) waits for every task. The 2 ms deadline covers a task completed by a thread
// outside the runtime (a `then` continuation), which parks no worker.
namespace {
struct idle_wait {
    const scheduler *sched;
    bool inside;  // the waiter is a task of this runtime
};
}  // namespace

std::uint64_t scheduler::idle_allowance(bool inside) const noexcept {
    return inside ? m_idle_blocked.load(std::memory_order_seq_cst) : 0;
}

void scheduler::wait_idle() {
    const thread_context &ctx = t_context;
    const std::uint64_t mine = (ctx.sched == this) ? ctx.depth : 0;
    const idle_wait me{this, mine > 0};
    const wait_target target{
        [](const void *o) noexcept {
            auto *w = static_cast<const idle_wait *>(o);
            return w->sched->quiescent(w->sched->idle_allowance(w->inside));
        },
        [](const void *o, wait_record *r) noexcept {
            auto *w = static_cast<const idle_wait *>(o);
            return parking_lot::subscribe(&w->sched->m_idle_waiters, r, [] {},
                                          [w] { return w->sched->quiescent(w->sched->idle_allowance(w->inside)); });
        },
        nullptr, &me};
    m_idle_blocked.fetch_add(mine, std::memory_order_seq_cst);
    m_idle_waiters.fetch_add(1, std::memory_order_seq_cst);
    while (!quiescent(idle_allowance(me.inside))) wait_until(target, now_ns() + 2'000'000);
    m_idle_waiters.fetch_sub(1, std::memory_order_seq_cst);
    m_idle_blocked.fetch_sub(mine, std::memory_order_seq_cst);
}

void scheduler::notify_idle_waiters() noexcept {
    fence(std::memory_order_seq_cst);  // pairs with the waiter's seq_cst increment
    if (m_idle_waiters.load(std::memory_order_seq_cst) > 0) parking_lot::fire_all(&m_idle_waiters);
}

void scheduler::collect_stats(std::uint64_t out[5]) const noexcept {
    std::copy(m_retired_counters, m_retired_counters + 5, out);
    out[0] += m_outside_spawned.load(std::memory_order_relaxed);
    out[1] += m_outside_executed.load(std::memory_order_relaxed);
    for (const auto &w : m_workers) w->counters.add_to(out);
}

scheduler &default_scheduler_unstarted() {
    // Never destroyed: spawns racing weft_shutdown must never touch freed memory.
    static scheduler *const s = new scheduler();
    return *s;
}

scheduler &default_scheduler() {
    scheduler *const s = &default_scheduler_unstarted();
    if (!s->running()) {
        try {
            s->start({});
        } catch (const std::system_error &e) {
            if (e.code().value() != EBUSY) throw;  // another thread started it first
        }
    }
    return *s;
}

scheduler *current_or_default_scheduler() {
    scheduler *s = t_context.sched;
    return s ? s : &default_scheduler();
}

void submit(scheduler *sched, task_cell *cell) { sched->submit(cell); }
std::uint16_t scheduler_id(scheduler *sched) noexcept { return sched->id(); }

}  // namespace weft::detail
