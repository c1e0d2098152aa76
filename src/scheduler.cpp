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
//
// Protocol "Worker set ownership". The worker records and the idle coordinator of one start form
// the worker set. start() builds it completely before publishing it under m_set_mutex, and only
// then creates the threads; stop() joins the threads, waits for the accepted outside spawns, and
// then folds the workers' counters into m_retired_counters and frees the set, again under
// m_set_mutex. Three kinds of reader, three rules: the workers read the set freely (it outlives
// them); a spawn that passed the m_accepting check reads it freely (stop waits for it); every other
// reader (stats, quiescence, worker_count, a continuation submitted after the drain) holds
// m_set_mutex for the few loads it makes, so it sees either a whole set or none. Because the fold
// and the free happen in one critical section, stats never count a worker twice or not at all, and
// never go backwards. Rejected: a reference-counted snapshot (a reader would need hazard pointers to
// take a reference safely, for a structure that changes only at start and stop), and taking
// m_lifecycle in readers (stop holds it for the whole drain, so stats would block for as long).
//
// Protocol "Own-task calls". stop() called from a task of the same runtime would wait for that task
// and join its own thread; start() from one could deadlock with a stop() that holds m_lifecycle
// while draining. Both check t_context first, before any lock: stop() throws std::logic_error
// (the C ABI sets EDEADLK), start() throws std::system_error(EDEADLK). weft::runtime's destructor
// cannot throw, so from its own task it hands the scheduler to a new thread that stops and frees
// it once the calling task has returned (runtime_api.cpp).
//
// Protocol "Fork". The process-wide locks (the runtime registry here, the cell pools' registry, the
// parking-lot buckets) are taken by pthread_atfork prepare handlers and released on both sides, so
// the child never inherits one held by a thread it does not have. The child marks every runtime
// that existed as forked (no threads, no spawns, stop without joining) and forgets the default
// runtime, whose next use creates a fresh one. Known limit: a child forked from inside a task
// continues on a copy of a worker's stack and may only exec or _exit.
#include "scheduler.hpp"

#include "cell_pool.hpp"
#include "parking_lot.hpp"

#include <weft/weft.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <limits.h>
#include <new>
#include <sched.h>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace weft::detail {

constinit thread_local thread_context t_context;

namespace {
// At most this many runtimes exist at once (the id is 16 bits in every cell).
constexpr std::size_t k_max_runtimes = 4096;
std::mutex g_registry_mutex;
atomic<scheduler *> g_registry[k_max_runtimes];
// Ids given back, a stack in a fixed array so that unregistering never allocates (it runs in a
// destructor). Both guarded by g_registry_mutex.
std::uint16_t g_free_ids[k_max_runtimes];
std::size_t g_free_count = 0;
std::uint16_t g_next_id = 0;  // guarded by g_registry_mutex

std::uint16_t register_scheduler(scheduler *s) {
    std::lock_guard lock(g_registry_mutex);
    std::uint16_t id;
    if (g_free_count > 0) {
        id = g_free_ids[--g_free_count];
    } else {
        if (g_next_id == k_max_runtimes) throw std::system_error(EAGAIN, std::generic_category(), "weft: too many runtimes");
        id = g_next_id++;
    }
    g_registry[id].store(s, std::memory_order_release);
    return id;
}

void unregister_scheduler(std::uint16_t id) noexcept {
    std::lock_guard lock(g_registry_mutex);
    g_registry[id].store(nullptr, std::memory_order_release);
    g_free_ids[g_free_count++] = id;
}

// The CPUs this process may run on (its affinity mask, as set by taskset or a container's cpuset),
// else the CPUs online.
std::uint32_t available_cpus() noexcept {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        const int n = CPU_COUNT(&set);
        if (n > 0) return static_cast<std::uint32_t>(n);
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw ? hw : 1;
}

// WEFT_WORKERS as a count in [1, k_max_workers], or 0 when unset or invalid. An invalid value is
// reported on stderr once per process, and the default is used.
std::uint32_t workers_from_environment() noexcept {
    const char *env = std::getenv("WEFT_WORKERS");
    if (!env) return 0;
    std::uint64_t v = 0;
    const char *c = env;
    for (; *c >= '0' && *c <= '9' && v <= k_max_workers; ++c) v = v * 10 + static_cast<std::uint64_t>(*c - '0');
    if (c != env && *c == 0 && v >= 1 && v <= k_max_workers) return static_cast<std::uint32_t>(v);
    static std::atomic<bool> reported{false};
    if (!reported.exchange(true, std::memory_order_relaxed))
        std::fprintf(stderr, "weft: ignoring WEFT_WORKERS=\"%s\": expected a whole number from 1 to %u\n", env,
                     static_cast<unsigned>(k_max_workers));
    return 0;
}

std::uint32_t configured_workers(std::uint32_t requested) noexcept {
    if (requested) return requested;
    if (const std::uint32_t n = workers_from_environment()) return n;
    return std::min(available_cpus(), k_max_workers);
}

void *worker_entry(void *arg) {
    worker *w = static_cast<worker *>(arg);
    char name[16];  // the kernel's limit, terminator included
    std::snprintf(name, sizeof name, "weft-worker-%u", static_cast<unsigned>(w->index));
    pthread_setname_np(pthread_self(), name);
    w->sched.worker_main(*w);
    return nullptr;
}
}  // namespace

