// The suspending mutex behind weft_mutex and weft::mutex.
//
// Protocol "Mutex hand-off". The state word holds k_locked and k_queued. Uncontended, lock and
// unlock are one compare-and-swap each (0 <-> k_locked). A locker that finds it held takes the
// queue lock, sets k_queued (re-checking k_locked in the same compare-and-swap, so an unlock in
// between is seen) and joins the FIFO as a waiter (see "Waiter" in suspend/waiter.hpp). An unlock
// that sees k_queued takes the queue lock and hands the mutex to the oldest waiter: the state stays
// k_locked, the waiter is marked granted and woken under the queue lock, and k_queued is cleared
// with the last waiter. Since the fast path needs the word to be exactly 0, nobody barges past a
// queue: waiters are served in arrival order and none starves (Go's sync.Mutex does this only in
// its starvation mode; weft always does, trading some throughput under contention for
// predictability). Rejected: spinning before queuing (a suspended holder is not running, so
// spinning on it only burns the worker that should run it).
#include "scheduler.hpp"
#include "suspend/waiter.hpp"

#include <weft/weft.h>

#include <cerrno>
#include <mutex>
#include <new>

struct weft_mutex {
    static constexpr std::uint32_t k_locked = 1;
    static constexpr std::uint32_t k_queued = 2;
    // Written by lockers and unlockers; see "Mutex hand-off".
    weft::detail::atomic<std::uint32_t> state{0};
    std::mutex queue_lock;
    weft::detail::waiter *head = nullptr;  // guarded by queue_lock
    weft::detail::waiter *tail = nullptr;  // guarded by queue_lock

    bool try_lock_fast() noexcept {
        std::uint32_t expected = 0;
        // Acquire pairs with the release in unlock: the critical section before it is visible.
        return state.compare_exchange_strong(expected, k_locked, std::memory_order_acquire, std::memory_order_relaxed);
    }

    void lock_slow() noexcept {
        weft::detail::waiter me;
        weft::detail::prepare_waiter(me, -1);
        {
            std::lock_guard guard(queue_lock);
            std::uint32_t s = state.load(std::memory_order_relaxed);
            for (;;) {
                if (!(s & k_locked)) {
                    if (state.compare_exchange_weak(s, s | k_locked, std::memory_order_acquire, std::memory_order_relaxed))
                        return;
                } else if (state.compare_exchange_weak(s, s | k_queued, std::memory_order_relaxed,
                                                       std::memory_order_relaxed)) {
                    break;
                }
            }
            if (tail) {
                tail->next = &me;
            } else {
                head = &me;
            }
            tail = &me;
        }
        for (;;) {
            weft::detail::block(me);
            // The queue lock orders the holder's critical section (it unlocked under it) before ours.
            std::lock_guard guard(queue_lock);
            if (me.granted) return;
        }
    }

    void unlock() noexcept {
        std::uint32_t expected = k_locked;
        // Release pairs with the acquire of the next locker's fast path.
        if (state.compare_exchange_strong(expected, 0, std::memory_order_release, std::memory_order_relaxed)) return;
        std::lock_guard guard(queue_lock);
        weft::detail::waiter *w = head;
        if (!w) {
            state.store(0, std::memory_order_release);
            return;
        }
        head = w->next;
        if (!head) {
            tail = nullptr;
            state.store(k_locked, std::memory_order_relaxed);  // handed over; nobody queued any more
        }
        w->granted = true;
        w->wake();
    }
};


extern "C" {

weft_mutex *weft_mutex_new(void) {
    auto *m = new (std::nothrow) weft_mutex();
    if (!m) errno = ENOMEM;
    return m;
}

void weft_mutex_free(weft_mutex *m) { delete m; }

void weft_mutex_lock(weft_mutex *m) {
    if (!m || m->try_lock_fast()) return;
    m->lock_slow();
}

int weft_mutex_trylock(weft_mutex *m) {
    if (!m) return EINVAL;
    return m->try_lock_fast() ? 0 : EBUSY;
}

void weft_mutex_unlock(weft_mutex *m) {
    if (m) m->unlock();
}

}  // extern "C"
