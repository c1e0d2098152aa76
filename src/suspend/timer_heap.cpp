// The per-worker deadline heap; see timer_heap.hpp.
#include "suspend/timer_heap.hpp"

#include "suspend/waiter.hpp"

#include <cassert>

namespace weft::detail {

// Moves e up from the hole at i to where its parent is no later than it.
void timer_heap::sift_up(std::size_t i, entry e) noexcept {
    while (i > 0) {
        const std::size_t parent = (i - 1) / k_arity;
        if (m_heap[parent].deadline <= e.deadline) break;
        place(i, m_heap[parent]);
        i = parent;
    }
    place(i, e);
    assert(ordered_at(i));
}

// Moves e down from the hole at i to where no child is earlier than it.
void timer_heap::sift_down(std::size_t i, entry e) noexcept {
    const std::size_t n = m_heap.size();
    for (;;) {
        const std::size_t first = k_arity * i + 1;
        if (first >= n) break;
        const std::size_t end = first + k_arity < n ? first + k_arity : n;
        std::size_t least = first;
        for (std::size_t c = first + 1; c < end; ++c)
            if (m_heap[c].deadline < m_heap[least].deadline) least = c;
        if (e.deadline <= m_heap[least].deadline) break;
        place(i, m_heap[least]);
        i = least;
    }
    place(i, e);
    assert(ordered_at(i));
}

void timer_heap::add(waiter *w) {
    // Everything that may allocate comes first, so that a std::bad_alloc leaves the heap as it was.
    if (m_free_ids.empty()) {
        if (m_waiter.size() == m_waiter.capacity()) {
            // Every array holds at most one entry per id: with room for the same number of ids
            // in all of them, the pushes below and in remove() never allocate.
            const std::size_t ids = m_waiter.capacity() < 16 ? 16 : 2 * m_waiter.capacity();
            m_waiter.reserve(ids);
            m_position.reserve(ids);
            m_free_ids.reserve(ids);
            m_heap.reserve(ids);
        }
        m_waiter.push_back(nullptr);
        m_position.push_back(0);
        m_free_ids.push_back(static_cast<std::uint32_t>(m_waiter.size() - 1));
    }
    const std::uint32_t id = m_free_ids.back();
    m_free_ids.pop_back();
    m_heap.push_back(entry{w->deadline, id});  // within capacity: the heap is shorter than m_waiter
    m_waiter[id] = w;
    w->timer_id = id;
    sift_up(m_heap.size() - 1, entry{w->deadline, id});
}

void timer_heap::remove(waiter *w) noexcept {
    const std::uint32_t id = w->timer_id;
    if (id == k_none) return;
    w->timer_id = k_none;
    const std::size_t i = m_position[id];
    m_waiter[id] = nullptr;
    m_free_ids.push_back(id);  // never allocates: add() reserved room for every id
    const entry last = m_heap.back();
    m_heap.pop_back();
    if (last.id == id) return;
    // The last entry fills the hole: up if it is earlier than the hole's parent, else down.
    if (i > 0 && m_heap[(i - 1) / k_arity].deadline > last.deadline) {
        sift_up(i, last);
    } else {
        sift_down(i, last);
    }
}

waiter *timer_heap::pop_expired(std::int64_t now) noexcept {
    if (m_heap.empty() || m_heap.front().deadline > now) return nullptr;
    waiter *w = m_waiter[m_heap.front().id];
    remove(w);
    return w;
}

bool timer_heap::ordered_at(std::size_t i) const noexcept {
    const entry &e = m_heap[i];
    const waiter *w = m_waiter[e.id];
    if (m_position[e.id] != i || !w || w->timer_id != e.id || w->deadline != e.deadline) return false;
    if (i > 0 && m_heap[(i - 1) / k_arity].deadline > e.deadline) return false;
    for (std::size_t c = k_arity * i + 1; c <= k_arity * i + k_arity && c < m_heap.size(); ++c)
        if (m_heap[c].deadline < e.deadline) return false;
    return true;
}

bool timer_heap::valid() const noexcept {
    for (std::size_t i = 0; i < m_heap.size(); ++i)
        if (!ordered_at(i)) return false;
    return m_heap.size() + m_free_ids.size() == m_waiter.size();
}

}  // namespace weft::detail
