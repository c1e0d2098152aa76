// The suspending mutex behind weft_mutex and weft::mutex.
//
// Protocol "Mutex hand-off". The mutex runs in one of two modes, chosen by how long its oldest
// waiter has waited: in normal mode a running locker may take the lock ahead of queued waiters
// (barging), which keeps the lock busy; in starvation mode every unlock hands the lock to the
// oldest waiter, which bounds how long anyone waits. The state word holds four bits:
//   k_locked    somebody owns the mutex;
//   k_queued    the FIFO of waiters is not empty (changed only under queue_lock);
//   k_woken     an unlock has unlinked and woken a waiter that has not retried yet;
//   k_starving  starvation mode.
// Invariants: k_starving implies k_locked and k_queued; whenever queue_lock is free, k_woken is set
// exactly while `woken` names a waiter, apart from the moment between the unlock that set the bit
// and that unlock taking queue_lock.
//
// Normal mode. Lock is one compare-and-swap that sets k_locked when it is clear, whatever the rest
// of the word holds; uncontended that is 0 -> k_locked, and unlock is k_locked -> 0. A locker that
// finds k_locked takes queue_lock, sets k_queued in a compare-and-swap that expects k_locked
// (taking the lock instead if it has become free) and joins the back of the FIFO as a waiter (see
// "Waiter" in suspend/waiter.hpp). An unlock clears k_locked; if it sees k_queued without k_woken
// it sets k_woken in the same compare-and-swap, then, under queue_lock, unlinks the oldest waiter,
// records it in `woken` and wakes it, without giving it the lock. The woken waiter retries under
// queue_lock: if k_locked is clear it takes the lock and clears k_woken in one compare-and-swap;
// if a running locker got there first, it clears k_woken, goes back to the FRONT of the FIFO (it
// keeps its place) and blocks again. k_woken keeps a second unlock from waking a second waiter
// while the first is on its way; the first either takes the lock or re-queues, and in both cases
// the next unlock sees a state that makes it wake (or hand off to) the front waiter again.
//
// Starvation mode. A woken waiter that loses its retry after waiting longer than
// k_starvation_bound_ns sets k_starving in the compare-and-swap that re-queues it (which expects
// k_locked, so the invariant holds). An unlock that finds the woken waiter still not back for its
// retry k_starvation_bound_ns after its wake-up, with other waiters queued, sets k_starving itself
// (it owns the lock, and k_queued cannot clear while it does; only every 16th such unlock reads the
// clock, so the check costs little in a busy lock's hot loop): a woken task resumes only on its
// own worker, and a task there that keeps taking the free lock without ever waiting would
// otherwise hold off every other waiter, since no unlock wakes a second one while k_woken is set.
// The woken waiter's late retry then finds k_locked set and re-queues at the front, as any loser.
// An unlock that sees k_starving takes queue_lock and grants
// the lock to the oldest waiter as a hand-off: k_locked stays set, the waiter is marked granted
// and woken under queue_lock. Lockers cannot barge, since k_locked is set throughout, and queue at
// the back. The mode ends when the unlock grants the last waiter (it clears k_starving and
// k_queued) or when a granted waiter finds it waited less than the bound (it clears k_starving).
// While k_starving is set only the owner's unlock and lockers under queue_lock write the word.
//
// No lost wake-up: a locker's k_queued compare-and-swap expects k_locked and an unlock's
// compare-and-swap clears it, so one of them sees the other's write. Unlock first: the locker finds
// the lock free and takes it. Locker first: the unlock sees k_queued, and since it takes queue_lock
// after the locker linked itself under it, it finds the waiter. The woken waiter's re-queue races
// the holder's unlock the same way.
//
// Memory orders. Every compare-and-swap that sets k_locked is acquire and pairs with the release
// of the unlock's compare-and-swap that cleared it, so the previous critical section is visible.
// A hand-off does not clear k_locked: queue_lock orders the granter's critical section (it grants
// under the lock) before the granted waiter's (it takes the lock after waking). k_queued, k_woken
// and k_starving change relaxed: they are read-modify-writes of the one word, which see its latest
// value, and what they describe (the FIFO, `woken`) is guarded by queue_lock.
//
// Rejected: strict FIFO hand-off on every contended unlock (weft's first design). Every hand-off
// then waits for the woken task to be resumed, often on another worker, while the running lockers
// that could use the lock queue behind it: a lock convoy (on the mutex benchmark, two workers took
// over a hundred times as long as one). Spinning before queuing: a suspended holder is not
// running, so spinning on it only burns the worker that should run it. Waking every waiter: a
// thundering herd for one lock.
#include "scheduler.hpp"
#include "suspend/waiter.hpp"

#include <weft/weft.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <new>

namespace {

// How long a waiter may wait, from first queuing to a lost retry, before the mutex turns to
// hand-off. Go's sync.Mutex uses 1 ms for the same decision; weft takes that value untuned.
constexpr std::int64_t k_starvation_bound_ns = 1'000'000;

}  // namespace

struct weft_mutex {
    static constexpr std::uint32_t k_locked = 1;
    static constexpr std::uint32_t k_queued = 2;
    static constexpr std::uint32_t k_woken = 4;
    static constexpr std::uint32_t k_starving = 8;
    // Written by lockers and unlockers (compare-and-swaps) and by waiters under queue_lock; read by
    // all of them. See "Mutex hand-off".
    weft::detail::atomic<std::uint32_t> state{0};
    std::mutex queue_lock;
    weft::detail::waiter_fifo waiters;      // guarded by queue_lock
    weft::detail::waiter *woken = nullptr;  // guarded by queue_lock: unlinked and woken, not yet retried
    // When the unlock that set k_woken decided to wake (now_ns). Written by that unlock just before
    // its compare-and-swap (relaxed: the compare-and-swaps of `state` order it for the next owner's
    // unlock, which reads it only while k_woken is set).
    weft::detail::atomic<std::int64_t> woken_at_ns{0};
    // Unlocks that found the woken waiter not back yet, counted so that only every 16th reads the
    // clock (a clock read costs about as much as an uncontended lock and unlock). Written and read
    // only by the owner in unlock, ordered between owners by the compare-and-swaps of `state`.
    std::uint32_t woken_pending_unlocks = 0;

