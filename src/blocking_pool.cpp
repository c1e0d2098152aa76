// The elastic blocking pool: threads that run calls which block their thread, so workers never do.
//
// Protocol "Elastic blocking pool". spawn_blocking builds a task cell as spawn does, but hands it
// to this pool instead of a worker queue. The pool is a FIFO of cells (linked through
// task_cell::next, so queueing never allocates) guarded by one mutex, a condition variable on
// which idle threads wait, and three counts: m_threads (alive), m_idle (waiting and not promised
// to a job) and m_notified (wake-ups promised to queued jobs, not yet taken). A job arrives:
//   1. an unpromised idle thread exists: promise it (m_idle--, m_notified++), queue, notify;
//   2. else, below the bound: start a thread (under the lock), queue; the new thread drains it;
//   3. else: queue; a busy thread takes it when its current job returns.
// A thread runs queued jobs until the queue is empty, then waits idle with a deadline counted
// from the moment it became idle. Woken, it takes a promise if one is pending and goes back to
// the queue; at its deadline with no promise pending it exits. Invariants, under the mutex:
//   (I1) m_idle + m_notified == threads in the idle wait;
//   (I2) queue non-empty => m_notified > 0 or some thread is outside the idle wait (it re-checks
//        the queue before it waits or exits), so every queued job is run.
// (I2) holds because case 3 happens only with m_idle == 0 and m_threads > 0 (every thread busy or
// promised), and a thread leaves the busy state only with the queue empty. A promise is counted
// rather than signalled to a particular thread: whichever idle thread wakes first takes it, and a
// thread woken without a promise to take (the condition variable may wake any) waits again.
// Threads never exceed the bound; beyond it jobs queue and never fail. A thread that cannot be
// started is not an error while another thread exists (case 3 applies); with no thread at all the
// spawn fails with EAGAIN and nothing was queued. Jobs beyond the bound that wait on each other
// can deadlock, as with any bounded pool; the bound is large for that reason.
//
// Starting threads under the lock keeps growth and its failure in one place; it makes other
// submitters wait behind a pthread_create, which only happens while the pool grows. Rejected:
// starting the thread outside the lock (a reservation and an undo path for failure); a thread per
// call (unbounded); running blocking calls on workers and handing the worker's queue to a spare
// thread while the call blocks (Go's hand-off at system calls), which needs a hook around every
// blocking call, and a C library that sleeps offers none.
//
// Awaiting. The cell is built already claimed (k_claimed), so a worker that awaits the future
// and helps never runs the blocking call inline; the pool thread runs it through the same
// execute_claimed/complete path as a worker, so waiters and continuations are woken as for any
// task, and the future's exceptions and results work the same.
//
// Accounting. A blocking job is a task of the runtime it was spawned on (the calling task's
// runtime, else the default one): scheduler::admit_external counts it as spawned, refusing it
// like any outside spawn while that runtime closes, and finish_external counts it as executed
// after it completed. So wait_idle, weft_wait_all, weft_shutdown and ~runtime wait for blocking
// jobs too (a job that never returns makes them wait forever), and during the drain a blocking
// job may still spawn. finish_external is the job's last touch of the runtime, which may be
// destroyed right after; it therefore wakes no wait_idle sleeper, and those see the count at
// their next periodic check (see "Idle waiters" in src/scheduler.cpp).
//
// Lifetime. One pool per process, shared by every runtime, created on first use and never
// destroyed; its threads are detached. Stopping a runtime waits for its jobs, not for idle pool
// threads: those exit after the idle timeout, or with the process. Rejected: a pool per runtime,
// joined at its stop, which would multiply the bound by the number of runtimes. Not fork-safe.
// Pool threads use the default pthread stack size: they run arbitrary user code, not nested tasks.
#include "blocking_pool.hpp"

#include "scheduler.hpp"

#include <weft/weft.hpp>

#include <cerrno>
#include <cstdlib>
#include <pthread.h>
#include <system_error>