scheduler *scheduler::from_id(std::uint16_t id) noexcept { return g_registry[id].load(std::memory_order_acquire); }

scheduler::scheduler() : m_id(register_scheduler(this)) {}

scheduler::~scheduler() {
    stop_unchecked();
    unregister_scheduler(m_id);
}

bool scheduler::inside_own_task() const noexcept {
    const thread_context &ctx = t_context;
    return ctx.sched == this || (ctx.self && &ctx.self->sched == this);
}

void scheduler::start(const scheduler_config &config) {
    // See "Own-task calls": checked before m_lifecycle, which a draining stop() holds.
    if (inside_own_task())
        throw std::system_error(EDEADLK, std::generic_category(), "weft: a runtime cannot be started from its own task");
    if (config.workers > k_max_workers) throw std::invalid_argument("weft: more workers than k_max_workers (4096)");
    if (config.stack_size != 0 && config.stack_size < static_cast<std::size_t>(PTHREAD_STACK_MIN))
        throw std::invalid_argument("weft: worker stack size below PTHREAD_STACK_MIN");
    std::lock_guard lock(m_lifecycle);
    start_locked(config);
}

void scheduler::start_locked(const scheduler_config &config) {
    if (m_running.load(std::memory_order_relaxed)) throw std::system_error(EBUSY, std::generic_category(), "weft: already running");
    const std::uint32_t n = configured_workers(config.workers);
    std::uint32_t capacity = config.queue_capacity ? config.queue_capacity : k_default_queue_capacity;
    if (capacity < 2 || capacity > k_max_queue_capacity || (capacity & (capacity - 1)))
        capacity = k_default_queue_capacity;
    const std::size_t stack = config.stack_size ? config.stack_size : k_default_stack_size;

    // Everything that allocates happens before the first thread exists.
    std::vector<std::unique_ptr<worker>> workers;
    workers.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        workers.push_back(std::make_unique<worker>(*this, i, capacity));
        workers.back()->rng = 0x9E3779B97F4A7C15ull * (i + 1) + m_id;
    }
    auto idle = std::make_unique<idle_coordinator>(n);
    pthread_attr_t attr;
    if (int e = pthread_attr_init(&attr)) throw std::system_error(e, std::generic_category(), "weft: pthread_attr_init");
    if (int e = pthread_attr_setstacksize(&attr, stack)) {
        pthread_attr_destroy(&attr);
        throw std::system_error(e, std::generic_category(), "weft: invalid worker stack size");
    }
    {
        std::lock_guard set(m_set_mutex);
        m_workers.swap(workers);
        m_idle.swap(idle);
        m_set_live = true;
    }
    m_shutdown.store(false, std::memory_order_relaxed);

    std::uint32_t started = 0;
    int error = 0;
    for (; started < n; ++started) {
        error = pthread_create(&m_workers[started]->thread, &attr, &worker_entry, m_workers[started].get());
        if (error) break;
    }
    pthread_attr_destroy(&attr);
    if (error) {
        // Stop the workers that did start; they find no work and exit.
        m_shutdown.store(true, std::memory_order_seq_cst);
        for (std::uint32_t i = 0; i < started; ++i) m_workers[i]->park.unpark();
        for (std::uint32_t i = 0; i < started; ++i) pthread_join(m_workers[i]->thread, nullptr);
        retire_worker_set();
        throw std::system_error(error, std::generic_category(), "weft: cannot start worker threads");
    }
    m_running.store(true, std::memory_order_release);
    m_accepting.store(true, std::memory_order_seq_cst);
}

