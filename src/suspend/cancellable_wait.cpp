// The table of cancellable waits; see "Cancelling a wait" in cancellable_wait.hpp.
#include "suspend/cancellable_wait.hpp"

#include "cancel_scope.hpp"
#include "scheduler.hpp"
#include "suspend/waiter.hpp"

#include <cassert>
#include <cstdint>
#include <functional>
#include <mutex>

namespace weft::detail {

namespace {
// Stripes of the table. A task registers in its worker's stripe (index modulo k_stripes), so two
// workers share a lock only beyond 16 workers or with several runtimes; the lock is otherwise taken
// only by the rare canceller. 16 is a guess that keeps the canceller's walk short (16 locks).
constexpr std::size_t k_stripes = 16;

struct stripe : cancellable_wait::stripe_head {
    alignas(k_cache_line) std::mutex lock;
};
stripe g_stripes[k_stripes];

std::size_t stripe_of_caller() noexcept {
    if (const worker *self = t_context.self) return self->index % k_stripes;
    // A task on a thread of the blocking pool: spread by the thread's parker.
    return std::hash<const void *>{}(&this_thread_parker()) % k_stripes;
}
}  // namespace

bool cancellable_wait::arm(waiter &w) noexcept {
    const thread_context &ctx = t_context;
    if (!ctx.current && !ctx.scope) return true;  // not a task: nothing can cancel this wait
    assert(!linked && "weft: a cancellable wait armed twice");
    party = &w;
    task = ctx.current;
    scope = ctx.scope;
    stripe = stripe_of_caller();
    struct stripe &s = g_stripes[stripe];
    std::lock_guard guard(s.lock);
    // Under the stripe lock: a canceller that published before its walk reached this stripe is
    // seen here; one that publishes later finds this registration. A task already cancelled is
    // never registered, so no canceller can wake a fiber that is not going to block.
    if (cancel_requested(task, scope)) return false;
    link_locked(s);
    return true;
}

bool cancellable_wait::rearm(waiter &w) noexcept {
    if (!linked) {
        w.woken.store(0, std::memory_order_relaxed);
        return true;
    }
    assert(party == &w && "weft: a cancellable wait rearmed with another waiter");
    struct stripe &s = g_stripes[stripe];
    std::lock_guard guard(s.lock);
    // Re-check under the lock the canceller wakes under: see "Cancelling a wait". A cancelled
    // task leaves the table here, in the same critical section, with woken still 1: a later
    // cancel (of this task or of any other) must not push this fiber, which is running and is not
    // going to block again; a wake pushed now would resume it at its next, unrelated suspension.
    if (cancel_requested(task, scope)) {
        unlink_locked(s);
        return false;
    }
    w.woken.store(0, std::memory_order_relaxed);
    return true;
}

void cancellable_wait::link_locked(stripe_head &s) noexcept {
    prev = nullptr;
    next = s.head;
    if (next) next->prev = this;
    s.head = this;
    linked = true;
}

void cancellable_wait::unlink_locked(stripe_head &s) noexcept {
    if (prev) {
        prev->next = next;
    } else {
        s.head = next;
    }
    if (next) next->prev = prev;
    prev = next = nullptr;
    linked = false;
}

void cancellable_wait::disarm() noexcept {
    if (!linked) return;
    struct stripe &s = g_stripes[stripe];
    std::lock_guard guard(s.lock);
    unlink_locked(s);
}

void wake_cancelled_waits() noexcept {
    for (stripe &s : g_stripes) {
        std::lock_guard guard(s.lock);
        for (cancellable_wait *c = s.head; c; c = c->next) {
            if (cancel_requested(c->task, c->scope)) c->party->wake();
        }
    }
}

}  // namespace weft::detail
