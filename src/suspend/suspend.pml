/* Promela model of weft's suspend/wake race: a task suspends on an event, a waker and a deadline race to resume it. */

/*
 * What is modelled (src/suspend/waiter.cpp, src/suspend/fiber.cpp, src/parking_lot.cpp, the park
 * path of src/worker.cpp, the parker of src/parker.cpp):
 *   - one worker thread (process `owner`) running one task that waits for an event: it subscribes
 *     a waiter record under the bucket lock (re-checking the event under the lock), suspends,
 *     and from then on runs its loop: take the inbox whole into the ready FIFO, resume a ready
 *     fiber, expire its deadline (TIMED), or park on its token;
 *   - one waker thread that publishes the event and, under the bucket lock, unlinks the record and
 *     wakes the waiter: the first of event and deadline sets `woken`; the winner pushes the fiber on
 *     the inbox and then unparks the worker;
 *   - with TIMED, a clock that makes the deadline pass at any moment; the worker parks with a
 *     timeout and its loop wakes the waiter through the same `woken` flag.
 * The fiber's frame (the waiter and its record) exists from subscription until the resumed task
 * has unsubscribed under the bucket lock (`alive`).
 *
 * Properties:
 *   - the task is resumed exactly once, and then finishes (a state where the worker sleeps for
 *     ever while its fiber waits in the inbox is an invalid end state: no lost wake-up);
 *   - nobody touches a waiter whose frame is gone (assert(alive) in wake);
 *   - a task resumed without a deadline saw the event.
 * Interleavings are sequentially consistent (the C++ memory orders are argued in the code).
 *
 * Seeded bugs (each must make spin report an error):
 *   BUG_UNPARK_FIRST       the waker unparks the worker before pushing the fiber on the inbox:
 *                          the worker can consume the token, find the inbox empty, and sleep
 *                          for ever (lost wake-up)
 *   BUG_WAKE_OUTSIDE_LOCK  the waker unlinks the record under the bucket lock but wakes the waiter
 *                          after releasing it: a deadline can resume the task, which unsubscribes
 *                          and returns, before the waker touches its waiter (use after free)
 *   BUG_NO_RECHECK         the task links its record without re-checking the event under the
 *                          bucket lock: an event published before the link is never delivered
 */

#define EMPTY 0
#define NOTIFIED 1
#define PARKED 2

byte token = EMPTY;     /* the worker's parker */
bool lock = false;      /* the parking-lot bucket */
bool done = false;      /* the event */
bool linked = false;    /* the waiter's record is in the bucket */
bool woken = false;     /* waiter::woken */
bool alive = false;     /* the waiter's frame exists */
byte inbox = 0;         /* fibers pushed by wakers */
byte ready = 0;         /* the worker's ready FIFO */
byte resumed = 0;
bool expired = false;   /* the deadline has passed (TIMED) */
bool armed = false;     /* the waiter is on the worker's timer heap */
bool finished = false;

inline lock_bucket() { atomic { !lock -> lock = true } }
inline unlock_bucket() { lock = false }

inline unpark() {
    /* exchange(NOTIFIED); a futex wake when the worker was PARKED */
    token = NOTIFIED
}

inline wake() {
    assert(alive);
    if
    :: !woken ->
        woken = true;
#ifdef BUG_UNPARK_FIRST
        unpark();
        inbox++
#else
        inbox++;
        unpark()
#endif
    :: else -> skip
    fi
}

active proctype owner() {
    /* The task: subscribe then check (the waiter and its record live on this fiber). */
    alive = true;
#ifdef TIMED
    armed = true;
#endif
    lock_bucket();
#ifdef BUG_NO_RECHECK
    linked = true;
    unlock_bucket();
#else
    if
    :: done -> unlock_bucket(); goto fast
    :: else -> linked = true; unlock_bucket()
    fi;
#endif
    /* Suspended: the worker runs its loop on another fiber. */
    do
    :: atomic { inbox > 0 -> ready = ready + inbox; inbox = 0 }
    :: ready > 0 ->
        ready--;
        resumed++;
        assert(resumed == 1);
        break
#ifdef TIMED
    :: atomic { expired && armed -> armed = false };
        if
        :: !woken -> woken = true; ready++
        :: else -> skip
        fi
#endif
    :: atomic { inbox == 0 && ready == 0 && !(expired && armed) } ->
        /* park(earliest deadline): consume a token, or sleep until one (or the timeout) */
        if
        :: atomic { token == NOTIFIED -> token = EMPTY }
        :: atomic { token == EMPTY -> token = PARKED };
            if
            :: atomic { token == NOTIFIED -> token = EMPTY }
#ifdef TIMED
            :: atomic { expired && armed -> token = EMPTY }
#endif
            fi
        fi
    od;
    /* Resumed: leave the timer heap, unsubscribe under the lock, then the frame goes away. */
    armed = false;
    lock_bucket();
    linked = false;
    unlock_bucket();
#ifndef TIMED
    assert(done);
#endif
fast:
    alive = false;
    finished = true
}

active proctype waker() {
    done = true;
    lock_bucket();
    if
    :: linked ->
        linked = false;
#ifdef BUG_WAKE_OUTSIDE_LOCK
        unlock_bucket();
        wake()
#else
        wake();
        unlock_bucket()
#endif
    :: else -> unlock_bucket()
    fi
}

#ifdef TIMED
active proctype clock() {
    expired = true
}
#endif