void scheduler::stop() {
    if (inside_own_task()) throw std::logic_error("weft: a runtime cannot be stopped from one of its own tasks");
    stop_unchecked();
}

void scheduler::stop_unchecked() noexcept {
    std::lock_guard lock(m_lifecycle);
    if (!m_running.load(std::memory_order_relaxed)) return;
    m_accepting.store(false, std::memory_order_seq_cst);
    if (m_forked) {
        // A child after fork(): the workers do not exist here, and neither will their tasks run.
        m_running.store(false, std::memory_order_release);
        return;
    }
    wait_idle();
    m_shutdown.store(true, std::memory_order_seq_cst);
    // Every worker is unparked directly (the parked set may change meanwhile; it dies with the set).
    for (auto &w : m_workers) w->park.unpark();
    for (auto &w : m_workers) pthread_join(w->thread, nullptr);
    // A spawn from outside may still be between its push and its wake-up call (its task already
    // ran, so the drain did not wait for it): wait until every accepted outside spawn is done.
    while (m_outside_submitted.load(std::memory_order_acquire) != m_outside_spawned.load(std::memory_order_acquire))
        sched_yield();
    retire_worker_set();
    m_running.store(false, std::memory_order_release);
    trim_thread_pool();  // "Giving memory back" (cell_pool.hpp): the stopping thread's share
}

void scheduler::retire_worker_set() noexcept {
    std::vector<std::unique_ptr<worker>> workers;
    std::unique_ptr<idle_coordinator> idle;
    {
        std::lock_guard set(m_set_mutex);
        // The outside counters are never reset: a spawn refused while closing undoes its
        // increment later, and must not undo a reset.
        for (const auto &w : m_workers) w->counters.add_to(m_retired_counters);
        m_workers.swap(workers);
        m_idle.swap(idle);
        m_set_live = false;
    }
}  // the set is freed here, outside the lock

std::uint32_t scheduler::worker_count() const noexcept {
    std::lock_guard set(m_set_mutex);
    return static_cast<std::uint32_t>(m_workers.size());
}

void scheduler::submit(task_cell *cell) {
    if (!try_submit(cell, true)) throw runtime_closed();
}

void scheduler::submit_internal(task_cell *cell) noexcept { try_submit(cell, false); }

