// weft's C++ API: spawn a callable on a work-stealing runtime, get a future, await it.
#pragma once

#include <weft/bits/deadline.hpp>
#include <weft/bits/task_cancelled.hpp>
#include <weft/bits/task_cell.hpp>
#include <weft/weft.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

struct options {
    unsigned workers = 0;               // 0: WEFT_WORKERS, else the CPUs of the affinity mask; at most 4096
    std::size_t stack_size = 0;         // worker stack in bytes, at least PTHREAD_STACK_MIN; 0: 64 MiB (reserved)
    std::uint32_t queue_capacity = 0;   // per-worker queue slots, a power of two in [2, 2048]; else 256
};

struct stats {
    std::uint64_t spawned = 0;   // tasks created
    std::uint64_t executed = 0;  // tasks finished: run, or skipped (cancelled before they started)
    std::uint64_t stolen = 0;    // tasks moved from one worker's queue to another's
    std::uint64_t parked = 0;    // times a worker went to sleep
    std::uint64_t woken = 0;     // times a sleeping worker was woken for work
};

// Thrown by spawn into a runtime that is shutting down.
class WEFT_CXX_API runtime_closed : public std::runtime_error {
public:
    runtime_closed() : std::runtime_error("weft: spawn into a runtime that is shutting down") {}
};

template <class T>
class future;

namespace detail {
// The closure stored in the cell: the callable itself when there are no arguments (so a lambda
// capturing 8 bytes makes a 32-byte cell), else the callable with its decayed arguments.
template <class F, class... A>
auto bind_task(F &&f, A &&...args) {
    if constexpr (sizeof...(A) == 0 && std::is_class_v<std::decay_t<F>>) {
        return std::decay_t<F>(std::forward<F>(f));
    } else {
        return [fn = std::decay_t<F>(std::forward<F>(f)),
                tup = std::make_tuple(std::forward<A>(args)...)]() mutable -> decltype(auto) {
            return std::apply(std::move(fn), std::move(tup));
        };
    }
}
template <class F>
using task_result_t = std::invoke_result_t<F &>;

template <class Result, class Fn>
future<Result> spawn_on(scheduler *sched, Fn &&fn) {
    task_cell *cell = typed_cell<Fn, Result>::make(std::move(fn), scheduler_id(sched), 2, 0);
    try {
        submit(sched, cell);
    } catch (...) {
        typed_cell<Fn, Result>::discard(cell);
        throw;
    }
    return future<Result>(cell);
}
template <class Fn>
void spawn_detached_on(scheduler *sched, Fn &&fn) {
    task_cell *cell = typed_cell<Fn, void>::make(std::move(fn), scheduler_id(sched), 1, k_detached);
    try {
        submit(sched, cell);
    } catch (...) {
        typed_cell<Fn, void>::discard(cell);
        throw;
    }
}
// Hands a cell to the blocking pool (src/blocking_pool.cpp), counted as a task of sched. Throws
// runtime_closed, or std::system_error (EAGAIN) when no pool thread exists and none can start.
WEFT_CXX_API void submit_blocking(scheduler *sched, task_cell *cell);
template <class Result, class Fn>
future<Result> spawn_blocking_on(scheduler *sched, Fn &&fn) {
    // Claimed from the start: a worker awaiting the future must never run the call inline.
    task_cell *cell = typed_cell<Fn, Result>::make(std::move(fn), scheduler_id(sched), 2, k_claimed);
    try {
        submit_blocking(sched, cell);
    } catch (...) {
        typed_cell<Fn, Result>::discard(cell);
        throw;
    }
    return future<Result>(cell);
}
}  // namespace detail

// The result of a spawned task. Move-only; get() consumes it. Dropping it never cancels the task.
template <class T>
class future {
public:
    future() noexcept = default;
    future(future &&o) noexcept : m_cell(std::exchange(o.m_cell, nullptr)) {}
    future &operator=(future &&o) noexcept {
        if (this != &o) {
            reset();
            m_cell = std::exchange(o.m_cell, nullptr);
        }
        return *this;
    }
    future(const future &) = delete;
    future &operator=(const future &) = delete;
    ~future() { reset(); }

