// Fibers: the stacks a worker switches between so that a waiting task does not hold its worker.
//
// Protocol "Suspension". A task runs on whatever stack its worker is on: the thread's own stack
// at first. When the task must wait (and cannot make the awaited thing ready by running it right
// here, see "Waiting in a task" in waiter.hpp), the worker leaves the task's stack as it is and
// switches to another stack that runs the worker loop: a fiber that is ready to resume (its wait
// is over), or an idle loop fiber, or a new one from the stack pool. The waiting task's fiber is
// known only to its waiter; whoever ends the wait pushes the fiber on its worker's inbox and
// unparks that worker. The worker's loop looks at its ready fibers before its queue and before
// parking, and switches to them; the loop fiber it leaves goes on the worker's idle list, parked
// at the top of its loop, to be taken the next time a task suspends. So a task that never waits
// costs no stack switch at all, and a fiber only exists for as long as some task on it is suspended
// (or as a pooled loop fiber).
//
// Pinning: a suspended task resumes on the worker it suspended on. The compiler may keep the
// address of a thread-local (t_context, the cell pool, errno) in a register or on the stack across
// a call, and a call that suspends would then resume on another thread with a stale address.
// Pinning makes every thread-local, errno included, behave inside a task exactly as it does in
// plain code on one thread: it survives the suspension, but other tasks of the same worker may
// run (and change it) while the task is suspended, as with any blocking call. Only the worker
// ever switches to one of its fibers, so a fiber is never resumed before it has finished
// switching away. The cost: a woken task waits for its own worker to reach its loop (or park),
// and a suspended task is not stolen.
//
// The cooperative budget. Pinning has a second cost: a task that keeps its worker busy holds off
// every task woken on that worker, even while other workers idle. A task that computes without
// waiting is the user's to break up (README, "Rules for tasks"), but a task whose channel
// operations or selects keep completing at once looks like a task that waits, and it may be the
// one that keeps a woken task's partner busy (a producer looping on a select that a consumer on the
// other worker keeps ready). So every such operation spends from a budget, and every
// k_coop_budget-th one yields when fibers woken on this worker are waiting (or one of its timed waits
// is due, which only the loop turns into a woken fiber), as tokio's budget makes
// a task return Pending after a number of operations that completed at once. A yield costs two
// switches, and only when someone was waiting for the worker.
//
// The thread's own stack is the deep one (k_default_stack_size); fibers are k_fiber_stack_bytes.
// Whenever the thread's stack is idle, the loop moves back onto it, and an awaited task is run
// inline only while the current stack has k_inline_headroom left (waiter.cpp), so await chains
// spread over fibers instead of overflowing one; only plain recursion inside one task is bounded by
// the stack it happens to run on.
//
// Invariants (per worker, all owner-only except the inbox):
//   exactly one fiber is running (m_current); every other fiber of the worker is in exactly one of:
//   the idle list (or m_main_idle for the thread's stack), the ready FIFO, the inbox, the yielded
//   FIFO, or referenced by exactly one waiter that has not been woken yet;
//   a fiber in the idle list is parked inside switch_to_waiting() and holds no task.
// Rejected: a stack per task (every spawn pays for a stack it rarely needs), resuming on any worker
// (unsafe with the compiler's caching of thread-local addresses), and stack copying (a copy per
// switch, and pointers into the stack break).
#pragma once

#include "platform/context_switch.hpp"
#include "platform/sanitizers.hpp"
#include "suspend/stack_pool.hpp"
#include "suspend/timer_heap.hpp"
#include "sync.hpp"

#include <cstddef>
#include <cstdint>

