// The task cell: one allocation per spawn holding the task header, the closure and the result.
//
// This header is an implementation detail of weft.hpp (templates must see the layout); nothing in
// it is public API. The protocol that governs `state` is described in src/task_cell.cpp under
// "Cell lifecycle".
#pragma once

#include <weft/bits/visibility.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace weft::detail {

struct task_cell;
class scheduler;

// What a cell's closure and result need from the runtime, one table per (closure, result) type.
struct cell_vtable {
    // Moves the closure out, destroys it in place and runs it. Stores the result in the cell
    // (overlaying the closure) and returns nothing; an exception propagates to the caller.
    void (*run)(task_cell *cell);
    // Destroys a stored result. Null when the result is trivially destructible or absent.
    void (*destroy_result)(task_cell *cell);
    // Destroys the closure of a task that will never run (cancelled before it started). Null
    // when the closure is trivially destructible.
    void (*discard_closure)(task_cell *cell);
};

// Bits of task_cell::state. The reference count lives above k_ref_shift.
inline constexpr std::uint32_t k_claimed = 1u << 0;    // someone started (or is about to start) running it
inline constexpr std::uint32_t k_done = 1u << 1;       // result (or exception) published
inline constexpr std::uint32_t k_cancelled = 1u << 2;  // cancellation requested (see "Cancellation scopes", src/cancel_scope.hpp)
inline constexpr std::uint32_t k_waiter = 1u << 3;     // a waiter or continuation is registered in the parking lot
inline constexpr std::uint32_t k_exception = 1u << 4;  // payload holds a std::exception_ptr
inline constexpr std::uint32_t k_consumed = 1u << 5;   // result moved out by future::get
inline constexpr std::uint32_t k_detached = 1u << 6;   // no future: an exception goes to the handler
inline constexpr std::uint32_t k_handle_released = 1u << 7;  // checked builds: the C handle was released (src/c_api.cpp)
inline constexpr std::uint32_t k_promise_set = 1u << 8;  // a promise's value is being (or was) set
inline constexpr std::uint32_t k_ref_shift = 9;
inline constexpr std::uint32_t k_ref = 1u << k_ref_shift;

struct task_cell {
    const cell_vtable *vtable;
    // Written by every party of the cell (runner, future owner, waiters); see "Cell lifecycle".
    std::atomic<std::uint32_t> state;
    // Written once by the spawner before the cell is published; read by whoever runs or frees it.
    std::uint16_t runtime_id;
    // k_heap_cell when it did not come from a pool; above it, a generation that allocate_cell
    // bumps each time it hands the memory out (see "Checked handles" in src/c_api.cpp).
    std::uint16_t flags;
    // Link in the injection queue and in pool free lists. Written by the producer that pushes it,
    // read by the consumer that pops it (ordered by the queue's own release/acquire pairs). While
    // the cell sits in a worker's queue it holds its position there instead, a hint written and
    // read by that queue's owner ("Taking an awaited entry", src/work_stealing_queue.hpp).
    std::atomic<task_cell *> next;

    void *payload() noexcept { return reinterpret_cast<char *>(this) + sizeof(task_cell); }
};
static_assert(sizeof(task_cell) == 24);
inline constexpr std::uint16_t k_heap_cell = 1;
inline constexpr std::uint16_t k_promise_cell = 2;  // completed by a promise, never run
inline constexpr std::uint16_t k_generation_step = 4;  // one allocation, in task_cell::flags above the two flag bits

// Allocation (src/cell_pool.cpp). Throws std::bad_alloc; the cell is uninitialised.
WEFT_CXX_API task_cell *allocate_cell(std::size_t bytes);
WEFT_CXX_API void free_cell_memory(task_cell *cell) noexcept;

// Scheduler entry points used by the templates (src/scheduler.cpp).
WEFT_CXX_API scheduler *current_or_default_scheduler();
WEFT_CXX_API void submit(scheduler *sched, task_cell *cell);  // throws when the runtime is shutting down
WEFT_CXX_API void wait_done(task_cell *cell);
WEFT_CXX_API bool wait_done_until(task_cell *cell, std::int64_t deadline_ns);  // steady clock ns; false on timeout
WEFT_CXX_API void release(task_cell *cell, std::uint32_t extra_bits = 0) noexcept;
WEFT_CXX_API std::uint16_t scheduler_id(scheduler *sched) noexcept;
WEFT_CXX_API bool current_task_cancelled() noexcept;