    bool valid() const noexcept { return m_cell != nullptr; }
    bool ready() const noexcept {
        return m_cell && (m_cell->state.load(std::memory_order_acquire) & detail::k_done);
    }
    // Waits; inside a task the task is suspended and its worker runs other tasks meanwhile.
    void wait() const { detail::wait_done(checked()); }
    // Waits at most d; false when the result is still not ready. A negative d only polls; a d too
    // long for the steady clock (milliseconds::max(), centuries) waits as long as wait().
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> d) const {
        return detail::wait_done_until(checked(), detail::deadline_in(d));
    }
    // Requests cancellation: a task that has not started never runs (get() throws task_cancelled);
    // a running one sees this_task_cancelled(), and so do the tasks of every task_group it created;
    // their waits on channels, sleeps and semaphores end with task_cancelled. Idempotent.
    void cancel() noexcept {
        if (m_cell) detail::cancel_task(m_cell);
    }
    bool cancelled() const noexcept {
        return m_cell && (m_cell->state.load(std::memory_order_relaxed) & detail::k_cancelled);
    }
    // Waits, then returns the value or rethrows the task's exception (task_cancelled when the task
    // was cancelled before it started). Inside a cancelled task the wait is not interrupted: the
    // awaited task is not cancelled by it. Leaves the future invalid,
    // also when T's move constructor throws: the stored result is then destroyed and the
    // exception propagates.
    T get() {
        detail::task_cell *cell = checked();
        if (!(cell->state.load(std::memory_order_acquire) & detail::k_done)) detail::wait_done(cell);
        m_cell = nullptr;
        const std::uint32_t s = cell->state.load(std::memory_order_acquire);
        if (s & detail::k_exception) {
            std::exception_ptr e = *std::launder(static_cast<std::exception_ptr *>(cell->payload()));
            detail::release(cell);
            std::rethrow_exception(std::move(e));
        }
        if constexpr (std::is_void_v<T>) {
            detail::release(cell);
        } else {
            // The guard runs after the return value is built from the slot, or after that move
            // threw: either way the stored result is destroyed here, exactly once.
            struct consumer {
                detail::task_cell *c;
                T *slot;
                ~consumer() {
                    slot->~T();
                    detail::release(c, detail::k_consumed);
                }
            } guard{cell, std::launder(static_cast<T *>(cell->payload()))};
            return T(std::move(*guard.slot));
        }
    }

    // Interop with the C ABI and combinators: the cell this future owns a reference to.
    detail::task_cell *native_handle() const noexcept { return m_cell; }
    explicit future(detail::task_cell *cell) noexcept : m_cell(cell) {}

private:
    detail::task_cell *checked() const {
        if (!m_cell) throw std::logic_error("weft::future: no state");
        return m_cell;
    }
    void reset() noexcept {
        if (m_cell) detail::release(std::exchange(m_cell, nullptr));
    }
    detail::task_cell *m_cell = nullptr;
};

// A set of worker threads with their queues. Several may exist; a task runs on the runtime it
// was spawned on. The constructor throws std::invalid_argument for more than 4096 workers or a
// stack_size below PTHREAD_STACK_MIN, std::system_error when threads cannot start, std::bad_alloc;
// no thread is left running then. The worker count defaults to WEFT_WORKERS, else to the CPUs in
// the process's affinity mask.
class WEFT_CXX_API runtime {
public:
    explicit runtime(options opts = {});
    // Runs every task spawned so far (and what they spawn), then joins the workers. From one of
    // this runtime's own tasks it cannot wait for itself: it then returns at once and a separate
    // thread finishes the shutdown after the calling task returns (the tasks still run; the
    // runtime object must not be used any more).
    ~runtime();
    // Like the destructor, but the object stays: later spawns throw runtime_closed. Throws
    // std::logic_error when called from one of this runtime's own tasks. Repeating it is harmless.
    void shutdown();
    runtime(const runtime &) = delete;
    runtime &operator=(const runtime &) = delete;