namespace weft::detail {

struct worker;
class scheduler;
struct task_cell;
struct cancel_scope;

struct fiber {
    void *sp = nullptr;       // saved context while switched out (owner worker only)
    fiber *next = nullptr;    // link in the idle list, the ready or yielded FIFO, or the inbox
    worker *home = nullptr;   // written at creation
    stack_region stack;       // pool stack; empty for the thread's own stack
    char *low = nullptr;      // extent of the stack, for the headroom check and ASan
    std::size_t size = 0;
    // Frames above it may still run an awaited task inline (has_inline_room); set with low, from
    // it and k_inline_headroom. The highest address while the extent is unknown: never inline.
    const char *inline_floor = reinterpret_cast<const char *>(~std::uintptr_t{0});
    // The thread context (t_context) of this fiber while it is switched out.
    scheduler *saved_sched = nullptr;
    task_cell *saved_current = nullptr;
    cancel_scope *saved_scope = nullptr;
    std::uint32_t saved_depth = 0;
    void *saved_local = nullptr;
    void *tsan_fiber = nullptr;
    void *asan_fake_stack = nullptr;
#if !defined(__x86_64__) || defined(WEFT_UCONTEXT_SWITCH)
    alignas(16) unsigned char context_storage[k_context_storage];
#endif
    // Last, so that an overflow of the stack above reaches it first (fiber.cpp, k_canary).
    std::uint64_t canary = 0;
};

// The suspension state of one worker; see "Suspension". Owner-only except push_woken.
class worker_fibers {
public:
    // On the worker thread, before its loop: the thread's own stack becomes the running fiber.
    void attach(worker &w) noexcept;
    // On the worker thread's own stack, after its loop: gives back every pooled fiber.
    void detach() noexcept;

    fiber *current() const noexcept { return m_current; }
    // Whether the running stack has k_inline_headroom left below the caller's frame.
    bool has_inline_room() const noexcept;  // inline below: on every await's fast path

    // Task side. Switches away from the running fiber, which a waiter (or the yielded FIFO)
    // references, to a ready fiber or a loop fiber; returns once the running fiber is resumed.
    void suspend() noexcept;
    // Puts the running fiber on the yielded FIFO and suspends it.
    void yield() noexcept;
    // Task side: counts an operation that may have completed without waiting; see "The cooperative
    // budget". Yields every k_coop_budget-th time when woken fibers are waiting or a timer is due.
    void spend_budget() noexcept;

    // Loop side. Resumes a ready fiber, or moves the loop back onto the thread's idle stack; the
    // fiber left goes on the idle list. True once this fiber has been resumed again.
    bool switch_to_waiting() noexcept;
    // Ends the loop: from a pool fiber, switches to the thread's stack for good.
    void leave_for_exit() noexcept;
    // Yielded fibers become ready (after the loop ran a task, or found none).
    void promote_yielded() noexcept;
    bool has_ready() const noexcept;
    // Asks the loop to take one task from its queue before the next ready fiber (fairness).
    bool take_queue_first() noexcept;

    // Wakers (any thread). The caller then unparks the worker.
    void push_woken(fiber *f) noexcept;
    // The owner's own wake (timers): straight onto the ready FIFO.
    void push_ready_local(fiber *f) noexcept;

    timer_heap timers;  // owner-only: deadlines of this worker's suspended timed waits

private:
    struct fifo {
        fiber *head = nullptr;
        fiber *tail = nullptr;
        bool empty() const noexcept { return head == nullptr; }
        void push(fiber *f) noexcept;
        fiber *pop() noexcept;
    };
    fiber *pop_ready() noexcept;
    fiber *make_fiber() noexcept;
    static void set_extent(fiber *f, char *low, std::size_t size) noexcept;
    void destroy_fiber(fiber *f) noexcept;
    void make_idle(fiber *f) noexcept;
    void switch_to(fiber *to) noexcept;

    worker *m_worker = nullptr;
    fiber m_main;                  // the worker thread's own stack
    fiber *m_current = &m_main;    // m_main, without a known extent, until attach
    bool m_main_idle = false;      // the thread's stack is parked in switch_to_waiting
    bool m_queue_first = false;    // see take_queue_first
    std::uint32_t m_budget_spent = 0;  // operations since the last budget check (owner only)
    std::uint32_t m_switches = 0;  // suspensions, for the fairness interval
    fiber *m_idle = nullptr;       // idle loop fibers (LIFO: the warmest stack first)
    std::uint32_t m_idle_count = 0;
    fifo m_ready;                  // woken fibers, in wake order
    fifo m_yielded;                // fibers that yielded, resumed after the loop ran a task
    // Woken fibers pushed by other threads (a lock-free stack); the owner takes it whole with one
    // exchange. Written by wakers and the owner; read by the owner.
    alignas(k_cache_line) atomic<fiber *> m_inbox{nullptr};
};

inline bool worker_fibers::has_inline_room() const noexcept {
    return static_cast<const char *>(__builtin_frame_address(0)) > m_current->inline_floor;
}

}  // namespace weft::detail
