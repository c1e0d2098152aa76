// Promises, yield and the task-local slot: what a task needs besides spawn and await.
//
// A promise is a task cell that is never queued: it starts claimed (so no awaiter tries to run it
// inline) and is completed by whoever sets it, through the same completion as a task (k_done,
// then the parking-lot waiters; see "Cell lifecycle" in task_cell.cpp). k_promise_set makes the
// setting exclusive: the one fetch_or that sets it owns the payload until it publishes k_done.
#include "scheduler.hpp"
#include "suspend/fiber.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <cerrno>
#include <new>
#include <sched.h>

namespace weft::detail {

bool begin_fulfil(task_cell *cell) noexcept {
    // Relaxed: the payload is written after this and published by complete()'s release.
    return !(cell->state.fetch_or(k_promise_set, std::memory_order_relaxed) & k_promise_set);
}

void fulfil(task_cell *cell, bool exception) noexcept { complete(cell, exception ? k_exception : 0, 0); }

std::uint16_t current_runtime_id() { return current_or_default_scheduler()->id(); }

namespace {
struct c_promise_tag {
    void *operator()() const noexcept { return nullptr; }
};
}  // namespace

}  // namespace weft::detail

using weft::detail::task_cell;

extern "C" {

weft_future *weft_promise_new(void) {
    try {
        // One reference: the handle is the future and the promise at once.
        task_cell *cell = weft::detail::typed_cell<weft::detail::c_promise_tag, void *>::make(
            weft::detail::c_promise_tag{}, weft::detail::current_runtime_id(), 1, weft::detail::k_claimed);
        cell->flags |= weft::detail::k_promise_cell;
        return reinterpret_cast<weft_future *>(cell);
    } catch (...) {
        errno = ENOMEM;
        return nullptr;
    }
}

int weft_promise_set(weft_future *promise, void *value) {
    if (!promise) return EINVAL;
    auto *cell = reinterpret_cast<task_cell *>(promise);
    if (!(cell->flags & weft::detail::k_promise_cell)) return EINVAL;
    if (!weft::detail::begin_fulfil(cell)) return EINVAL;
    ::new (cell->payload()) void *(value);
    weft::detail::fulfil(cell, false);
    return 0;
}

void weft_yield(void) {
    weft::detail::thread_context &ctx = weft::detail::t_context;
    if (ctx.self && ctx.current) {
        ctx.self->fibers.yield();
    } else {
        sched_yield();
    }
}

void *weft_task_local(void) {
    const weft::detail::thread_context &ctx = weft::detail::t_context;
    return ctx.current ? ctx.local : nullptr;
}

void weft_set_task_local(void *value) {
    weft::detail::thread_context &ctx = weft::detail::t_context;
    if (ctx.current) ctx.local = value;
}

}  // extern "C"
