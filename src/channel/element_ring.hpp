// A channel's buffer: a ring of type-erased elements, fixed or growing (unbounded channels).
//
// Owned by one channel and used only under its lock. A bounded channel reserves its capacity up
// front, so a send into a bounded channel never allocates; an unbounded one starts at
// k_initial_unbounded_slots and doubles, moving its elements, when full.
#pragma once

#include <weft/bits/channel_core.hpp>

#include <cstddef>

namespace weft::detail {

class element_ring {
public:
    element_ring(const element_ops *ops, std::size_t slots) noexcept : m_ops(ops), m_slots(slots) {}
    ~element_ring();
    element_ring(const element_ring &) = delete;
    element_ring &operator=(const element_ring &) = delete;

    // Allocates the first m_slots slots; false when out of memory.
    bool reserve() noexcept;
    std::size_t size() const noexcept { return m_count; }
    bool full() const noexcept { return m_count == m_slots; }
    // Doubles the slots; false when out of memory.
    bool grow() noexcept;
    // Moves *src into a new last element. The ring must not be full.
    void push_back(void *src) noexcept;
    // Moves the first element into raw storage dst and destroys it in the ring.
    void pop_front(void *dst) noexcept;

private:
    void *slot(std::size_t i) const noexcept;
    const element_ops *m_ops;
    std::size_t m_slots;
    unsigned char *m_data = nullptr;
    std::size_t m_head = 0;   // index of the first element
    std::size_t m_count = 0;
};

}  // namespace weft::detail
