// One pending channel operation of a blocked party, and the FIFO a channel keeps them in.
//
// A blocked send or receive is a channel_op linked in its channel's sender or receiver queue. It
// points at the party's waiter (see "Waiter" in suspend/waiter.hpp): a plain send or receive has
// one op per waiter; a select has one op per case, all pointing at the same waiter and the same
// claim word (see "Select claim" in select.cpp). That is why the queues link ops rather than use
// waiter::next: one waiter may be linked in several channels at once. Every field but claim is
// guarded by the lock of the channel whose queue holds (or held) the op; the op lives on the
// blocked party's stack, which outlives every use because the party takes that lock again before
// it returns (the "Waiter" rule).
#pragma once

#include "suspend/waiter.hpp"
#include "sync.hpp"

#include <cstdint>

namespace weft::detail {

// Values of a select's claim word: k_open until decided, then the winning case index + 1, or
// k_timed_out, or k_cancelled (the select's task was cancelled, see "Cancelling a wait").
inline constexpr std::uint32_t k_claim_open = 0;
inline constexpr std::uint32_t k_claim_timed_out = ~std::uint32_t{0};
inline constexpr std::uint32_t k_claim_cancelled = ~std::uint32_t{0} - 1;

struct channel_op {
    waiter *party = nullptr;
    // The select's claim word, or nullptr for a plain send or receive. Written (compare-exchange)
    // by completers under the lock of the channel they complete on, and by the select under all
    // its channels' locks; read by the select under all its channels' locks.
    atomic<std::uint32_t> *claim = nullptr;
    std::uint32_t case_index = 0;  // stored into *claim (+1) by the completer that wins
    void *value = nullptr;         // send: the value to move from; receive: the storage to build in
    int status = 0;                // written by the completer: 0, or EPIPE (closed)
    bool linked = false;
    channel_op *prev = nullptr;
    channel_op *next = nullptr;
};

// An intrusive FIFO of ops, doubly linked so that a timed-out or losing op leaves in O(1).
class op_queue {
public:
    bool empty() const noexcept { return m_head == nullptr; }
    void push_back(channel_op *op) noexcept;
    void remove(channel_op *op) noexcept;  // op must be linked here
    // Pops ops from the front until one can be completed: a plain op, or a select op whose claim
    // this call wins. Ops of selects already decided elsewhere are unlinked and dropped (the select
    // no longer waits for them). nullptr when none is left.
    channel_op *claim_front() noexcept;

private:
    channel_op *m_head = nullptr;
    channel_op *m_tail = nullptr;
};

}  // namespace weft::detail
