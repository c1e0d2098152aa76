// Waits that cancellation interrupts, and how a cancel finds and wakes them.
//
// Protocol "Cancelling a wait". The waits of a task that a cancel ends early are the channel
// operations, select, sleep and the semaphore's acquire; futures, task groups, wait_idle and the
// mutex are not interrupted (a group's wait must outlive its tasks, which may use the waiter's
// frame; a mutex lock is the start of a critical section, as in Go, where sync.Mutex ignores
// contexts). Cancellation interrupts waiting, never work: an operation that can complete at once
// completes, in a cancelled task too; only where it would wait does it report ECANCELED
// (task_cancelled in C++), as an aborted tokio task stops only at an await that is pending.
//
// Such a wait follows "Waiter" (waiter.hpp) and adds one registration, a cancellable_wait on the
// waiting stack, in a process-wide table of k_stripes lists, each under its own lock:
//   1. arm: after linking its waiter where wakers find it (under the primitive's lock), the task
//      links the registration under its stripe's lock and, under the same lock, asks whether it is
//      cancelled (cancel_requested, cancel_scope.hpp). If it is, it unlinks its waiter from the
//      primitive itself and returns ECANCELED without blocking.
//   2. block, then take the primitive's lock again and decide, in this order: the primitive
//      completed the operation (a value was handed over, a permit granted, a claim won) -> report
//      that, even if the task was cancelled meanwhile (so no value is ever lost or reported
//      twice); the deadline passed -> time out; else rearm: under the stripe lock, ask again
//      whether the task is cancelled -> leave the table in that same critical section and report
//      ECANCELED (the task unlinks itself from the primitive, as on a timeout); else reset the
//      waiter's woken word and block again.
//   3. disarm (the registration's destructor): unlink under the stripe lock, before the frame
//      holding the waiter and the registration goes away.
// A canceller first publishes the cancellation (the cell's k_cancelled, or the scope's flag), then
// visits every stripe under its lock and calls wake() on each registered waiter whose task now
// finds itself cancelled. Why nothing is lost:
//   - a wait registered before the canceller visits its stripe is found and woken; one registered
//     after finds the cancellation in step 1 or in a rearm (the canceller's stripe lock orders its
//     flag before the task's check);
//   - wake() elects one of the event, the deadline and the cancel (woken: 0 -> 1), so the fiber is
//     resumed once; a completer that loses that race to a cancel has still completed the operation
//     under the primitive's lock, and step 2 reports the completion, not the cancellation;
//   - a rearm re-checks and resets woken under the stripe lock, so a cancel between the task's
//     wake-up and its next block either sees woken == 0 and wakes it, or is seen by the re-check;
//   - a task that finds itself cancelled (in step 1 or in a rearm) is out of the table before
//     the stripe lock is dropped: no later cancel (every cancel walks every stripe) can push its
//     fiber, which is running and not going to block, and a push then would resume it at its
//     next, unrelated suspension (seen: a stale push resumed a fiber twice and crashed);
//   - the canceller touches a registration (and through it the waiter) only under the stripe lock,
//     which the task takes in step 3 before its frame goes; the chain of cells and scopes it reads
//     is alive: the task is suspended, so its cell and its group are, and scopes hold their parents.
// A wait of a thread outside any task is never registered (nothing can cancel it).
// A cancel costs a visit of every registered wait in the process: cancels are rare, waits are not,
// so the wait pays one uncontended stripe lock and the cancel pays the walk. Rejected: a list of
// waits per scope (a task's wait would have to register in every scope above it, or each scope keep
// its children), and a pointer from the cell to its current waiter (a scope cancel must reach the
// waits of tasks it has no pointer to).
#pragma once

#include <cstddef>

namespace weft::detail {

struct waiter;
struct task_cell;
struct cancel_scope;

class cancellable_wait {
public:
    cancellable_wait() = default;
    cancellable_wait(const cancellable_wait &) = delete;
    cancellable_wait &operator=(const cancellable_wait &) = delete;
    ~cancellable_wait() { disarm(); }

    // Step 1: registers `w` (already prepared and linked by its primitive) when the caller is a
    // task. False when the task is cancelled: the caller then unlinks w and reports ECANCELED.
    bool arm(waiter &w) noexcept;
    // Step 2, after a wake that completed nothing and did not time out: re-checks, and resets w's
    // woken word when the wait goes on. False when the task is cancelled (the registration is then
    // gone and woken stays set). For a wait that was not registered (not a task) only the reset.
    bool rearm(waiter &w) noexcept;
    // Step 3; also run by the destructor. Idempotent.
    void disarm() noexcept;

    // The list head of one stripe of the table (cancellable_wait.cpp); guarded by its lock.
    struct stripe_head {
        cancellable_wait *head = nullptr;
    };

    // Canceller side (all guarded by the stripe lock).
    waiter *party = nullptr;
    const task_cell *task = nullptr;
    const cancel_scope *scope = nullptr;
    cancellable_wait *prev = nullptr;
    cancellable_wait *next = nullptr;
    std::size_t stripe = 0;
    bool linked = false;

private:
    void link_locked(stripe_head &s) noexcept;
    void unlink_locked(stripe_head &s) noexcept;
};

// The canceller's walk: wakes every registered wait whose task is cancelled.
void wake_cancelled_waits() noexcept;

}  // namespace weft::detail
