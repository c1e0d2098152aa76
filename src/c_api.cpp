// The C ABI shims: argument checks, errno, and no C++ exception ever crossing the boundary.
#include "combinators.hpp"
#include "scheduler.hpp"

#include <weft/weft.h>
#include <weft/weft.hpp>

#include <cassert>
#include <cerrno>
#include <climits>
#include <new>
#include <system_error>

using weft::detail::task_cell;

struct weft_future {};  // never defined in full: a weft_future* is a task_cell*

namespace {

task_cell *cell_of(const weft_future *f) noexcept {
    auto *cell = reinterpret_cast<task_cell *>(const_cast<weft_future *>(f));
    // Debug builds catch most uses of a released handle: a freed cell has no reference left.
    assert(!cell || (cell->state.load(std::memory_order_relaxed) >> weft::detail::k_ref_shift) != 0);
    return cell;
}
weft_future *handle_of(task_cell *cell) noexcept { return reinterpret_cast<weft_future *>(cell); }

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
struct c_then_task {
    weft_task_fn map;
    task_cell *source;
    void *operator()() const {
        void *value = *static_cast<void **>(source->payload());
        weft::detail::release(source);
        return map(value);
    }
};

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

void *result_of(task_cell *cell) noexcept {
    const std::uint32_t s = cell->state.load(std::memory_order_acquire);
    if (s & weft::detail::k_exception) return nullptr;
    return *static_cast<void **>(cell->payload());
}

}  // namespace

extern "C" {

int weft_init(unsigned workers) {
    try {
        weft::detail::default_scheduler_unstarted().start({workers, 0, 0});
        return 0;
    } catch (...) {
        return errno_of_current_exception();
    }
}

void weft_shutdown(void) { weft::detail::default_scheduler_unstarted().stop(); }

unsigned weft_workers(void) {
    try {
        return weft::detail::default_scheduler().worker_count();
    } catch (...) {
        return 0;
    }
}

weft_future *weft_spawn(weft_task_fn fn, void *arg) {
    if (!fn) {
        errno = EINVAL;
        return nullptr;
    }
    try {
        weft::detail::scheduler *sched = weft::detail::current_or_default_scheduler();
        task_cell *cell = weft::detail::typed_cell<c_task, void *>::make(c_task{fn, arg}, sched->id(), 2, 0);
        try {
            sched->submit(cell);
        } catch (...) {
            weft::detail::typed_cell<c_task, void *>::discard(cell);
            throw;
        }
        return handle_of(cell);
    } catch (...) {
        errno = errno_of_current_exception();
        return nullptr;
    }
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
    if (!fn) {
        errno = EINVAL;
        return nullptr;
    }
    try {
        weft::detail::scheduler *sched = weft::detail::current_or_default_scheduler();
        task_cell *cell = weft::detail::typed_cell<c_task, void *>::make(c_task{fn, arg}, sched->id(), 2,
                                                                        weft::detail::k_claimed);
        try {
            weft::detail::submit_blocking(sched, cell);
        } catch (...) {
            weft::detail::typed_cell<c_task, void *>::discard(cell);
            throw;
        }
        return handle_of(cell);
    } catch (...) {
        errno = errno_of_current_exception();
        return nullptr;
    }
}

void weft_wait_all(void) {
    try {
        weft::detail::scheduler *s = weft::detail::t_context.sched;
        (s ? *s : weft::detail::default_scheduler_unstarted()).wait_idle();
    } catch (...) {
    }
}

void *weft_await(weft_future *f) {
    if (!f) {
        errno = EINVAL;
        return nullptr;
    }
    task_cell *cell = cell_of(f);
    weft::detail::wait_done(cell);
    void *value = result_of(cell);
    weft::detail::release(cell);
    return value;
}

void *weft_future_get(weft_future *f) {
    if (!f) {
        errno = EINVAL;
        return nullptr;
    }
    task_cell *cell = cell_of(f);
    weft::detail::wait_done(cell);
    return result_of(cell);
}

int weft_future_get_timeout(weft_future *f, int timeout_ms, void **result) {
    if (!f) return EINVAL;
    task_cell *cell = cell_of(f);
    const std::int64_t deadline =
        timeout_ms < 0 ? -1 : weft::detail::now_ns() + static_cast<std::int64_t>(timeout_ms) * 1000000;
    if (!weft::detail::wait_done_until(cell, deadline)) return ETIMEDOUT;
    if (result) *result = result_of(cell);
    return 0;
}

int weft_future_is_ready(const weft_future *f) {
    return f && (cell_of(f)->state.load(std::memory_order_acquire) & weft::detail::k_done) ? 1 : 0;
}

void weft_future_release(weft_future *f) {
    if (f) weft::detail::release(cell_of(f));
}

void weft_future_cancel(weft_future *f) {
    if (f) cell_of(f)->state.fetch_or(weft::detail::k_cancelled, std::memory_order_relaxed);
}

int weft_future_is_cancelled(const weft_future *f) {
    return f && (cell_of(f)->state.load(std::memory_order_relaxed) & weft::detail::k_cancelled) ? 1 : 0;
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
        auto cells = reinterpret_cast<task_cell *const *>(futures);
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
    task_cell *source = cell_of(f);
    try {
        // Built claimed, so that nobody awaiting it can run it inline before its input is done;
        // submit_when_ready clears the claim as it submits it.
        task_cell *mapped = weft::detail::typed_cell<c_then_task, void *>::make(
            c_then_task{map, source}, source->runtime_id, 2, weft::detail::k_claimed);
        weft::detail::submit_when_ready(source, mapped);
        return handle_of(mapped);
    } catch (...) {
        weft::detail::release(source);
        errno = errno_of_current_exception();
        return nullptr;
    }
}

weft_stats_t weft_stats(void) {
    std::uint64_t c[5];
    weft::detail::default_scheduler_unstarted().collect_stats(c);
    return {c[0], c[1], c[2], c[3], c[4]};
}

}  // extern "C"
