// The FIFO of blocked channel operations; see channel_op.hpp.
#include "channel/channel_op.hpp"

namespace weft::detail {

void op_queue::push_back(channel_op *op) noexcept {
    op->prev = m_tail;
    op->next = nullptr;
    if (m_tail) {
        m_tail->next = op;
    } else {
        m_head = op;
    }
    m_tail = op;
    op->linked = true;
}

void op_queue::remove(channel_op *op) noexcept {
    if (op->prev) {
        op->prev->next = op->next;
    } else {
        m_head = op->next;
    }
    if (op->next) {
        op->next->prev = op->prev;
    } else {
        m_tail = op->prev;
    }
    op->prev = op->next = nullptr;
    op->linked = false;
}

channel_op *op_queue::claim_front() noexcept {
    while (channel_op *op = m_head) {
        remove(op);
        if (!op->claim) return op;
        std::uint32_t expected = k_claim_open;
        // Relaxed: the compare-exchange only elects one completer. What the winner writes (the
        // value, status) is published by this channel's lock, which the select takes before it
        // reads the claim word or the case (select.cpp, "Select claim").
        if (op->claim->compare_exchange_strong(expected, op->case_index + 1, std::memory_order_relaxed,
                                               std::memory_order_relaxed)) {
            return op;
        }
    }
    return nullptr;
}

}  // namespace weft::detail
