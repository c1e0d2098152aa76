// The per-worker deadline heap; see timer_heap.hpp.
#include "suspend/timer_heap.hpp"

#include "suspend/waiter.hpp"

namespace weft::detail {

void timer_heap::place(std::size_t i, waiter *w) noexcept {
    m_heap[i] = w;
    w->heap_slot = i;
}

void timer_heap::sift_up(std::size_t i) noexcept {
    waiter *w = m_heap[i];
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (m_heap[parent]->deadline <= w->deadline) break;
        place(i, m_heap[parent]);
        i = parent;
    }
    place(i, w);
}

void timer_heap::sift_down(std::size_t i) noexcept {
    waiter *w = m_heap[i];
    const std::size_t n = m_heap.size();
    for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && m_heap[child + 1]->deadline < m_heap[child]->deadline) ++child;
        if (w->deadline <= m_heap[child]->deadline) break;
        place(i, m_heap[child]);
        i = child;
    }
    place(i, w);
}

void timer_heap::add(waiter *w) {
    m_heap.push_back(w);
    sift_up(m_heap.size() - 1);
}

void timer_heap::remove(waiter *w) noexcept {
    const std::size_t i = w->heap_slot;
    if (i == k_none) return;
    w->heap_slot = k_none;
    waiter *last = m_heap.back();
    m_heap.pop_back();
    if (last == w) return;
    place(i, last);
    sift_down(i);
    sift_up(last->heap_slot);
}

std::int64_t timer_heap::earliest() const noexcept { return m_heap.empty() ? -1 : m_heap.front()->deadline; }

waiter *timer_heap::pop_expired(std::int64_t now) noexcept {
    if (m_heap.empty() || m_heap.front()->deadline > now) return nullptr;
    waiter *w = m_heap.front();
    remove(w);
    return w;
}

}  // namespace weft::detail
