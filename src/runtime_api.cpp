// The non-template parts of the C++ API: runtime, task_group, when_all/when_any, wait_idle.
#include "combinators.hpp"
#include "parking_lot.hpp"
#include "scheduler.hpp"

#include <weft/weft.hpp>

#include <cstdio>
#include <limits>
#include <thread>

namespace weft {

runtime::runtime(options opts) : m_sched(new detail::scheduler()) {
    try {
        m_sched->start({opts.workers, opts.stack_size, opts.queue_capacity});
    } catch (...) {
        delete m_sched;
        throw;
    }
}

// See "Own-task calls" in scheduler.cpp. From one of its own tasks the destructor cannot stop the
// runtime (the stop would wait for the calling task and join its thread), and it cannot throw: it
// hands the scheduler to a new thread, which stops it (running every task, the caller's included,
// to completion) and frees it. Should even that thread not start, the scheduler is leaked, with
// a message: the only alternatives are a deadlock or a use-after-free.
runtime::~runtime() {
    if (!m_sched->inside_own_task()) {
        delete m_sched;
        return;
    }
    detail::scheduler *const sched = m_sched;
    try {
        std::thread([sched] { delete sched; }).detach();
    } catch (...) {
        std::fputs("weft: a runtime destroyed from its own task could not be stopped (no thread); it is leaked\n",
                   stderr);
    }
}

void runtime::shutdown() { m_sched->stop(); }

void runtime::wait_idle() { m_sched->wait_idle(); }
unsigned runtime::workers() const noexcept { return m_sched->worker_count(); }

weft::stats runtime::stats() const noexcept {
    std::uint64_t c[5];
    m_sched->collect_stats(c);
    return {c[0], c[1], c[2], c[3], c[4]};
}

void wait_idle() { detail::current_or_default_scheduler()->wait_idle(); }

namespace detail {
std::int64_t deadline_after(std::chrono::nanoseconds d) noexcept {
    const std::int64_t now = now_ns();
    if (d.count() <= 0) return now;
    // now_ns() counts from boot, so it is never negative and the subtraction cannot overflow.
    if (d.count() > std::numeric_limits<std::int64_t>::max() - now) return -1;
    return now + d.count();
}
}  // namespace detail

// Protocol "Group countdown": m_pending counts unfinished tasks in its low 31 bits; a waiter sets
// the top bit under the parking-lot bucket lock before it re-reads the count. The task that brings
// the count to zero learns from the same read-modify-write whether somebody waits, and then uses
// the group's address only as a parking-lot key: the group may already be gone by then.
namespace {
constexpr std::uint32_t k_waiting_bit = 1u << 31;
}  // namespace

// The group's scope ("Cancellation scopes", src/cancel_scope.hpp) is created with the group, under
// the calling task and its scope, and released after the last wait: the group's tasks run in it.
task_group::task_group() : m_sched(detail::current_or_default_scheduler()), m_scope(detail::scope_create()) {}
task_group::task_group(runtime &rt) : m_sched(rt.native_handle()), m_scope(detail::scope_create()) {}

task_group::~task_group() {
    try {
        wait();
    } catch (...) {
        // A destructor cannot rethrow; wait() was the place to see it.
    }
    detail::scope_release(m_scope);
}

void task_group::cancel() noexcept { detail::scope_cancel(m_scope); }
bool task_group::cancelled() const noexcept { return detail::scope_cancelled(m_scope); }

void task_group::begin_task() noexcept { m_pending.fetch_add(1, std::memory_order_relaxed); }

void task_group::end_task() noexcept {
    const void *key = &m_pending;
    const std::uint32_t before = m_pending.fetch_sub(1, std::memory_order_acq_rel);
    if (before == (k_waiting_bit | 1)) detail::parking_lot::fire_all(key);
}

void task_group::record_exception(std::exception_ptr e) noexcept {
    // The task_cancelled a task raises because its group (or the group's owner) was cancelled is
    // the outcome the canceller asked for, not an error for wait() to rethrow.
    if (detail::scope_cancelled(m_scope)) {
        try {
            std::rethrow_exception(e);
        } catch (const task_cancelled &) {
            return;
        } catch (...) {
        }
    }
    if (!m_has_error.exchange(true, std::memory_order_acq_rel)) m_error = std::move(e);
}

void task_group::wait() {
    const detail::wait_target target{
        [](const void *o) noexcept {
            return (static_cast<const task_group *>(o)->m_pending.load(std::memory_order_acquire) & ~k_waiting_bit) == 0;
        },
        [](const void *o, detail::wait_record *r) noexcept {
            auto *g = const_cast<task_group *>(static_cast<const task_group *>(o));
            return detail::parking_lot::subscribe(
                &g->m_pending, r, [g] { g->m_pending.fetch_or(k_waiting_bit, std::memory_order_acq_rel); },
                [g] { return (g->m_pending.load(std::memory_order_acquire) & ~k_waiting_bit) == 0; });
        },
        this};
    detail::wait_until(target, -1);
    // The waiting bit goes only while nothing is pending: another thread may already have spawned
    // into the group again and subscribed, and the bit is what makes its last task wake it.
    std::uint32_t drained = k_waiting_bit;
    m_pending.compare_exchange_strong(drained, 0, std::memory_order_relaxed, std::memory_order_relaxed);
    if (m_has_error.load(std::memory_order_acquire)) {
        std::exception_ptr e = std::exchange(m_error, nullptr);
        m_has_error.store(false, std::memory_order_relaxed);
        if (e) std::rethrow_exception(e);
    }
}

}  // namespace weft