    bool try_lock_fast() noexcept {
        std::uint32_t s = 0;
        // Acquire pairs with the release in unlock: the previous critical section is visible.
        while (!state.compare_exchange_weak(s, s | k_locked, std::memory_order_acquire, std::memory_order_relaxed)) {
            if (s & k_locked) return false;
        }
        return true;
    }

    // Under queue_lock: takes the lock if k_locked is clear (true), else sets k_queued, and
    // k_starving for a waiter past the bound, for the caller to link itself. A retrying waiter
    // clears k_woken in the same compare-and-swap either way.
    bool take_or_mark_queued(bool retrying, bool starving) noexcept {
        const std::uint32_t clear = retrying ? k_woken : 0;
        const std::uint32_t mode = starving ? k_starving : 0;
        std::uint32_t s = state.load(std::memory_order_relaxed);
        for (;;) {
            if (!(s & k_locked)) {
                // Acquire pairs with the release in unlock.
                if (state.compare_exchange_weak(s, (s | k_locked) & ~clear, std::memory_order_acquire,
                                                std::memory_order_relaxed))
                    return true;
            } else if (state.compare_exchange_weak(s, ((s | k_queued) & ~clear) | mode, std::memory_order_relaxed,
                                                   std::memory_order_relaxed)) {
                return false;
            }
        }
    }

    void lock_slow() noexcept {
        weft::detail::waiter me;
        std::unique_lock guard(queue_lock);
        if (take_or_mark_queued(false, false)) return;
        weft::detail::prepare_waiter(me, -1);
        waiters.push_back(&me);  // a newcomer joins at the back
        const std::int64_t since = weft::detail::now_ns();
        for (;;) {
            guard.unlock();
            weft::detail::block(me);
            // Taking queue_lock again also keeps `me` alive until its waker has let go of it.
            guard.lock();
            if (me.granted) {
                // A hand-off: k_locked stayed set for us, and queue_lock ordered the granter's
                // critical section before ours. A short wait ends starvation mode.
                if (weft::detail::now_ns() - since < k_starvation_bound_ns)
                    state.fetch_and(~k_starving, std::memory_order_relaxed);
                return;
            }
            if (woken != &me) continue;  // a thread's spurious return: still linked
            woken = nullptr;
            const bool starving = weft::detail::now_ns() - since > k_starvation_bound_ns;
            if (take_or_mark_queued(true, starving)) return;
            weft::detail::prepare_waiter(me, -1);
            waiters.push_front(&me);  // lost to a running locker: back at the front, seniority kept
        }
    }

    // Normal mode, after the unlock set k_woken: wake the oldest waiter without granting it.
    void wake_oldest() noexcept {
        std::lock_guard guard(queue_lock);
        weft::detail::waiter *w = waiters.pop_oldest();
        std::uint32_t clear = waiters.empty() ? k_queued : 0;
        if (!w) clear |= k_woken;  // not reached while the invariants hold: k_queued promised a waiter
        if (clear) state.fetch_and(~clear, std::memory_order_relaxed);
        if (!w) return;
        woken = w;
        w->wake();
    }

    // Starvation mode: grant the lock to the oldest waiter; k_locked stays set.
    void hand_off() noexcept {
        std::lock_guard guard(queue_lock);
        if (waiters.empty()) {
            // Not reached while the invariants hold (k_starving implies a waiter). Release pairs
            // with the acquire of the next locker; k_woken stays with its pending retry.
            state.fetch_and(k_woken, std::memory_order_release);
            return;
        }
        if (waiters.head->next == nullptr) state.fetch_and(~(k_queued | k_starving), std::memory_order_relaxed);
        waiters.grant_oldest();
    }

    // Whether the woken waiter has been on its way to its retry for longer than the bound; looks at
    // the clock on every 16th call only.
    bool woken_overdue() noexcept {
        if (++woken_pending_unlocks % 16 != 0) return false;
        return weft::detail::now_ns() - woken_at_ns.load(std::memory_order_relaxed) > k_starvation_bound_ns;
    }

    void unlock() noexcept {
        std::uint32_t s = k_locked;
        // Release pairs with the acquire of the next locker's compare-and-swap.
        if (state.compare_exchange_strong(s, 0, std::memory_order_release, std::memory_order_relaxed)) return;
        for (;;) {
            if (s & k_starving) {
                hand_off();
                return;
            }
            if ((s & (k_queued | k_woken)) == (k_queued | k_woken) && woken_overdue()) {
                if (state.compare_exchange_weak(s, s | k_starving, std::memory_order_relaxed, std::memory_order_relaxed)) {
                    hand_off();
                    return;
                }
                continue;
            }
            const bool wake = (s & k_queued) && !(s & k_woken);
            // Stamped before k_woken is set, so an unlock that sees the bit never reads an older
            // wake-up's time. Only an unlock about to set k_woken writes it, one at a time.
            if (wake) woken_at_ns.store(weft::detail::now_ns(), std::memory_order_relaxed);
            const std::uint32_t next = (s & ~k_locked) | (wake ? k_woken : 0);
            // Release pairs with the acquire of the next locker's compare-and-swap.
            if (state.compare_exchange_weak(s, next, std::memory_order_release, std::memory_order_relaxed)) {
                if (wake) wake_oldest();
                return;
            }
        }
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