// Cancellation (src/cancel_scope.cpp; see "Cancellation scopes" there). A scope is what a
// task_group's tasks run in: it is cancelled by the group, or by the task (or the scope) the group
// was created in.
struct cancel_scope;
WEFT_CXX_API void cancel_task(task_cell *cell) noexcept;  // future::cancel, weft_future_cancel
WEFT_CXX_API bool task_cancel_requested(const task_cell *cell) noexcept;
// A scope whose parents are the calling task and the scope it runs in. Throws std::bad_alloc.
WEFT_CXX_API cancel_scope *scope_create();
WEFT_CXX_API void scope_release(cancel_scope *scope) noexcept;
WEFT_CXX_API void scope_cancel(cancel_scope *scope) noexcept;
WEFT_CXX_API bool scope_cancelled(const cancel_scope *scope) noexcept;  // this scope or a parent
// Called by a group's task before it runs the user's callable: makes `scope` the running task's
// scope; false when it is cancelled (the callable must then not run).
WEFT_CXX_API bool scope_enter(cancel_scope *scope) noexcept;

// Promises (src/promise.cpp). A promise cell starts claimed and is never queued.
// begin_fulfil: true for the one caller allowed to write the payload; then fulfil publishes it.
WEFT_CXX_API bool begin_fulfil(task_cell *cell) noexcept;
WEFT_CXX_API void fulfil(task_cell *cell, bool exception) noexcept;
WEFT_CXX_API std::uint16_t current_runtime_id();

// Combinators (src/combinators.cpp): never-queued cells completed when the inputs are.
WEFT_CXX_API task_cell *when_all_cells(task_cell *const *cells, std::size_t n);
WEFT_CXX_API task_cell *when_any_cells(task_cell *const *cells, std::size_t n);

template <class Result>
struct result_layout {
    static constexpr std::size_t size = sizeof(Result);
    static constexpr std::size_t align = alignof(Result);
};
template <>
struct result_layout<void> {
    static constexpr std::size_t size = 0;
    static constexpr std::size_t align = 1;
};
constexpr std::size_t max3(std::size_t a, std::size_t b, std::size_t c) noexcept {
    return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

// The payload is a union of the closure, the result and an exception: the closure is moved to the
// runner's stack before the result is constructed in the same bytes.
template <class Fn, class Result>
struct typed_cell {
    static constexpr std::size_t k_payload =
        max3(sizeof(Fn), result_layout<Result>::size, sizeof(std::exception_ptr));
    // Pool cells are 16-byte aligned, heap cells __STDCPP_DEFAULT_NEW_ALIGNMENT__; the payload
    // starts 24 bytes in, so it is 8-byte aligned.
    static_assert(max3(alignof(Fn), result_layout<Result>::align, 1) <= 8,
                  "weft: closures and results aligned to more than 8 bytes are not supported");
    static constexpr std::size_t k_size = sizeof(task_cell) + ((k_payload + 7) & ~std::size_t{7});

    static void run(task_cell *cell) {
        Fn *slot = static_cast<Fn *>(cell->payload());
        Fn fn(std::move(*slot));
        slot->~Fn();
        if constexpr (std::is_void_v<Result>) {
            std::move(fn)();
        } else {
            ::new (cell->payload()) Result(std::move(fn)());
        }
    }
    static void destroy_result(task_cell *cell) {
        if constexpr (!std::is_void_v<Result>) std::launder(static_cast<Result *>(cell->payload()))->~Result();
    }
    static void discard_closure(task_cell *cell) { std::launder(static_cast<Fn *>(cell->payload()))->~Fn(); }
    static constexpr cell_vtable k_vtable{
        &run,
        (std::is_void_v<Result> || std::is_trivially_destructible_v<std::conditional_t<std::is_void_v<Result>, int, Result>>)
            ? nullptr
            : &destroy_result,
        std::is_trivially_destructible_v<Fn> ? nullptr : &discard_closure};

    // Undoes make() for a cell that was never submitted: destroys the closure, frees the cell.
    static void discard(task_cell *cell) noexcept {
        std::launder(static_cast<Fn *>(cell->payload()))->~Fn();
        free_cell_memory(cell);
    }

    // Builds a cell holding `fn` with `refs` references, not yet submitted.
    static task_cell *make(Fn &&fn, std::uint16_t runtime_id, std::uint32_t refs, std::uint32_t bits) {
        task_cell *cell = allocate_cell(k_size);
        cell->vtable = &k_vtable;
        cell->state.store(refs * k_ref | bits, std::memory_order_relaxed);
        cell->runtime_id = runtime_id;
        cell->next.store(nullptr, std::memory_order_relaxed);
        try {
            ::new (cell->payload()) Fn(std::move(fn));
        } catch (...) {
            free_cell_memory(cell);
            throw;
        }
        return cell;
    }
};

}  // namespace weft::detail
