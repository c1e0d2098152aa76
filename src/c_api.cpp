// The C ABI shims: argument checks, errno, and no C++ exception ever crossing the boundary.
#include "api/c_handles.hpp"
#include "combinators.hpp"
#include "platform/sanitizers.hpp"
#include "scheduler.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <system_error>
#include <utility>
#include <vector>


using weft::detail::task_cell;

struct weft_future {};  // never defined in full: a weft_future* is a task_cell*, maybe tagged

// Protocol "Checked handles". In debug and AddressSanitizer builds a handle is checked at every
// entry point, so that a released handle (released twice, used after weft_await or
// weft_future_then consumed it) stops the program with a message instead of silently releasing
// whatever lives in that memory now. A released handle points at a cell that is either still alive
// (a worker or a combinator holds a reference), free (poisoned under ASan, see "Poisoned free cells"
// in cell_pool.hpp, and with a zero count), or handed out again to another future. To tell the
// last case, a checked handle carries the cell's generation (the bits of task_cell::flags above
// k_heap_cell, bumped by every allocation) in its top 16 bits, which Linux leaves zero in user-space
// addresses; for the first, releasing or consuming a handle sets k_handle_released in the cell's
// state. A cell handed out a multiple of 2^14 times since the handle was made escapes the
// generation check.
// Release builds pass cells unchanged and check nothing: using a released handle is undefined there.
// Rejected: a registry of live handles (a lock on every call, and a reused cell looks live again).
namespace {

#if !defined(NDEBUG) || defined(WEFT_ASAN)
constexpr bool k_checked_handles = true;
#else
constexpr bool k_checked_handles = false;
#endif

constexpr int k_tag_shift = 48;
constexpr std::uintptr_t k_address_mask = (std::uintptr_t{1} << k_tag_shift) - 1;

std::uintptr_t generation_of(const task_cell *cell) noexcept { return cell->flags / weft::detail::k_generation_step; }

[[noreturn]] void dead_handle(const char *function, const char *why) noexcept {
    std::fprintf(stderr, "weft: %s: %s\n", function, why);
    std::abort();
}

bool is_free_memory(const task_cell *cell) noexcept {
#if defined(WEFT_ASAN)
    return __asan_address_is_poisoned(&cell->state) != 0;
#else
    (void)cell;
    return false;
#endif
}

// The cell behind a non-NULL handle, checked in checked builds.
task_cell *cell_of(const weft_future *f, const char *function) noexcept {
    const auto bits = reinterpret_cast<std::uintptr_t>(f);
    if constexpr (!k_checked_handles) {
        (void)function;
        return reinterpret_cast<task_cell *>(bits);
    } else {
        auto *cell = reinterpret_cast<task_cell *>(bits & k_address_mask);
        if (is_free_memory(cell)) dead_handle(function, "the future was already released (its memory is free)");
        if ((bits >> k_tag_shift) != generation_of(cell))
            dead_handle(function, "the future was already released (its memory now holds another future)");
        const std::uint32_t s = cell->state.load(std::memory_order_relaxed);
        if ((s & weft::detail::k_handle_released) || (s >> weft::detail::k_ref_shift) == 0)
            dead_handle(function, "the future was already released");
        return cell;
    }
}

// The cell behind a handle that this call consumes (release, await, then).
task_cell *take_cell(weft_future *f, const char *function) noexcept {
    task_cell *cell = cell_of(f, function);
    if constexpr (k_checked_handles) {
        // The read-modify-write also catches two threads releasing the same handle at once.
        if (cell->state.fetch_or(weft::detail::k_handle_released, std::memory_order_relaxed) &
            weft::detail::k_handle_released)
            dead_handle(function, "the future was already released");
    }
    return cell;
}

weft_future *handle_of(task_cell *cell) noexcept {
    auto bits = reinterpret_cast<std::uintptr_t>(cell);
    if constexpr (k_checked_handles) {
        if (bits & ~k_address_mask) dead_handle("weft", "a task cell above 2^48 cannot carry a checked handle");
        bits |= generation_of(cell) << k_tag_shift;
    }
    return reinterpret_cast<weft_future *>(bits);
}

// A weft_task_fn written in C++ may throw: execute_claimed stores the exception in the cell as
// for any task, and the entry points below report it as k_task_failed.
struct c_task {
    weft_task_fn fn;
    void *arg;
    void *operator()() const { return fn(arg); }
};
struct c_detached_task {
    weft_detached_fn fn;
    void *arg;
    void operator()() const { fn(arg); }
};
// The map task of weft_future_then. It owns the input's reference: the call releases it, and so
// does the destructor of a closure that never ran (a map task cancelled before it started, or a
// cell discarded after a failed submit). Moves hand the reference over.
struct c_then_task {
    weft_task_fn map;
    task_cell *source;
    c_then_task(weft_task_fn m, task_cell *s) noexcept : map(m), source(s) {}
    c_then_task(c_then_task &&other) noexcept : map(other.map), source(std::exchange(other.source, nullptr)) {}
    c_then_task(const c_then_task &) = delete;
    c_then_task &operator=(const c_then_task &) = delete;
    c_then_task &operator=(c_then_task &&) = delete;
    ~c_then_task() {
        if (source) weft::detail::release(source);
    }
    void *operator()() {
        task_cell *const input = std::exchange(source, nullptr);
        // Acquire pairs with the release that published k_done in complete(). An input that threw
        // has no value: this task fails with the same exception and map is not called.
        if (input->state.load(std::memory_order_acquire) & weft::detail::k_exception) {
            std::exception_ptr e = *std::launder(static_cast<std::exception_ptr *>(input->payload()));
            weft::detail::release(input);
            std::rethrow_exception(std::move(e));
        }
        void *value = *static_cast<void **>(input->payload());
        weft::detail::release(input);
        return map(value);
    }
};

// What weft_await and friends report for a task that threw (weft.h).
constexpr int k_task_failed = ECANCELED;

int errno_of_current_exception() noexcept {
    try {
        throw;
    } catch (const std::bad_alloc &) {
        return ENOMEM;
    } catch (const weft::runtime_closed &) {
        return ECANCELED;
    } catch (const std::system_error &e) {
        return e.code().value() ? e.code().value() : EAGAIN;
    } catch (...) {
        return EINVAL;
    }
}

// Whether a done cell's task threw. Acquire pairs with the release that published k_done.
bool threw(const task_cell *cell) noexcept {
    return (cell->state.load(std::memory_order_acquire) & weft::detail::k_exception) != 0;
}

// The result of a done cell: its value, or NULL with errno k_task_failed when the task threw.
// The waits below may make system calls (futex, a switch to other tasks) that change errno;
// weft.h promises that a task that returned a value leaves errno as the caller set it.
void wait_keeping_errno(task_cell *cell) {
    const int saved_errno = errno;
    weft::detail::wait_done(cell);
    errno = saved_errno;
}

void *result_of(task_cell *cell) noexcept {
    if (threw(cell)) {
        errno = k_task_failed;
        return nullptr;
    }
    return *static_cast<void **>(cell->payload());
}

// weft_spawn and weft_spawn_blocking: a cell for fn(arg) with the future's and the queue's
// references, handed to `submit`; NULL with errno on failure, the closure then discarded.
template <class Submit>
weft_future *spawn_c_task(weft_task_fn fn, void *arg, std::uint32_t bits, Submit submit) noexcept {
    if (!fn) {
        errno = EINVAL;
        return nullptr;
    }
    using cell_type = weft::detail::typed_cell<c_task, void *>;
    try {
        weft::detail::scheduler *sched = weft::detail::current_or_default_scheduler();
        task_cell *cell = cell_type::make(c_task{fn, arg}, sched->id(), 2, bits);
        try {
            submit(sched, cell);
        } catch (...) {
            cell_type::discard(cell);
            throw;
        }
        return handle_of(cell);
    } catch (...) {
        errno = errno_of_current_exception();
        return nullptr;
    }
}

// weft_future_then of a future whose task has finished: the mapped task is spawned at once, like
// any spawn, on the input's runtime: the default runtime starts again if it was shut down, and a
// runtime that is shutting down (or gone) refuses it with ECANCELED. This path never leaves a task
// in the queue of a stopped runtime, where it would wait forever.
weft_future *then_of_done(task_cell *source, weft_task_fn map) noexcept {
    task_cell *mapped = nullptr;
    bool source_handed_over = false;  // to the closure, which releases it from then on
    try {
        weft::detail::scheduler *sched = weft::detail::scheduler::from_id(source->runtime_id);
        if (sched && sched == weft::detail::default_scheduler_if_created()) sched = &weft::detail::default_scheduler();
        if (!sched) throw weft::runtime_closed();
        source_handed_over = true;
        mapped = weft::detail::typed_cell<c_then_task, void *>::make(c_then_task{map, source}, sched->id(), 2, 0);
        sched->submit(mapped);
        return handle_of(mapped);
    } catch (...) {
        if (mapped) weft::detail::typed_cell<c_then_task, void *>::discard(mapped);
        if (!source_handed_over) weft::detail::release(source);
        errno = errno_of_current_exception();
        return nullptr;
    }
}

}  // namespace