    template <class F, class... A>
    auto spawn(F &&f, A &&...args) {
        auto fn = detail::bind_task(std::forward<F>(f), std::forward<A>(args)...);
        using R = detail::task_result_t<decltype(fn)>;
        return detail::spawn_on<R>(m_sched, std::move(fn));
    }
    template <class F, class... A>
    void spawn_detached(F &&f, A &&...args) {
        detail::spawn_detached_on(m_sched, detail::bind_task(std::forward<F>(f), std::forward<A>(args)...));
    }
    // Runs f(args...) on the blocking pool, never on a worker; see weft::spawn_blocking.
    template <class F, class... A>
    auto spawn_blocking(F &&f, A &&...args) {
        auto fn = detail::bind_task(std::forward<F>(f), std::forward<A>(args)...);
        using R = detail::task_result_t<decltype(fn)>;
        return detail::spawn_blocking_on<R>(m_sched, std::move(fn));
    }
    // Returns when every task spawned so far, and everything those spawned, has finished. Inside a
    // task it does not wait for the tasks on its own stack, but it does wait for a task that
    // awaits the caller (the task that spawned it and awaits its future, say): the two then wait
    // for each other for ever. Call it from code that owns the whole run, not from awaited tasks.
    void wait_idle();
    unsigned workers() const noexcept;
    weft::stats stats() const noexcept;

    detail::scheduler *native_handle() const noexcept { return m_sched; }

private:
    detail::scheduler *m_sched;
};

// Inside a task: spawn on that task's runtime. Elsewhere: on the default runtime (started lazily).
template <class F, class... A>
auto spawn(F &&f, A &&...args) {
    auto fn = detail::bind_task(std::forward<F>(f), std::forward<A>(args)...);
    using R = detail::task_result_t<decltype(fn)>;
    return detail::spawn_on<R>(detail::current_or_default_scheduler(), std::move(fn));
}
template <class F, class... A>
void spawn_detached(F &&f, A &&...args) {
    detail::spawn_detached_on(detail::current_or_default_scheduler(),
                              detail::bind_task(std::forward<F>(f), std::forward<A>(args)...));
}
// For a call that blocks its thread (a file read, a DNS lookup, a C library that sleeps): runs
// f(args...) on a separate pool of threads, never on a worker, and returns its future (awaited,
// and throwing what f threw, like any other). The pool grows on demand up to WEFT_BLOCKING_THREADS
// threads (default 512; beyond that jobs queue) and a thread idle for 10 s exits. The job counts
// as a task of the current task's runtime (else the default one): wait_idle and shutdown wait
// for it. Throws runtime_closed, or std::system_error (EAGAIN) when no thread can be started.
template <class F, class... A>
auto spawn_blocking(F &&f, A &&...args) {
    auto fn = detail::bind_task(std::forward<F>(f), std::forward<A>(args)...);
    using R = detail::task_result_t<decltype(fn)>;
    return detail::spawn_blocking_on<R>(detail::current_or_default_scheduler(), std::move(fn));
}
// Waits until the current task's runtime (or the default runtime) has no task left; inside a
// task, as runtime::wait_idle.
WEFT_CXX_API void wait_idle();

// Inside a task: whether it was cancelled: its future's cancel(), or the cancel() of the
// task_group it runs in, or of any group or task that group was created in. False outside tasks.
inline bool this_task_cancelled() noexcept { return detail::current_task_cancelled(); }

// Receives exceptions that escape detached tasks. The default prints what() to stderr.
using exception_handler = std::function<void(std::exception_ptr)>;
WEFT_CXX_API void set_exception_handler(exception_handler handler);

