// One blocked wait, of a task or of a thread, and the one function every wait blocks through.
//
// Protocol "Waiter". Every wait in weft (a future, a combinator, a task group, wait_idle, a mutex,
// a semaphore, and later channels, timers and I/O) follows the same three steps:
//   1. prepare a waiter on the waiting stack (prepare_waiter: inside a task on a worker it names
//      the task's fiber and worker, elsewhere the thread's parker);
//   2. link it where the waker will find it, under that structure's lock, re-checking the
//      condition under the same lock (a parking-lot record pointing at it, or a primitive's FIFO);
//   3. block(): a task suspends (see "Suspension" in fiber.hpp), a thread parks; then take the
//      lock again to unlink (or learn it was unlinked) and re-check the condition.
// A waker unlinks the waiter and calls wake() while it still holds that lock. This is what keeps
// the waiter (which lives on the waiting stack) alive through the wake-up: the woken party takes
// the same lock in step 3 before its stack frame can go away. wake() is idempotent for a task: the
// first of the event and the deadline timer wins (woken: 0 -> 1), so a fiber is put on its ready
// list exactly once per suspension. A thread's parker keeps a token, so a wake before the park is
// not lost; spurious returns are possible, hence the re-check.
// A C++20 coroutine task would add a third kind of waiter (a coroutine handle to schedule) with
// the same wake() contract; the structures that hold waiters do not change.
//
// Protocol "Waiting in a task". When what a task awaits is a task nobody has claimed yet, the
// waiter claims it and runs it inline (the fork-join fast path: the awaited child is usually the
// newest task of the worker's own queue), but only for an untimed wait, and only while the stack
// has k_inline_headroom left; the waits on a task cell in worker.cpp try that before they call
// wait_in_task. Anything else suspends. A timed wait never runs the awaited task
// inline, since that task could run past the deadline; its deadline goes on the worker's timer
// heap, and the worker parks no longer than the earliest deadline. The deadline is honoured to
// within the time the worker takes to reach its loop: a task that computes for a long time without
// waiting delays the timed waits suspended on the same worker.
#pragma once

#include "platform/sanitizers.hpp"
#include "sync.hpp"

#include <cstddef>
#include <cstdint>

namespace weft::detail {

struct fiber;
struct worker;
class parker;
struct wait_target;

struct waiter {
    worker *home = nullptr;    // the worker of a suspended task, or
    fiber *task = nullptr;     // (with home) the fiber to resume
    parker *thread = nullptr;  // the thread to unpark
    // Task waiters: 0 until the first wake (event or deadline), then 1. Written by wakers (under
    // the lock of the structure that links the waiter) and by the worker's timers.
    atomic<std::uint32_t> woken{0};
    std::int64_t deadline = -1;        // steady ns, -1: none; written before blocking
    std::uint32_t timer_id = ~std::uint32_t{0};  // in the owner worker's timer heap (timer_heap::k_none: not there)
    waiter *next = nullptr;            // link in a primitive's FIFO (guarded by its lock)
    bool granted = false;              // a primitive handed ownership over (guarded by its lock)

    // Ends the wait. Called with the lock of the structure the waiter is linked in held.
    void wake() noexcept;
};

// A primitive's FIFO of waiters (the mutex's and the semaphore's queues), linked through
// waiter::next and guarded by the primitive's lock.
struct waiter_fifo {
    waiter *head = nullptr;
    waiter *tail = nullptr;

    bool empty() const noexcept { return head == nullptr; }
    void push_back(waiter *w) noexcept {
        w->next = nullptr;
        (tail ? tail->next : head) = w;
        tail = w;
    }
    // Puts a waiter back at the head: one that was woken, lost the retry, and keeps its seniority.
    void push_front(waiter *w) noexcept {
        w->next = head;
        head = w;
        if (!tail) tail = w;
    }
    // Unlinks the oldest waiter without granting or waking it; nullptr when empty.
    waiter *pop_oldest() noexcept {
        waiter *w = head;
        if (!w) return nullptr;
        head = w->next;
        if (!head) tail = nullptr;
        return w;
    }
    // Unlinks the oldest waiter, marks it granted and wakes it (the hand-off); false when empty.
    bool grant_oldest() noexcept {
        waiter *w = pop_oldest();
        if (!w) return false;
        w->granted = true;
        w->wake();
        return true;
    }
    // Unlinks a waiter that gave up (a timeout); a no-op when it is not linked.
    void remove(waiter *w) noexcept {
        waiter *prev = nullptr;
        for (waiter *p = head; p; prev = p, p = p->next) {
            if (p != w) continue;
            (prev ? prev->next : head) = p->next;
            if (tail == p) tail = prev;
            return;
        }
    }
};

// Step 1 of "Waiter" for the calling context; clears woken and granted.
void prepare_waiter(waiter &w, std::int64_t deadline_ns) noexcept;
// Step 3: until woken (possibly spuriously for a thread) or past the deadline.
void block(waiter &w) noexcept;
// True when the caller is a task (or loop) on a worker, i.e. a wait suspends instead of parking.
bool can_suspend() noexcept;
// After an operation that may have completed without waiting (a channel operation, a select):
// inside a task on a worker, spends from its worker's budget ("The cooperative budget" in
// suspend/fiber.hpp); elsewhere nothing.
void spend_budget() noexcept;

// A wait on a generic target from inside a task on a worker: see "Waiting in a task". False on
// timeout.
bool wait_in_task(const wait_target &target, std::int64_t deadline_ns);
// Stack an awaited task may still have when it is run inline; below it the awaiter suspends and
// the awaited task runs from the loop on another stack. 64 KiB is a quarter of a fiber stack and
// holds a few hundred levels of the test suite's await chains; sanitizer frames are several times
// larger, hence the larger margin there.
inline constexpr std::size_t k_inline_headroom =
    (k_asan_build || k_tsan_build) ? std::size_t{256} << 10 : std::size_t{64} << 10;

}  // namespace weft::detail