namespace weft::detail {

namespace {
std::uint32_t configured_thread_limit() noexcept {
    if (const char *env = std::getenv("WEFT_BLOCKING_THREADS")) {
        char *end = nullptr;
        const long v = std::strtol(env, &end, 10);
        if (end != env && *end == '\0' && v > 0 && v <= static_cast<long>(k_max_blocking_threads))
            return static_cast<std::uint32_t>(v);
    }
    return k_default_blocking_threads;
}
}  // namespace

blocking_pool::blocking_pool() : m_configured_limit(configured_thread_limit()), m_limit(m_configured_limit) {}

blocking_pool &blocking_pool::instance() {
    // Never destroyed: detached pool threads may still be leaving it while the process exits.
    static blocking_pool *const pool = new blocking_pool();
    return *pool;
}

int blocking_pool::submit(task_cell *cell) noexcept {
    chaos_point();
    std::lock_guard lock(m_mutex);
    if (m_idle > 0) {  // case 1
        --m_idle;
        ++m_notified;
        push(cell);
        m_wake.notify_one();
        return 0;
    }
    if (m_threads < m_limit) {  // case 2
        const int error = start_thread();
        if (error == 0) {
            ++m_threads;
        } else if (m_threads == 0) {
            return error;  // nobody could ever run it
        }
    }
    push(cell);  // case 3, or a new thread that will take it once we unlock
    return 0;
}

int blocking_pool::start_thread() noexcept {
    if (m_failing_starts > 0) {
        --m_failing_starts;
        return EAGAIN;
    }
    pthread_attr_t attr;
    if (const int error = pthread_attr_init(&attr)) return error;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    const int error = pthread_create(&thread, &attr, &blocking_pool::thread_entry, this);
    pthread_attr_destroy(&attr);
    return error;
}

void *blocking_pool::thread_entry(void *pool) noexcept {
    pthread_setname_np(pthread_self(), "weft-blocking");
    static_cast<blocking_pool *>(pool)->thread_main();
    return nullptr;
}

void blocking_pool::thread_main() noexcept {
    std::unique_lock lock(m_mutex);
    for (;;) {
        while (task_cell *cell = pop()) {
            lock.unlock();
            run(cell);
            lock.lock();
        }
        ++m_idle;
        const auto idle_since = std::chrono::steady_clock::now();
        for (;;) {
            if (m_notified > 0) {
                --m_notified;
                break;  // back to the queue
            }
            const auto deadline = idle_since + m_idle_timeout;  // re-read: tests shorten it
            if (std::chrono::steady_clock::now() >= deadline) {
                --m_idle;
                if (m_head) break;  // cannot happen under (I2); run it rather than strand it
                --m_threads;
                return;
            }
            m_wake.wait_until(lock, deadline);
        }
    }
}

void blocking_pool::run(task_cell *cell) noexcept {
    chaos_point();
    // The job is counted as pending, so its runtime is alive until finish_external below.
    scheduler *const sched = scheduler::from_id(cell->runtime_id);
    // Built claimed, so no claim tells whether it was cancelled before it started: read the bit.
    const claim_outcome outcome = task_cancel_requested(cell) ? claim_outcome::skip : claim_outcome::run;
    execute_or_skip(outcome, cell, sched, true);  // drops the pool's reference; the future keeps its own
    sched->finish_external();
}

void blocking_pool::push(task_cell *cell) noexcept {
    cell->next.store(nullptr, std::memory_order_relaxed);  // ordered by m_mutex
    if (m_tail) {
        m_tail->next.store(cell, std::memory_order_relaxed);
    } else {
        m_head = cell;
    }
    m_tail = cell;
    ++m_queued;
}

task_cell *blocking_pool::pop() noexcept {
    task_cell *cell = m_head;
    if (!cell) return nullptr;
    m_head = cell->next.load(std::memory_order_relaxed);
    if (!m_head) m_tail = nullptr;
    --m_queued;
    return cell;
}

std::uint32_t blocking_pool::thread_count() const noexcept {
    std::lock_guard lock(m_mutex);
    return m_threads;
}

std::uint32_t blocking_pool::queued() const noexcept {
    std::lock_guard lock(m_mutex);
    return m_queued;
}

std::uint32_t blocking_pool::idle_threads() const noexcept {
    std::lock_guard lock(m_mutex);
    return m_idle;
}

void blocking_pool::set_thread_limit(std::uint32_t limit) noexcept {
    std::lock_guard lock(m_mutex);
    m_limit = limit ? limit : m_configured_limit;
}

void blocking_pool::set_idle_timeout(std::chrono::nanoseconds timeout) noexcept {
    std::lock_guard lock(m_mutex);
    m_idle_timeout = timeout.count() > 0 ? timeout : k_blocking_idle_timeout;
    m_wake.notify_all();
}

void blocking_pool::fail_thread_starts(std::uint32_t n) noexcept {
    std::lock_guard lock(m_mutex);
    m_failing_starts = n;
}

void submit_blocking(scheduler *sched, task_cell *cell) {
    if (!sched->admit_external()) throw runtime_closed();
    if (const int error = blocking_pool::instance().submit(cell)) {
        sched->retract_external();
        throw std::system_error(error, std::generic_category(), "weft: cannot start a blocking-pool thread");
    }
}

}  // namespace weft::detail
