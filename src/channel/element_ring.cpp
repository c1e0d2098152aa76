// The channel buffer ring; see element_ring.hpp.
#include "channel/element_ring.hpp"

#include <limits>
#include <new>

namespace weft::detail {

namespace {
std::align_val_t alignment_of(const element_ops *ops) noexcept {
    return std::align_val_t(ops->align < alignof(std::max_align_t) ? alignof(std::max_align_t) : ops->align);
}
// Allocates `slots` elements; null when out of memory or when the size does not fit in size_t (a
// capacity near SIZE_MAX must not wrap around to a small buffer).
unsigned char *allocate_slots(std::size_t slots, const element_ops *ops) noexcept {
    if (ops->size != 0 && slots > std::numeric_limits<std::size_t>::max() / ops->size) return nullptr;
    return static_cast<unsigned char *>(::operator new(slots * ops->size, alignment_of(ops), std::nothrow));
}
}  // namespace

element_ring::~element_ring() {
    while (m_count) {
        m_ops->destroy(slot(m_head));
        m_head = (m_head + 1) % m_slots;
        --m_count;
    }
    if (m_data) ::operator delete(m_data, alignment_of(m_ops));
}

void *element_ring::slot(std::size_t i) const noexcept { return m_data + i * m_ops->size; }

bool element_ring::reserve() noexcept {
    if (m_slots == 0) return true;
    m_data = allocate_slots(m_slots, m_ops);
    return m_data != nullptr;
}

bool element_ring::grow() noexcept {
    if (m_slots > std::numeric_limits<std::size_t>::max() / 2) return false;
    const std::size_t slots = m_slots * 2;
    unsigned char *data = allocate_slots(slots, m_ops);
    if (!data) return false;
    for (std::size_t k = 0; k < m_count; ++k) {
        void *from = slot((m_head + k) % m_slots);
        m_ops->move_construct(data + k * m_ops->size, from);
        m_ops->destroy(from);
    }
    ::operator delete(m_data, alignment_of(m_ops));
    m_data = data;
    m_slots = slots;
    m_head = 0;
    return true;
}

void element_ring::push_back(void *src) noexcept {
    m_ops->move_construct(slot((m_head + m_count) % m_slots), src);
    ++m_count;
}

void element_ring::pop_front(void *dst) noexcept {
    void *from = slot(m_head);
    m_ops->move_construct(dst, from);
    m_ops->destroy(from);
    m_head = (m_head + 1) % m_slots;
    --m_count;
}

}  // namespace weft::detail