// Protocol "Continuations of a stopped runtime". weft_future_then's map task is submitted by
// whichever thread completes its input, possibly long after the runtime stopped (a promise set
// from an outside thread after weft_shutdown). Queued there, it would wait for a restart that may
// never come, and its awaiter with it. So a continuation is submitted as a spawn from that thread
// would be: a worker, or a thread inside one of this runtime's tasks, is never refused (the drain
// waits for its task); an outside thread is refused while the runtime closes or is stopped. Then
// the default runtime is started again, as any spawn would, but only when no start or stop is
// under way: the completing thread must never wait for a stop, which may itself be waiting for a
// task that this very completion is about to wake. Otherwise the caller fails the continuation
// (awaiting it gives ECANCELED). Either way it runs or fails; it never hangs.
bool scheduler::submit_continuation(task_cell *cell) noexcept {
    if (try_submit(cell, true)) return true;
    if (m_forked || this != default_scheduler_if_created()) return false;
    {
        std::unique_lock lock(m_lifecycle, std::try_to_lock);
        if (!lock.owns_lock()) return false;  // a start or a stop is under way: do not wait for it
        if (!m_running.load(std::memory_order_relaxed)) {
            try {
                start_locked({});
            } catch (...) {
                return false;  // no worker could start: the continuation fails
            }
        }
    }
    return try_submit(cell, true);
}

bool scheduler::try_submit(task_cell *cell, bool refuse_when_closing) noexcept {
    thread_context &ctx = t_context;
    if (ctx.self && &ctx.self->sched == this) {
        bump(ctx.self->counters.spawned);
        push_from_worker(*ctx.self, cell);
        return true;
    }
    if (m_forked) return false;  // a child after fork(): no worker will ever run it
    bool accepting = false;
    if (!count_outside_spawn(refuse_when_closing, accepting)) return false;
    push_from_outside(cell, accepting);
    return true;
}

bool scheduler::count_outside_spawn(bool refuse_when_closing, bool &accepting) noexcept {
    // seq_cst: pairs with stop()'s seq_cst store of m_accepting (see "Drain on stop").
    m_outside_spawned.fetch_add(1, std::memory_order_seq_cst);
    accepting = m_accepting.load(std::memory_order_seq_cst);
    if (refuse_when_closing && !accepting && t_context.sched != this) {
        m_outside_spawned.fetch_sub(1, std::memory_order_seq_cst);
        return false;
    }
    return true;
}

bool scheduler::admit_external() noexcept {
    thread_context &ctx = t_context;
    if (ctx.self && &ctx.self->sched == this) {
        bump(ctx.self->counters.spawned);
        return true;
    }
    if (m_forked) return false;  // a child after fork(): the runtime is unusable
    bool accepting = false;
    if (!count_outside_spawn(true, accepting)) return false;
    // Nothing else of the scheduler is touched after this; release pairs with stop()'s acquire.
    m_outside_submitted.fetch_add(1, std::memory_order_release);
    return true;
}

void scheduler::retract_external() noexcept {
    thread_context &ctx = t_context;
    if (ctx.self && &ctx.self->sched == this) {
        worker_counters &c = ctx.self->counters;
        // The worker is the counter's only writer; release as in bump().
        c.spawned.store(c.spawned.load(std::memory_order_relaxed) - 1, std::memory_order_release);
        return;
    }
    // stop() waits for m_outside_submitted == m_outside_spawned, so both move back.
    // The one place a stats counter moves back: a spawn that failed never existed.
    m_outside_spawned.fetch_sub(1, std::memory_order_seq_cst);
    m_outside_submitted.fetch_sub(1, std::memory_order_release);
}

void scheduler::finish_external() noexcept {
    // Release pairs with the quiescence check's acquire: the task's effects happen before a
    // wait_idle that counts it returns.
    m_outside_executed.fetch_add(1, std::memory_order_release);
}

