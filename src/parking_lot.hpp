// Waiters and continuations keyed by address: how a future's completion reaches those waiting on it.
//
// Protocol "Subscribe then check". A waiter (a parked thread, or a continuation such as when_all's
// counter) puts a record in the table under the key's address and, under the bucket lock, sets the
// key's "has waiter" bit (for a task cell: k_waiter in its state) and checks whether the event
// already happened. The completer publishes the event first and only then, if it saw the bit, takes
// the bucket lock and hands out the records. Because the bit is set under the lock before the
// check, and the completer reads the bit after publishing, one of the two always sees the other.
// Thread and waiter records (suspended tasks, see "Waiter" in suspend/waiter.hpp) are woken while
// the lock is held (the waiter removes its own record under the same lock before it leaves, so the record and its parker outlive the wake-up); continuation records are
// run after the lock is dropped, since they may complete other cells.
//
// Layout "Per-key queues". A fixed set of buckets (WebKit's ParkingLot and Go's semaphore table
// hash the same way) each own a lock and a small hash table of their own, grown and shrunk under
// that lock, whose slots chain the *first* record of each key present (its queue head). The
// records of one key form a circular doubly linked FIFO through `next`/`prev`, so the head reaches
// the newest record through `prev`. Hence subscribe appends in O(1), unsubscribe unlinks in O(1)
// (plus the expected O(1) slot-chain step when it removes a head), and fire_all(key) costs the
// records under that key, whatever else shares the bucket: a million pending when_all inputs, each
// under its own key, cost a million short lookups, not a million walks of 4,000-record lists.
// The table needs no allocation per record; a bucket's slot array grows when its keys outnumber
// its slots twice over and falls back to longer chains (never to an error) when that allocation
// fails.
//
// Protocol "Continuations run flat". A continuation may complete another cell, whose completion
// fires more continuations: a chain of a million when_alls or thens would nest a million frames.
// Instead, each thread drains continuations from a thread-local FIFO; a fire that happens while
// this thread is already draining appends to that FIFO and returns, and the outermost drain runs
// it next. So continuations never nest on the stack, and still run on the thread that fired them,
// in the order they were fired. A continuation must not block or switch stacks.
//
// Rejected: a waiter list inside each task cell (16 more bytes on every task, used by few), a
// condition variable per future (a mutex per spawn), and one global table resized under a global
// lock (WebKit does this; with per-bucket tables a resize stops one bucket, not every waiter).
#pragma once

#include "parker.hpp"

#include <cstdint>

namespace weft::detail {

struct wait_record {
    const void *key = nullptr;
    // The next record under the same key, in FIFO order (circular: the newest one's next is the
    // head). Guarded by the bucket lock while linked; after firing, the parking lot reuses it to
    // chain the continuations it is about to run.
    wait_record *next = nullptr;
    parker *thread = nullptr;                       // wake this thread, or
    struct waiter *suspended = nullptr;             // wake this waiter (under the lock), or
    void (*continuation)(wait_record *) = nullptr;  // run this
    void *context = nullptr;                        // for the continuation
    bool fired = false;                             // guarded by the bucket lock
    // Layout "Per-key queues", guarded by the bucket lock: the previous record under the key
    // (circular: the head's prev is the newest); for a queue head, the next head in its slot chain.
    bool queue_head = false;
    wait_record *prev = nullptr;
    wait_record *key_next = nullptr;
};

// What fire_one did: whether it fired a record, and whether records remain under the key.
struct fire_result {
    bool fired = false;
    bool more = false;
};

class parking_lot {
public:
    // Links `record` under `key` unless `already` returns true, all under the bucket lock. `mark`
    // runs first under the lock (it sets the key's waiter bit). Returns false when already.
    template <class Mark, class Already>
    static bool subscribe(const void *key, wait_record *record, Mark &&mark, Already &&already);
    // Removes a record that has not fired. True when it was still linked.
    static bool unsubscribe(wait_record *record) noexcept;
    // Fires every record under `key`, oldest first.
    static void fire_all(const void *key) noexcept;
    // Wakes a thread or suspended-task record; called with its bucket lock held.
    static void wake_locked(wait_record *record) noexcept;
    // Fires the oldest record under `key`, if any. `locked(result)` runs under the bucket lock
    // once the outcome is known and before the record is woken (a lock hand-off clears its "has
    // waiters" bit there when result.more is false, so no subscriber can slip in between).
    template <class Locked>
    static fire_result fire_one(const void *key, Locked &&locked) noexcept;
    static fire_result fire_one(const void *key) noexcept {
        return fire_one(key, [](const fire_result &) noexcept {});
    }

    // Test hook: lookup and list-walk steps taken since the process started (heads examined in
    // slot chains plus records visited), summed over all buckets. Lets tests check that the work
    // done grows linearly with the number of records.
    static std::uint64_t walk_steps() noexcept;

    struct bucket;
    static bucket &bucket_for(const void *key) noexcept;
    static void lock(bucket &b) noexcept;
    static void unlock(bucket &b) noexcept;
    static void link(bucket &b, wait_record *record) noexcept;

private:
    // Under the lock: detaches the oldest record under key (nullptr when none); *more tells
    // whether others remain.
    static wait_record *take_oldest(bucket &b, const void *key, bool *more) noexcept;
    // After the lock is dropped: runs fired continuation records chained through `next`, first
    // to last (see "Continuations run flat").
    static void run_continuations(wait_record *first, wait_record *last) noexcept;
};

template <class Mark, class Already>
bool parking_lot::subscribe(const void *key, wait_record *record, Mark &&mark, Already &&already) {
    bucket &b = bucket_for(key);
    lock(b);
    mark();
    if (already()) {
        unlock(b);
        return false;
    }
    record->key = key;
    record->fired = false;
    link(b, record);
    unlock(b);
    return true;
}

template <class Locked>
fire_result parking_lot::fire_one(const void *key, Locked &&locked) noexcept {
    bucket &b = bucket_for(key);
    lock(b);
    fire_result result;
    wait_record *r = take_oldest(b, key, &result.more);
    result.fired = r != nullptr;
    locked(static_cast<const fire_result &>(result));
    if (r && (r->thread || r->suspended)) {
        wake_locked(r);  // under the lock: the waiter frees its record only after relocking
        unlock(b);
    } else {
        unlock(b);
        if (r) run_continuations(r, r);
    }
    return result;
}

}  // namespace weft::detail
