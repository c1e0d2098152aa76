// Waiters, blocking, and waiting inside a task; see "Waiter" and "Waiting in a task" in waiter.hpp.
#include "suspend/waiter.hpp"

#include "parking_lot.hpp"
#include "platform/sanitizers.hpp"
#include "scheduler.hpp"

namespace weft::detail {

parker &this_thread_parker() noexcept {
    thread_local parker t_parker;
    return t_parker;
}

void waiter::wake() noexcept {
    if (thread) {
        thread->unpark();
        return;
    }
    // acq_rel: the winner of event and deadline pushes the fiber; the loser must not touch it.
    if (woken.exchange(1, std::memory_order_acq_rel) != 0) return;
    worker *const h = home;
    fiber *const f = task;
    // From here on the fiber may resume and this waiter go away: only h and f are used.
    if (t_context.self == h) {
        h->fibers.push_ready_local(f);
        return;
    }
    h->fibers.push_woken(f);
    h->park.unpark();
}

bool can_suspend() noexcept { return t_context.self != nullptr; }

void spend_budget() noexcept {
    const thread_context &ctx = t_context;
    if (ctx.self && ctx.current) ctx.self->fibers.spend_budget();
}

void prepare_waiter(waiter &w, std::int64_t deadline_ns) noexcept {
    w.woken.store(0, std::memory_order_relaxed);
    w.granted = false;
    w.next = nullptr;
    w.deadline = deadline_ns;
    if (worker *self = t_context.self) {
        w.home = self;
        w.task = self->fibers.current();
        w.thread = nullptr;
    } else {
        w.home = nullptr;
        w.task = nullptr;
        w.thread = &this_thread_parker();
    }
}

void block(waiter &w) noexcept {
    if (w.thread) {
        w.thread->park(w.deadline);
        return;
    }
    worker_fibers &fibers = w.home->fibers;
    if (w.deadline >= 0) fibers.timers.add(&w);  // std::bad_alloc here terminates: noexcept
    fibers.suspend();
    fibers.timers.remove(&w);
}

void expire_timers(worker &w) noexcept {
    worker_fibers &fibers = w.fibers;
    if (fibers.timers.empty()) return;
    const std::int64_t now = now_ns();
    while (waiter *x = fibers.timers.pop_expired(now)) {
        if (x->woken.exchange(1, std::memory_order_acq_rel) == 0) fibers.push_ready_local(x->task);
    }
}

bool wait_in_task(const wait_target &target, std::int64_t deadline_ns) {
    if (target.done(target.object)) return true;
    waiter me;
    prepare_waiter(me, deadline_ns);
    wait_record record;
    record.suspended = &me;
    for (;;) {
        if (!target.subscribe(target.object, &record)) return true;
        block(me);
        parking_lot::unsubscribe(&record);
        if (target.done(target.object)) return true;
        if (deadline_passed(deadline_ns)) return false;
        me.woken.store(0, std::memory_order_relaxed);
    }
}

}  // namespace weft::detail