void scheduler::push_from_outside(task_cell *cell, bool covered) noexcept {
    m_injector.push(cell);
    // The injector's push is a seq_cst exchange: the spawner's half of "Searching and parking".
    if (covered) {
        if (m_idle->should_notify(std::memory_order_seq_cst)) notify_one_parked();
    } else {
        // Not covered by the drain: the worker set may be being replaced or freed ("Worker set
        // ownership"). A task pushed after a stop waits in the injector for the next start.
        std::lock_guard set(m_set_mutex);
        if (m_set_live && m_idle->should_notify(std::memory_order_seq_cst)) notify_one_parked();
    }
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
    std::lock_guard set(m_set_mutex);  // "Worker set ownership"
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
    if (m_forked) return;  // a child after fork(): what was pending will never run here
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
        &me};
    m_idle_blocked.fetch_add(mine, std::memory_order_seq_cst);
    m_idle_waiters.fetch_add(1, std::memory_order_seq_cst);
    while (!quiescent(idle_allowance(me.inside))) wait_until(target, now_ns() + 2'000'000);
    m_idle_waiters.fetch_sub(1, std::memory_order_seq_cst);
    m_idle_blocked.fetch_sub(mine, std::memory_order_seq_cst);
    trim_thread_pool_if_worthwhile();  // a quiet moment: see "Giving memory back" in cell_pool.hpp
}

void scheduler::notify_idle_waiters() noexcept {
    fence(std::memory_order_seq_cst);  // pairs with the waiter's seq_cst increment
    if (m_idle_waiters.load(std::memory_order_seq_cst) > 0) parking_lot::fire_all(&m_idle_waiters);
}

void scheduler::collect_stats(std::uint64_t out[5]) const noexcept {
    std::lock_guard set(m_set_mutex);  // "Worker set ownership": a whole set or none
    std::copy(m_retired_counters, m_retired_counters + 5, out);
    // Accepted outside spawns: m_outside_submitted, which (unlike m_outside_spawned) never counts a
    // spawn that is then refused, so stats never go backwards.
    out[0] += m_outside_submitted.load(std::memory_order_relaxed);
    out[1] += m_outside_executed.load(std::memory_order_relaxed);
    for (const auto &w : m_workers) w->counters.add_to(out);
}

namespace {
// The default runtime: created on first use and never destroyed, so that spawns racing
// weft_shutdown never touch freed memory. A child after fork() forgets it (it is left as it was,
// marked forked) and creates its own on first use.
std::mutex g_default_mutex;  // serialises creation
atomic<scheduler *> g_default{nullptr};  // written under g_default_mutex (release), read by all (acquire)
}  // namespace

scheduler *default_scheduler_if_created() noexcept { return g_default.load(std::memory_order_acquire); }

scheduler &default_scheduler_unstarted() {
    if (scheduler *s = g_default.load(std::memory_order_acquire)) return *s;
    std::lock_guard lock(g_default_mutex);
    scheduler *s = g_default.load(std::memory_order_relaxed);
    if (!s) {
        s = new scheduler();
        g_default.store(s, std::memory_order_release);  // pairs with the acquire loads above
    }
    return *s;
}

// See "Fork" at the top of this file. Prepare runs in the forking thread before fork(); parent and
// child run after it, each in its own process, before any other code there.
struct fork_handlers {
    static void prepare() noexcept {
        g_default_mutex.lock();
        g_registry_mutex.lock();
    }
    static void parent() noexcept {
        g_registry_mutex.unlock();
        g_default_mutex.unlock();
    }
    static void child() noexcept {
        // This thread is the child's only one: plain writes are safe. The runtimes' own locks may
        // have been held by threads that do not exist here; fresh ones replace them.
        for (auto &slot : g_registry) {
            scheduler *s = slot.load(std::memory_order_relaxed);
            if (!s) continue;
            s->m_forked = true;
            ::new (&s->m_lifecycle) std::mutex();
            ::new (&s->m_set_mutex) std::mutex();
            s->m_accepting.store(false, std::memory_order_relaxed);
        }
        g_default.store(nullptr, std::memory_order_relaxed);
        g_registry_mutex.unlock();
        g_default_mutex.unlock();
    }
};

namespace {
[[maybe_unused]] const int g_fork_handlers_installed =
    pthread_atfork(&fork_handlers::prepare, &fork_handlers::parent, &fork_handlers::child);
}  // namespace

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
