// The address-keyed waiter table; see "Subscribe then check", "Per-key queues" and "Continuations
// run flat" in parking_lot.hpp.
#include "parking_lot.hpp"

#include "suspend/waiter.hpp"
#include "sync.hpp"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <pthread.h>

namespace weft::detail {

namespace {
// 256 buckets: enough that unrelated waits rarely share a lock; the table costs 24 KiB.
constexpr unsigned k_bucket_bits = 8;
constexpr std::size_t k_buckets = std::size_t{1} << k_bucket_bits;
// A bucket's slot array starts inline, at this size (a bucket rarely holds more than a few keys).
constexpr std::size_t k_inline_slots = 4;
// Slot arrays double when a bucket's keys exceed k_max_load per slot, and halve when fewer than
// one key per k_shrink_below slots remain: the gap between the two keeps a bucket that hovers
// around one size from rehashing on every event. Chosen, not measured: any constant load factor
// gives O(1) expected lookups.
constexpr std::size_t k_max_load = 2;
constexpr std::size_t k_shrink_below = 8;

// Mixes all address bits into the top bits (bucket) and the low bits (slot within the bucket).
std::uint64_t hash_of(const void *key) noexcept {
    std::uint64_t h = reinterpret_cast<std::uintptr_t>(key);
    h = (h ^ (h >> 32)) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
}

struct continuation_queue {
    wait_record *head = nullptr;
    wait_record *tail = nullptr;
    bool draining = false;
};
// This thread's pending continuations; see "Continuations run flat". constinit: no TLS wrapper.
constinit thread_local continuation_queue t_continuations;
}  // namespace

struct parking_lot::bucket {
    alignas(k_cache_line) std::mutex mutex;
    // Everything below is guarded by mutex. heap_slots is null while the inline slots are in use;
    // the inline slots are all null whenever they are not.
    wait_record **heap_slots = nullptr;
    std::size_t slot_count = k_inline_slots;
    std::size_t keys = 0;    // queue heads linked in the slots
    std::uint64_t steps = 0;  // see walk_steps
    wait_record *inline_slots[k_inline_slots] = {};

    wait_record **slots() noexcept { return heap_slots ? heap_slots : inline_slots; }

    // The link that points at key's queue head, or the null link that ends its slot chain.
    wait_record **find(const void *key) noexcept {
        wait_record **at = &slots()[hash_of(key) & (slot_count - 1)];
        while (*at) {
            ++steps;
            if ((*at)->key == key) return at;
            at = &(*at)->key_next;
        }
        return at;
    }

    // Moves every queue head into a slot array of n entries. Keeps the old one if allocation fails.
    void resize(std::size_t n) noexcept {
        wait_record **fresh = n == k_inline_slots ? inline_slots : new (std::nothrow) wait_record *[n]();
        if (!fresh) return;
        wait_record **old = slots();
        const std::size_t old_count = slot_count;
        for (std::size_t i = 0; i < old_count; ++i) {
            for (wait_record *r = old[i]; r;) {
                ++steps;
                wait_record *following = r->key_next;
                wait_record *&slot = fresh[hash_of(r->key) & (n - 1)];
                r->key_next = slot;
                slot = r;
                r = following;
            }
        }
        if (old == inline_slots) {
            for (wait_record *&s : inline_slots) s = nullptr;
        } else {
            delete[] old;
        }
        heap_slots = fresh == inline_slots ? nullptr : fresh;
        slot_count = n;
    }

    void key_added() noexcept {
        if (++keys > slot_count * k_max_load) resize(slot_count * 2);
    }
    void key_removed() noexcept {
        if (--keys * k_shrink_below < slot_count && slot_count > k_inline_slots) resize(slot_count / 2);
    }

    // Replaces the queue head `head` in its slot chain by `successor` (null: the key is gone).
    void replace_head(wait_record *head, wait_record *successor) noexcept {
        wait_record **at = find(head->key);
        if (successor) {
            successor->queue_head = true;
            successor->key_next = head->key_next;
            *at = successor;
        } else {
            *at = head->key_next;
            key_removed();
        }
        head->queue_head = false;
    }