namespace detail {
// The cells of the combinators' inputs; std::logic_error for an empty (default-constructed or
// moved-from) future, which has no result to wait for.
template <class T>
std::vector<task_cell *> input_cells(const std::vector<future<T>> &futures, const char *what) {
    std::vector<task_cell *> cells;
    cells.reserve(futures.size());
    for (const auto &f : futures) {
        if (!f.valid()) throw std::logic_error(what);
        cells.push_back(f.native_handle());
    }
    return cells;
}
}  // namespace detail

// Resolves when every input is ready. The inputs stay valid and keep their results.
// Throws std::logic_error when an input is empty (default-constructed, moved from or consumed).
template <class T>
future<void> when_all(const std::vector<future<T>> &futures) {
    const auto cells = detail::input_cells(futures, "weft::when_all: an input future has no state");
    return future<void>(detail::when_all_cells(cells.data(), cells.size()));
}
// Resolves to the index of the first input found ready. The inputs stay valid.
// Throws std::logic_error when an input is empty, like when_all, and std::invalid_argument when
// there are no inputs (no index could ever be the answer; the C API gives EINVAL).
template <class T>
future<std::size_t> when_any(const std::vector<future<T>> &futures) {
    if (futures.empty()) throw std::invalid_argument("weft::when_any: no input futures");
    const auto cells = detail::input_cells(futures, "weft::when_any: an input future has no state");
    return future<std::size_t>(detail::when_any_cells(cells.data(), cells.size()));
}

// Spawns tasks and waits for all of them; wait() rethrows the first exception a task threw.
// A group created inside a task belongs to it: cancelling that task (or the group that task runs
// in) cancels the group too. cancel() reaches every task of the group and of the groups those tasks
// create: a task not started yet never runs, a running one sees this_task_cancelled(), and its
// waits on channels, sleeps and semaphores end with task_cancelled. A cancelled group stays
// cancelled: later spawns into it do not run. wait() still waits for every task that did start,
// and does not rethrow the task_cancelled of the group's own cancellation.
class WEFT_CXX_API task_group {
public:
    task_group();  // throws std::bad_alloc
    explicit task_group(runtime &rt);
    ~task_group();
    task_group(const task_group &) = delete;
    task_group &operator=(const task_group &) = delete;

    template <class F>
    void spawn(F &&f) {
        begin_task();
        try {
            detail::spawn_detached_on(m_sched, [this, fn = std::forward<F>(f)]() mutable {
                {
                    // The callable dies before end_task(): once wait() returns, nothing the
                    // group's tasks captured is still alive.
                    std::decay_t<F> local(std::move(fn));
                    if (detail::scope_enter(m_scope)) {
                        try {
                            local();
                        } catch (...) {
                            record_exception(std::current_exception());
                        }
                    }
                }
                end_task();
            });
        } catch (...) {
            end_task();
            throw;
        }
    }
    void wait();
    // Cancels the group's tasks, those already spawned and those spawned later. Any thread.
    void cancel() noexcept;
    // Whether cancel() was called on this group, or on the task or group it belongs to.
    bool cancelled() const noexcept;

private:
    void begin_task() noexcept;
    void end_task() noexcept;
    void record_exception(std::exception_ptr e) noexcept;
    detail::scheduler *m_sched;
    // The scope the group's tasks run in: owned by the group (one reference).
    detail::cancel_scope *m_scope;
    // Unfinished tasks, plus k_waiting_bit once a waiter subscribed; see "Group countdown" in
    // src/runtime_api.cpp. Written by spawners, finishing tasks and waiters; read by wait().
    std::atomic<std::uint32_t> m_pending{0};
    std::atomic<bool> m_has_error{false};
    std::exception_ptr m_error;               // written once, by the task that set m_has_error
};

}  // namespace weft

#include <weft/mutex.hpp>
#include <weft/promise.hpp>
#include <weft/channel.hpp>
#include <weft/sleep.hpp>
