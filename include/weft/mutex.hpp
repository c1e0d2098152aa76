// weft::mutex and weft::counting_semaphore: waits that suspend the task, not the worker.
//
// Hold a weft::mutex, not a std::mutex, across anything that may wait inside a task: a task
// suspended while holding a std::mutex keeps it locked while its worker runs other tasks, and one
// of those blocking on the same std::mutex blocks the worker's thread, and with it the holder.
#pragma once

#include <weft/bits/deadline.hpp>
#include <weft/bits/task_cancelled.hpp>
#include <weft/bits/visibility.hpp>
#include <weft/weft.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>

namespace weft {

namespace detail {
WEFT_CXX_API int semaphore_acquire_until(weft_semaphore *s, std::int64_t deadline_ns) noexcept;  // 0, ETIMEDOUT or ECANCELED
}  // namespace detail

// Meets Lockable: std::lock_guard and std::unique_lock work. No waiter starves: a running locker
// may take a free mutex ahead of waiters, but once a waiter has waited over 1 ms the mutex goes
// to waiters in arrival order.
// A lock is not interrupted by cancellation: it starts a critical section, and a caller that must
// not wait on a cancelled path uses try_lock.
class mutex {
public:
    mutex() : m(weft_mutex_new()) {
        if (!m) throw std::bad_alloc();
    }
    ~mutex() { weft_mutex_free(m); }
    mutex(const mutex &) = delete;
    mutex &operator=(const mutex &) = delete;

    void lock() { weft_mutex_lock(m); }
    bool try_lock() noexcept { return weft_mutex_trylock(m) == 0; }
    void unlock() { weft_mutex_unlock(m); }
    weft_mutex *native_handle() const noexcept { return m; }

private:
    weft_mutex *m;
};

class counting_semaphore {
public:
    explicit counting_semaphore(std::size_t initial = 0) : s(weft_semaphore_new(initial)) {
        if (!s) throw std::bad_alloc();
    }
    ~counting_semaphore() { weft_semaphore_free(s); }
    counting_semaphore(const counting_semaphore &) = delete;
    counting_semaphore &operator=(const counting_semaphore &) = delete;

    // Inside a cancelled task a wait ends with task_cancelled (no permit taken); see
    // "Cancellation" in the README. A permit available at once is taken, cancelled or not.
    void acquire() {
        if (weft_semaphore_acquire(s) == ECANCELED) throw task_cancelled();
    }
    bool try_acquire() noexcept { return weft_semaphore_try_acquire(s) == 0; }
    // False on timeout; throws task_cancelled as acquire().
    template <class Rep, class Period>
    bool try_acquire_for(std::chrono::duration<Rep, Period> d) {
        const int r = detail::semaphore_acquire_until(s, detail::deadline_in(d));
        if (r == ECANCELED) throw task_cancelled();
        return r == 0;
    }
    // The count saturates at SIZE_MAX.
    void release(std::size_t n = 1) { weft_semaphore_release(s, n); }
    weft_semaphore *native_handle() const noexcept { return s; }

private:
    weft_semaphore *s;
};

}  // namespace weft