    // Unlinks a record that is linked and has not fired.
    void unlink(wait_record *r) noexcept {
        wait_record *successor = nullptr;
        if (r->next != r) {
            r->prev->next = r->next;
            r->next->prev = r->prev;
            successor = r->next;
        }
        if (r->queue_head) replace_head(r, successor);
        r->prev = nullptr;
        r->next = nullptr;
    }
};

namespace {
parking_lot::bucket g_buckets[k_buckets];
}  // namespace

parking_lot::bucket &parking_lot::bucket_for(const void *key) noexcept {
    return g_buckets[hash_of(key) >> (64 - k_bucket_bits)];
}

void parking_lot::lock(bucket &b) noexcept { b.mutex.lock(); }
void parking_lot::unlock(bucket &b) noexcept { b.mutex.unlock(); }

void parking_lot::link(bucket &b, wait_record *record) noexcept {
    wait_record **at = b.find(record->key);
    if (wait_record *head = *at) {
        wait_record *newest = head->prev;
        record->queue_head = false;
        record->next = head;
        record->prev = newest;
        newest->next = record;
        head->prev = record;
    } else {
        record->queue_head = true;
        record->next = record;
        record->prev = record;
        record->key_next = nullptr;
        *at = record;
        b.key_added();
    }
}

bool parking_lot::unsubscribe(wait_record *record) noexcept {
    bucket &b = bucket_for(record->key);
    std::lock_guard guard(b.mutex);
    // A linked record always has a prev (its queue is circular); fired or unlinked ones do not count.
    if (record->fired || !record->prev) return false;
    b.unlink(record);
    return true;
}

wait_record *parking_lot::take_oldest(bucket &b, const void *key, bool *more) noexcept {
    wait_record *head = *b.find(key);
    *more = false;
    if (!head) return nullptr;
    ++b.steps;
    b.unlink(head);
    *more = *b.find(key) != nullptr;
    head->fired = true;
    return head;
}

void parking_lot::wake_locked(wait_record *record) noexcept {
    if (record->thread) {
        record->thread->unpark();
    } else {
        record->suspended->wake();
    }
}

void parking_lot::fire_all(const void *key) noexcept {
    bucket &b = bucket_for(key);
    wait_record *first = nullptr;
    wait_record *last = nullptr;
    {
        std::lock_guard guard(b.mutex);
        wait_record **at = b.find(key);
        wait_record *head = *at;
        if (!head) return;
        *at = head->key_next;
        head->queue_head = false;
        b.key_removed();
        wait_record *r = head;
        do {
            ++b.steps;
            wait_record *following = r->next;
            r->fired = true;
            r->prev = nullptr;
            if (r->thread || r->suspended) {
                wake_locked(r);  // under the lock: the waiter frees its record only after relocking
            } else {
                r->next = nullptr;
                (last ? last->next : first) = r;
                last = r;
            }
            r = following;
        } while (r != head);
    }
    if (first) run_continuations(first, last);
}

void parking_lot::run_continuations(wait_record *first, wait_record *last) noexcept {
    continuation_queue &q = t_continuations;
    (q.tail ? q.tail->next : q.head) = first;
    q.tail = last;
    if (q.draining) return;  // an outer drain on this thread runs them
    q.draining = true;
    while (wait_record *r = q.head) {
        q.head = r->next;
        if (!q.head) q.tail = nullptr;
        r->continuation(r);  // may free r, and may append to q
    }
    q.draining = false;
}

std::uint64_t parking_lot::walk_steps() noexcept {
    std::uint64_t total = 0;
    for (bucket &b : g_buckets) {
        std::lock_guard guard(b.mutex);
        total += b.steps;
    }
    return total;
}

namespace {
// fork(): the child must not inherit a bucket lock held by a thread it does not have (see "Fork" in
// scheduler.cpp). Buckets are always taken one at a time, so taking all in order cannot deadlock.
void lock_all_buckets() noexcept {
    for (auto &b : g_buckets) b.mutex.lock();
}
void unlock_all_buckets() noexcept {
    for (auto &b : g_buckets) b.mutex.unlock();
}
[[maybe_unused]] const int g_fork_handlers_installed = pthread_atfork(&lock_all_buckets, &unlock_all_buckets, &unlock_all_buckets);
}  // namespace

}  // namespace weft::detail
