// The address-keyed waiter table; see "Subscribe then check" in parking_lot.hpp.
#include "parking_lot.hpp"

#include "suspend/waiter.hpp"

#include <cstdint>
#include <mutex>

namespace weft::detail {

struct parking_lot::bucket {
    alignas(k_cache_line) std::mutex mutex;
    wait_record *head = nullptr;
};

namespace {
// 256 buckets: enough that unrelated waits rarely share a lock; the table costs 16 KiB.
constexpr std::size_t k_buckets = 256;
parking_lot::bucket g_buckets[k_buckets];
}  // namespace

parking_lot::bucket &parking_lot::bucket_for(const void *key) noexcept {
    auto a = reinterpret_cast<std::uintptr_t>(key);
    a ^= a >> 17;
    a *= 0x9E3779B97F4A7C15ull;
    return g_buckets[(a >> 40) % k_buckets];
}

void parking_lot::lock(bucket &b) noexcept { b.mutex.lock(); }
void parking_lot::unlock(bucket &b) noexcept { b.mutex.unlock(); }

void parking_lot::link(bucket &b, wait_record *record) noexcept {
    record->next = b.head;
    b.head = record;
}

bool parking_lot::unsubscribe(wait_record *record) noexcept {
    bucket &b = bucket_for(record->key);
    std::lock_guard guard(b.mutex);
    if (record->fired) return false;
    for (wait_record **p = &b.head; *p; p = &(*p)->next) {
        if (*p == record) {
            *p = record->next;
            return true;
        }
    }
    return false;
}

void parking_lot::fire_all(const void *key) noexcept {
    bucket &b = bucket_for(key);
    wait_record *continuations = nullptr;
    {
        std::lock_guard guard(b.mutex);
        for (wait_record **p = &b.head; *p;) {
            wait_record *r = *p;
            if (r->key != key) {
                p = &r->next;
                continue;
            }
            *p = r->next;
            r->fired = true;
            if (r->thread) {
                r->thread->unpark();
            } else if (r->suspended) {
                r->suspended->wake();
            } else {
                r->next = continuations;
                continuations = r;
            }
        }
    }
    while (continuations) {
        wait_record *r = continuations;
        continuations = r->next;
        r->continuation(r);
    }
}

}  // namespace weft::detail