namespace weft::detail {
weft_future *c_handle_of(task_cell *cell) noexcept { return handle_of(cell); }
task_cell *c_cell_of(const weft_future *f, const char *function) noexcept { return cell_of(f, function); }
}  // namespace weft::detail

extern "C" {

int weft_init(unsigned workers) {
    try {
        weft::detail::default_scheduler_unstarted().start({workers, 0, 0});
        return 0;
    } catch (...) {
        return errno_of_current_exception();
    }
}

void weft_shutdown(void) {
    weft::detail::scheduler *s = weft::detail::default_scheduler_if_created();
    if (!s) return;
    if (s->inside_own_task()) {
        errno = EDEADLK;  // it would wait for the calling task and join its thread
        return;
    }
    try {
        s->stop();
    } catch (...) {
        errno = errno_of_current_exception();
    }
}

unsigned weft_workers(void) {
    try {
        return weft::detail::default_scheduler().worker_count();
    } catch (...) {
        return 0;
    }
}

weft_future *weft_spawn(weft_task_fn fn, void *arg) {
    return spawn_c_task(fn, arg, 0, [](weft::detail::scheduler *sched, task_cell *cell) { sched->submit(cell); });
}

int weft_spawn_detached(weft_detached_fn fn, void *arg) {
    if (!fn) return EINVAL;
    try {
        weft::detail::spawn_detached_on(weft::detail::current_or_default_scheduler(), c_detached_task{fn, arg});
        return 0;
    } catch (...) {
        return errno_of_current_exception();
    }
}

weft_future *weft_spawn_blocking(weft_task_fn fn, void *arg) {
    // Claimed from the start: a worker awaiting the future must never run the call inline.
    return spawn_c_task(fn, arg, weft::detail::k_claimed, &weft::detail::submit_blocking);
}

void weft_wait_all(void) {
    try {
        weft::detail::scheduler *s = weft::detail::t_context.sched;
        if (!s) s = weft::detail::default_scheduler_if_created();
        if (s) s->wait_idle();
    } catch (...) {
    }
}

void *weft_await(weft_future *f) {
    if (!f) {
        errno = EINVAL;
        return nullptr;
    }
    task_cell *cell = take_cell(f, "weft_await");
    wait_keeping_errno(cell);
    void *value = result_of(cell);
    weft::detail::release(cell);
    return value;
}

void *weft_future_get(weft_future *f) {
    if (!f) {
        errno = EINVAL;
        return nullptr;
    }
    task_cell *cell = cell_of(f, "weft_future_get");
    wait_keeping_errno(cell);
    return result_of(cell);
}

int weft_future_get_timeout(weft_future *f, int timeout_ms, void **result) {
    if (!f) return EINVAL;
    task_cell *cell = cell_of(f, "weft_future_get_timeout");
    const std::int64_t deadline =
        timeout_ms < 0 ? -1 : weft::detail::deadline_after(std::chrono::milliseconds(timeout_ms));
    const int saved_errno = errno;
    const bool done = weft::detail::wait_done_until(cell, deadline);
    errno = saved_errno;
    if (!done) return ETIMEDOUT;
    const bool failed = threw(cell);
    if (result) *result = failed ? nullptr : *static_cast<void **>(cell->payload());
    return failed ? k_task_failed : 0;
}

int weft_future_is_ready(const weft_future *f) {
    return f && (cell_of(f, "weft_future_is_ready")->state.load(std::memory_order_acquire) & weft::detail::k_done)
               ? 1
               : 0;
}

void weft_future_release(weft_future *f) {
    if (f) weft::detail::release(take_cell(f, "weft_future_release"));
}

void weft_future_cancel(weft_future *f) {
    if (f) weft::detail::cancel_task(cell_of(f, "weft_future_cancel"));
}

int weft_future_is_cancelled(const weft_future *f) {
    return f && (cell_of(f, "weft_future_is_cancelled")->state.load(std::memory_order_relaxed) &
                 weft::detail::k_cancelled)
               ? 1
               : 0;
}

int weft_task_cancelled(void) { return weft::detail::current_task_cancelled() ? 1 : 0; }

static weft_future *combine(weft_future *const *futures, size_t n, bool any) {
    if ((n > 0 && !futures) || (any && n == 0)) {
        errno = EINVAL;
        return nullptr;
    }
    for (size_t i = 0; i < n; ++i) {
        if (!futures[i]) {
            errno = EINVAL;
            return nullptr;
        }
    }
    try {
        std::vector<task_cell *> checked;
        if constexpr (k_checked_handles) {
            checked.reserve(n);
            for (size_t i = 0; i < n; ++i) checked.push_back(cell_of(futures[i], any ? "weft_when_any" : "weft_when_all"));
        }
        auto cells = k_checked_handles ? checked.data() : reinterpret_cast<task_cell *const *>(futures);
        return handle_of(any ? weft::detail::when_any_cells(cells, n) : weft::detail::when_all_cells(cells, n));
    } catch (...) {
        errno = errno_of_current_exception();
        return nullptr;
    }
}

weft_future *weft_when_all(weft_future *const *futures, size_t n) { return combine(futures, n, false); }

weft_future *weft_when_any(weft_future *const *futures, size_t n) { return combine(futures, n, true); }

weft_future *weft_future_then(weft_future *f, weft_task_fn map) {
    if (!f || !map) {
        if (f) weft_future_release(f);
        errno = EINVAL;
        return nullptr;
    }
    task_cell *source = take_cell(f, "weft_future_then");
    if (source->state.load(std::memory_order_acquire) & weft::detail::k_done) return then_of_done(source, map);
    // Built claimed, so that nobody awaiting it can run it inline before its input is done;
    // submit_when_ready clears the claim as it submits it.
    using mapped_cell = weft::detail::typed_cell<c_then_task, void *>;
    task_cell *mapped = nullptr;
    try {
        mapped = mapped_cell::make(c_then_task{map, source}, source->runtime_id, 2, weft::detail::k_claimed);
        weft::detail::submit_when_ready(source, mapped);
        return handle_of(mapped);
    } catch (...) {
        // Nothing was submitted: the mapped cell, when made, is only ours. The closure owned the
        // input from the call to make on, and its destruction (in make or in discard) released it.
        if (mapped) mapped_cell::discard(mapped);
        errno = errno_of_current_exception();
        return nullptr;
    }
}

weft_stats_t weft_stats(void) {
    std::uint64_t c[5] = {};
    if (weft::detail::scheduler *s = weft::detail::default_scheduler_if_created()) s->collect_stats(c);
    return {c[0], c[1], c[2], c[3], c[4]};
}

}  // extern "C"
