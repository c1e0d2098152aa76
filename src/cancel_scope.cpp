// Cancelling tasks and scopes; see "Cancellation scopes" in cancel_scope.hpp.
#include "cancel_scope.hpp"

#include "scheduler.hpp"
#include "suspend/cancellable_wait.hpp"

#include <cassert>
#include <new>

namespace weft::detail {

namespace {
bool cell_cancelled(const task_cell *cell) noexcept {
    return (cell->state.load(std::memory_order_acquire) & k_cancelled) != 0;
}
}  // namespace

bool cancel_requested(const task_cell *cell, const cancel_scope *scope) noexcept {
    if (cell && cell_cancelled(cell)) return true;
    for (; scope; scope = scope->parent) {
        // Acquire pairs with the release exchange in scope_cancel.
        if (scope->cancelled.load(std::memory_order_acquire)) return true;
        if (scope->parent_task && cell_cancelled(scope->parent_task)) return true;
    }
    return false;
}

bool current_task_cancelled() noexcept {
    const thread_context &ctx = t_context;
    return (ctx.current || ctx.scope) && cancel_requested(ctx.current, ctx.scope);
}

bool task_cancel_requested(const task_cell *cell) noexcept { return cell_cancelled(cell); }

void cancel_task(task_cell *cell) noexcept {
    chaos_point();
    // acq_rel: the release half publishes what the canceller wrote before, for the task that sees
    // the bit (cancel_requested's acquire); the claim's read-modify-write sees it or precedes it.
    const std::uint32_t before = cell->state.fetch_or(k_cancelled, std::memory_order_acq_rel);
    // Not started: whoever claims it skips it. Done: nothing waits. Cancelled before: already woken.
    // Otherwise the task runs (or is suspended), and so may the tasks of groups it created.
    if ((before & k_claimed) && !(before & (k_done | k_cancelled))) wake_cancelled_waits();
}

cancel_scope *scope_create() {
    const thread_context &ctx = t_context;
    auto *scope = new cancel_scope(ctx.current, ctx.scope);
    // Relaxed increments: the creator already holds a reference to each (it runs the task, which
    // runs in that scope), so these cannot race with the last release.
    if (ctx.current) ctx.current->state.fetch_add(k_ref, std::memory_order_relaxed);
    if (ctx.scope) ctx.scope->refs.fetch_add(1, std::memory_order_relaxed);
    return scope;
}

void scope_release(cancel_scope *scope) noexcept {
    while (scope) {
        // acq_rel: the last releaser sees every other holder's use before it frees.
        const std::uint32_t before = scope->refs.fetch_sub(1, std::memory_order_acq_rel);
        assert(before > 0 && "weft: a cancellation scope released more often than referenced");
        if (before != 1) return;
        cancel_scope *const parent = scope->parent;
        if (scope->parent_task) release(scope->parent_task);
        delete scope;
        scope = parent;  // drop the reference this scope held on its parent
    }
}

void scope_cancel(cancel_scope *scope) noexcept {
    chaos_point();
    // Release pairs with the acquire loads of cancel_requested. The first canceller wakes the waits.
    if (!scope->cancelled.exchange(true, std::memory_order_acq_rel)) wake_cancelled_waits();
}

bool scope_cancelled(const cancel_scope *scope) noexcept { return cancel_requested(nullptr, scope); }

bool scope_enter(cancel_scope *scope) noexcept {
    thread_context &ctx = t_context;
    // The group's task runs in the group's scope from here until execute_claimed restores the
    // outer context; its own cell cannot be cancelled (it has no future).
    ctx.scope = scope;
    return !cancel_requested(nullptr, scope);
}

}  // namespace weft::detail
