// The deadlines of one worker's suspended timed waits: a 4-ary min-heap, owned by the worker.
//
// The worker parks with the earliest deadline as its futex timeout and, in its loop, wakes every
// waiter whose deadline has passed. A wait that ends early (its event came first) leaves the heap
// in O(log n). Owner-only: the waiter is added and removed by the task on this worker, and expired
// by this worker's loop, so nothing here is shared.
//
// Layout. The waiters live on the stacks of suspended tasks, a page apart at best; a heap that
// read each deadline through a waiter pointer, and wrote each moved entry's position back into
// its waiter, missed the cache and the TLB at every level (measured: 35% of 100,000 concurrent
// sleeps on one worker went to sifting). So nothing during a sift touches a waiter: each entry
// holds its deadline and a timer id, and the position of each id is kept in a side array indexed
// by id; a waiter holds only its id (ids are recycled through a free list). Four children per node
// fill one cache line with the entries a level compares and halve the depth of a binary heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::detail {

struct waiter;

class timer_heap {
public:
    static constexpr std::uint32_t k_none = ~std::uint32_t{0};  // waiter::timer_id when not here
    void add(waiter *w);  // throws std::bad_alloc
    void remove(waiter *w) noexcept;  // no-op when w is not in the heap
    bool empty() const noexcept { return m_heap.empty(); }
    std::int64_t earliest() const noexcept { return m_heap.empty() ? -1 : m_heap.front().deadline; }
    // Removes and returns a waiter whose deadline is <= now, or nullptr.
    waiter *pop_expired(std::int64_t now) noexcept;
    std::size_t size() const noexcept { return m_heap.size(); }
    // For tests, O(n): every entry is no earlier than its parent and its id knows its position.
    // Debug builds check the same around each entry a sift places (ordered_at).
    bool valid() const noexcept;

private:
    static constexpr std::size_t k_arity = 4;
    struct entry {
        std::int64_t deadline;  // a copy of the waiter's deadline, which does not change while here
        std::uint32_t id;
    };
    void sift_up(std::size_t i, entry e) noexcept;
    void sift_down(std::size_t i, entry e) noexcept;
    void place(std::size_t i, entry e) noexcept {
        m_heap[i] = e;
        m_position[e.id] = static_cast<std::uint32_t>(i);
    }
    bool ordered_at(std::size_t i) const noexcept;
    std::vector<entry> m_heap;
    std::vector<std::uint32_t> m_position;  // by id: index in m_heap
    std::vector<waiter *> m_waiter;         // by id: the waiter, or nullptr for a free id
    std::vector<std::uint32_t> m_free_ids;
};

}  // namespace weft::detail
