// Waiters and continuations keyed by address: how a future's completion reaches those waiting on it.
//
// Protocol "Subscribe then check". A waiter (a parked thread, or a continuation such as when_all's
// counter) puts a record in the bucket of the key's address and, under the bucket lock, sets the
// key's "has waiter" bit (for a task cell: k_waiter in its state) and checks whether the event
// already happened. The completer publishes the event first and only then, if it saw the bit, takes
// the bucket lock and hands out the records. Because the bit is set under the lock before the
// check, and the completer reads the bit after publishing, one of the two always sees the other.
// Thread and waiter records (suspended tasks, see "Waiter" in suspend/waiter.hpp) are woken while the lock is held (the waiter removes its own record under the same
// lock before it leaves, so the record and its parker outlive the wake-up); continuation records are
// run after the lock is dropped, since they may complete other cells.
// The table has a fixed number of buckets (WebKit's ParkingLot and Go's semaphore table hash the
// same way); collisions only cost a longer list walk on the slow path.
// Rejected: a waiter list inside each task cell (16 more bytes on every task, used by few), and a
// condition variable per future (a mutex per spawn).
#pragma once

#include "parker.hpp"

#include <cstdint>

namespace weft::detail {

struct wait_record {
    const void *key = nullptr;
    wait_record *next = nullptr;
    parker *thread = nullptr;                       // wake this thread, or
    struct waiter *suspended = nullptr;             // wake this waiter (under the lock), or
    void (*continuation)(wait_record *) = nullptr;  // run this
    void *context = nullptr;                        // for the continuation
    bool fired = false;                             // guarded by the bucket lock
};

class parking_lot {
public:
    // Links `record` under `key` unless `already` returns true, all under the bucket lock. `mark`
    // runs first under the lock (it sets the key's waiter bit). Returns false when already.
    template <class Mark, class Already>
    static bool subscribe(const void *key, wait_record *record, Mark &&mark, Already &&already);
    // Removes a record that has not fired. True when it was still linked.
    static bool unsubscribe(wait_record *record) noexcept;
    // Fires every record under `key`.
    static void fire_all(const void *key) noexcept;

    struct bucket;
    static bucket &bucket_for(const void *key) noexcept;
    static void lock(bucket &b) noexcept;
    static void unlock(bucket &b) noexcept;
    static void link(bucket &b, wait_record *record) noexcept;
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

}  // namespace weft::detail
