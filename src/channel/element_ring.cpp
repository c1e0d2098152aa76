// The channel buffer ring; see element_ring.hpp.
#include "channel/element_ring.hpp"

#include <new>

namespace weft::detail {

namespace {
std::align_val_t alignment_of(const element_ops *ops) noexcept {
    return std::align_val_t(ops->align < alignof(std::max_align_t) ? alignof(std::max_align_t) : ops->align);
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
    m_data = static_cast<unsigned char *>(::operator new(m_slots * m_ops->size, alignment_of(m_ops), std::nothrow));
    return m_data != nullptr;
}

bool element_ring::grow() noexcept {
    const std::size_t slots = m_slots * 2;
    auto *data = static_cast<unsigned char *>(::operator new(slots * m_ops->size, alignment_of(m_ops), std::nothrow));
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
