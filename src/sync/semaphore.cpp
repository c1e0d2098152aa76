// The suspending counting semaphore behind weft_semaphore and weft::counting_semaphore.
//
// Permits and a FIFO of waiters under one lock (the critical sections are a few instructions;
// a lock-free count would only help the uncontended case, and complicates the hand-off). A
// release hands permits straight to the oldest waiters (granted, woken under the lock; see
// "Waiter" in suspend/waiter.hpp) and adds what is left to the count; an acquirer takes a permit
// from the count only when nobody is queued, so waiters are served in arrival order. A timed
// waiter that wakes past its deadline unlinks itself under the lock, unless a release granted it a
// permit first, in which case the acquisition succeeded. A cancelled task's waiter ends the same
// way (see "Cancelling a wait" in suspend/cancellable_wait.hpp): unlinked by itself with ECANCELED,
// unless a release granted it a permit first, which it then keeps.
#include "scheduler.hpp"
#include "suspend/cancellable_wait.hpp"
#include "suspend/waiter.hpp"

#include <weft/mutex.hpp>
#include <weft/weft.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <new>

struct weft_semaphore {
    std::mutex lock;
    std::size_t count = 0;                 // guarded by lock
    weft::detail::waiter_fifo waiters;     // guarded by lock

    int acquire_until(std::int64_t deadline_ns) noexcept {
        weft::detail::waiter me;
        weft::detail::cancellable_wait cancel;  // disarmed before me goes (declared after it)
        {
            std::lock_guard guard(lock);
            if (count > 0 && waiters.empty()) {
                --count;
                return 0;
            }
            if (weft::detail::deadline_passed(deadline_ns)) return ETIMEDOUT;
            weft::detail::prepare_waiter(me, deadline_ns);
            waiters.push_back(&me);
            if (!cancel.arm(me)) {
                waiters.remove(&me);
                return ECANCELED;
            }
        }
        for (;;) {
            weft::detail::block(me);
            std::lock_guard guard(lock);
            if (me.granted) return 0;  // granted: kept, even when cancelled meanwhile
            if (weft::detail::deadline_passed(deadline_ns)) {
                waiters.remove(&me);
                return ETIMEDOUT;
            }
            if (!cancel.rearm(me)) {
                waiters.remove(&me);
                return ECANCELED;
            }
        }
    }
};

namespace weft::detail {
int semaphore_acquire_until(weft_semaphore *s, std::int64_t deadline_ns) noexcept {
    if (!s) return EINVAL;
    return s->acquire_until(deadline_ns);
}
}  // namespace weft::detail

extern "C" {

weft_semaphore *weft_semaphore_new(size_t initial) {
    auto *s = new (std::nothrow) weft_semaphore();
    if (!s) {
        errno = ENOMEM;
        return nullptr;
    }
    s->count = initial;
    return s;
}

void weft_semaphore_free(weft_semaphore *s) { delete s; }

int weft_semaphore_acquire(weft_semaphore *s) {
    if (!s) return EINVAL;
    return s->acquire_until(-1);
}

int weft_semaphore_try_acquire(weft_semaphore *s) {
    if (!s) return EINVAL;
    std::lock_guard guard(s->lock);
    if (s->count > 0 && s->waiters.empty()) {
        --s->count;
        return 0;
    }
    return EAGAIN;
}

int weft_semaphore_acquire_timeout(weft_semaphore *s, int timeout_ms) {
    if (!s) return EINVAL;
    const std::int64_t deadline =
        timeout_ms < 0 ? -1 : weft::detail::now_ns() + static_cast<std::int64_t>(timeout_ms) * 1000000;
    return s->acquire_until(deadline);
}

void weft_semaphore_release(weft_semaphore *s, size_t n) {
    if (!s) return;
    std::lock_guard guard(s->lock);
    while (n > 0 && s->waiters.grant_oldest()) --n;
    // Saturates: permits beyond SIZE_MAX are as good as unlimited, and wrapping would lose them all.
    s->count = n > SIZE_MAX - s->count ? SIZE_MAX : s->count + n;
}

}  // extern "C"
