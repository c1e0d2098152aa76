// The task cell's lifecycle: claim, run, complete, wake waiters, release, free.
//
// Protocol "Cell lifecycle". A cell's 32-bit state holds flag bits and, above k_ref_shift, a
// reference count. A spawn with a future starts with two references (the queue's and the
// future's), a detached spawn with one. Exactly one party runs the task: whoever sets k_claimed
// first — the worker that popped it, or a thread awaiting its future (it may run the awaited task
// inline rather than wait). A worker awaiting a task in its own queue first takes the entry out
// ("Taking an awaited entry", work_stealing_queue.hpp) and then claims it as a popper does, holding
// the queue's reference. A queue entry whose claim was lost is dropped by whoever pops it,
// releasing the queue's reference; so a cell is never freed while a queue still holds it.
// An awaiter that claims a task queued elsewhere (another worker's queue, the injector) runs it
// without taking the queue's reference: the entry is still there, and the popper drops that
// reference when it finds the claim lost.
// Completion publishes k_done (release, paired with the waiters' acquire of state) and drops the
// runner's reference in a single compare-and-swap when nobody waits; when k_waiter is set it sets
// k_done, fires the parking-lot records, and only then drops its reference, so the cell cannot be
// freed and reused while records keyed by its address are being matched.
// The party that drops the last reference destroys a result nobody consumed (exactly once) and
// returns the memory to its pool.
// Detached cells have no future, so nothing else can claim them: they skip the claim.
// A cell cancelled before its claim (k_cancelled already set when the claim's read-modify-write
// ran) never runs: its claimer destroys the closure, stores a task_cancelled exception for the
// future, and completes it like a task that threw (see "Cancellation scopes" in cancel_scope.hpp).
// It still counts as executed: the quiescence count of "Drain on stop" is of tasks finished.
#include "scheduler.hpp"

#include "cell_pool.hpp"
#include "parking_lot.hpp"

#include <cassert>
#include <cstdio>
#include <exception>
#include <mutex>
#include <weft/weft.hpp>

namespace weft::detail {

namespace {
std::mutex g_handler_mutex;
exception_handler g_handler;  // guarded by g_handler_mutex; empty: print to stderr

void report_detached_exception(std::exception_ptr e) noexcept {
    exception_handler handler;
    {
        std::lock_guard lock(g_handler_mutex);
        handler = g_handler;
    }
    try {
        if (handler) {
            handler(e);
            return;
        }
        try {
            std::rethrow_exception(e);
        } catch (const std::exception &ex) {
            std::fprintf(stderr, "weft: exception escaped a detached task: %s\n", ex.what());
        } catch (...) {
            std::fprintf(stderr, "weft: exception escaped a detached task (not a std::exception)\n");
        }
    } catch (...) {
        std::fprintf(stderr, "weft: the exception handler threw\n");
    }
}

void destroy_and_free(task_cell *cell, std::uint32_t s) noexcept {
    if ((s & k_done) && !(s & k_consumed)) {
        if (s & k_exception) {
            std::launder(static_cast<std::exception_ptr *>(cell->payload()))->~exception_ptr();
        } else if (cell->vtable && cell->vtable->destroy_result) {
            try {
                cell->vtable->destroy_result(cell);
            } catch (...) {
                report_detached_exception(std::current_exception());
            }
        }
    }
    free_cell_memory(cell);
}
}  // namespace

// The cell's state is a plain std::atomic (its layout is in a public header), so the chaos build
// perturbs it here, at each protocol step (and in try_claim, scheduler.hpp), instead of through
// detail::atomic.
void skip_cancelled(task_cell *cell, bool runner_holds_queue_ref) noexcept {
    assert((cell->state.load(std::memory_order_relaxed) & (k_claimed | k_cancelled | k_done)) ==
               (k_claimed | k_cancelled) &&
           "weft: skipping a task that is not claimed, not cancelled, or done");
    if (cell->vtable->discard_closure) cell->vtable->discard_closure(cell);
    std::uint32_t extra = 0;
    if (!(cell->state.load(std::memory_order_relaxed) & k_detached)) {
        ::new (cell->payload()) std::exception_ptr(std::make_exception_ptr(weft::task_cancelled()));
        extra = k_exception;
    }
    complete(cell, extra, runner_holds_queue_ref ? k_ref : 0);
}

void execute_claimed(task_cell *cell, scheduler *sched, bool runner_holds_queue_ref) noexcept {
    thread_context &ctx = t_context;
    task_cell *const outer_cell = ctx.current;
    scheduler *const outer_sched = ctx.sched;
    void *const outer_local = ctx.local;
    cancel_scope *const outer_scope = ctx.scope;
    ctx.current = cell;
    ctx.sched = sched;
    ctx.local = nullptr;
    ctx.scope = nullptr;  // a plain task is a root of "Cancellation scopes"; a group's sets its own
    ++ctx.depth;
    std::uint32_t extra = 0;
    try {
        cell->vtable->run(cell);
    } catch (...) {
        if (cell->state.load(std::memory_order_relaxed) & k_detached) {
            report_detached_exception(std::current_exception());
        } else {
            ::new (cell->payload()) std::exception_ptr(std::current_exception());
            extra = k_exception;
        }
    }
    // The task may have suspended and resumed: ctx is still this thread's (tasks are pinned to
    // their worker), and the fiber switch restored it.
    thread_context &after = t_context;
    --after.depth;
    after.current = outer_cell;
    after.sched = outer_sched;
    after.local = outer_local;
    after.scope = outer_scope;
    complete(cell, extra, runner_holds_queue_ref ? k_ref : 0);
}

void complete(task_cell *cell, std::uint32_t extra_bits, std::uint32_t drop) noexcept {
    chaos_point();
    std::uint32_t s = cell->state.load(std::memory_order_relaxed);
    while (!(s & k_waiter)) {
        // Release pairs with the acquire loads of waiters and of the last releaser.
        if (cell->state.compare_exchange_weak(s, (s | k_done | extra_bits) - drop, std::memory_order_acq_rel,
                                              std::memory_order_relaxed)) {
            if (drop && (s >> k_ref_shift) == 1) destroy_and_free(cell, s | k_done | extra_bits);
            return;
        }
    }
    cell->state.fetch_or(k_done | extra_bits, std::memory_order_acq_rel);
    parking_lot::fire_all(cell);
    if (drop) release(cell);
}

void release(task_cell *cell, std::uint32_t extra_bits) noexcept {
    chaos_point();
    // acq_rel: the last releaser must see the result and the closure's effects before freeing.
    const std::uint32_t before = cell->state.fetch_add(extra_bits - k_ref, std::memory_order_acq_rel);
    if ((before >> k_ref_shift) == 1) destroy_and_free(cell, before | extra_bits);
}

bool subscribe_cell(task_cell *cell, wait_record *record) noexcept {
    chaos_point();
    return parking_lot::subscribe(
        cell, record, [cell] { cell->state.fetch_or(k_waiter, std::memory_order_acq_rel); },
        [cell] { return (cell->state.load(std::memory_order_acquire) & k_done) != 0; });
}

}  // namespace weft::detail

void weft::set_exception_handler(exception_handler handler) {
    std::lock_guard lock(detail::g_handler_mutex);
    detail::g_handler = std::move(handler);
}
