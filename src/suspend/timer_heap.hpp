// The deadlines of one worker's suspended timed waits: a binary min-heap, owned by the worker.
//
// The worker parks with the earliest deadline as its futex timeout and, in its loop, wakes every
// waiter whose deadline has passed. Each waiter knows its slot, so a wait that ends early (its
// event came first) leaves the heap in O(log n). Owner-only: the waiter is added and removed by
// the task on this worker, and expired by this worker's loop, so nothing here is shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::detail {

struct waiter;

class timer_heap {
public:
    static constexpr std::size_t k_none = ~std::size_t{0};
    void add(waiter *w);  // throws std::bad_alloc
    void remove(waiter *w) noexcept;  // no-op when w is not in the heap
    bool empty() const noexcept { return m_heap.empty(); }
    std::int64_t earliest() const noexcept;  // -1 when empty
    // Removes and returns a waiter whose deadline is <= now, or nullptr.
    waiter *pop_expired(std::int64_t now) noexcept;

private:
    void sift_up(std::size_t i) noexcept;
    void sift_down(std::size_t i) noexcept;
    void place(std::size_t i, waiter *w) noexcept;
    std::vector<waiter *> m_heap;
};

}  // namespace weft::detail
