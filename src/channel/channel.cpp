// Channels: sending, receiving and closing, and where a blocked party waits.
//
// Protocol "Channel hand-off". A channel is a buffer (capacity slots; none for a rendezvous
// channel, a growing ring for an unbounded one), a FIFO of blocked senders and a FIFO of blocked
// receivers, all under one mutex. Every operation takes the mutex and does one of:
//   send:    closed -> EPIPE. A receiver waits -> move the value straight into that receiver's
//            storage, set its status, wake it (direct hand-off: the buffer is not touched, and the
//            receiver's wake-up carries the value). Room in the buffer -> append. Else link a
//            channel_op on the senders FIFO and block.
//   receive: the buffer holds a value -> take the first; if a sender waits, move its value into
//            the freed slot and wake it (so FIFO order holds across buffer and waiting senders).
//            Else a sender waits (rendezvous, or capacity not yet used) -> take its value
//            directly, wake it. Else closed -> EPIPE. Else link and block.
//   close:   set closed; unlink every waiter of both FIFOs with status EPIPE and wake it. Values
//            still buffered stay for receivers to drain; senders that were waiting keep theirs.
// Blocking follows "Waiter" (suspend/waiter.hpp): the op is linked under the mutex, the party
// blocks, the completer unlinks it, writes the result and calls wake() while holding the mutex,
// and the woken party takes the mutex again before it reads its op. A timed-out or cancelled party
// (see "Cancelling a wait" in suspend/cancellable_wait.hpp) finds its op still linked and removes
// it itself, under the mutex, so each op ends exactly once: completed by one completer, closed,
// timed out or cancelled; a completed op is reported as completed even when the task was cancelled
// meanwhile, so a value handed over is never lost. A value moves exactly once, by the party holding the
// mutex, from one of (sender's frame, buffer slot) to one of (buffer slot, receiver's storage).
// Invariants, with the mutex held and counting only live ops (a plain op, or a select op whose
// claim is still open): senders has live ops only while the buffer is full; receivers has live
// ops only while the buffer is empty and the channel is open; closed => both have no live op. A
// select that waits on a send and a receive of the same channel is the one case where both hold
// live ops at once; whichever completes first decides it, and the other op turns stale.
// A waiting op of a select may already be decided by another channel; claim_front drops such
// stale ops as it meets them (see "Select claim" in select.cpp).
// Rejected: a lock-free ring (Go and crossbeam take a lock once a party must wait, and a waiting
// party's wake-up dominates the cost), and a buffered hand-off only (a rendezvous channel needs
// the sender to wait for its receiver, which the direct hand-off gives for free).
#include "channel/channel.hpp"

#include "parker.hpp"

#include <cerrno>
#include <cstdint>
#include <new>

namespace weft::detail {

namespace {
// First ring size of an unbounded channel; it doubles when full. Small so that an idle channel
// costs little; the doubling makes the copying amortised O(1) per element.
constexpr std::size_t k_initial_unbounded_slots = 16;
constexpr std::size_t k_unbounded = SIZE_MAX;

}  // namespace

channel_core::channel_core(std::size_t cap, const element_ops *element) noexcept
    : ops(element), capacity(cap), buffer(element, cap == k_unbounded ? k_initial_unbounded_slots : cap) {}

int channel_core::send_locked(void *value) noexcept {
    if (closed) return EPIPE;
    if (channel_op *receiver = receivers.claim_front()) {
        ops->move_construct(receiver->value, value);
        receiver->status = 0;
        receiver->party->wake();
        return 0;
    }
    if (buffer.full()) {
        if (capacity != k_unbounded) return k_would_block;
        if (!buffer.grow()) return ENOMEM;
    }
    buffer.push_back(value);
    return 0;
}

int channel_core::recv_locked(void *slot) noexcept {
    if (buffer.size()) {
        buffer.pop_front(slot);
        if (channel_op *sender = senders.claim_front()) {
            buffer.push_back(sender->value);
            sender->status = 0;
            sender->party->wake();
        }
        return 0;
    }
    if (channel_op *sender = senders.claim_front()) {
        ops->move_construct(slot, sender->value);
        sender->status = 0;
        sender->party->wake();
        return 0;
    }
    return closed ? EPIPE : k_would_block;
}

void channel_core::link_locked(channel_op *op, int kind) noexcept {
    (kind == k_select_send ? senders : receivers).push_back(op);
}

void channel_core::unlink_locked(channel_op *op, int kind) noexcept {
    if (op->linked) (kind == k_select_send ? senders : receivers).remove(op);
}

int wait_linked(std::unique_lock<std::mutex> &held, channel_core *ch, channel_op *op, int kind,
                std::int64_t deadline_ns, cancellable_wait &cancel) noexcept {
    for (;;) {
        held.unlock();
        block(*op->party);
        held.lock();
        if (!op->linked) return op->status;  // completed: reported even when cancelled meanwhile
        if (deadline_passed(deadline_ns)) {
            ch->unlink_locked(op, kind);
            return ETIMEDOUT;
        }
        // Not completed (only the completer that unlinks the op wakes it for the event): a cancel,
        // or a thread's spurious return. Re-armed, it may wait again unless the task is cancelled.
        if (!cancel.rearm(*op->party)) {
            ch->unlink_locked(op, kind);
            return ECANCELED;
        }
    }
}

channel_core *channel_create(std::size_t capacity, const element_ops *ops) noexcept {
    auto *ch = new (std::nothrow) channel_core(capacity, ops);
    if (!ch) return nullptr;
    if (!ch->buffer.reserve()) {
        delete ch;
        return nullptr;
    }
    return ch;
}

void channel_retain(channel_core *ch) noexcept { ch->refs.fetch_add(1, std::memory_order_relaxed); }

void channel_release(channel_core *ch) noexcept {
    // acq_rel: the last release must see every other handle's use of the channel (their releases
    // pair with this acquire) before it destroys the buffered values.
    if (ch->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete ch;
}

namespace {
// A send (value: the element to move from) or a receive (value: the slot to move into) that waits
// until it can complete, the channel closes or the deadline passes.
int transfer(channel_core *ch, void *value, int kind, std::int64_t deadline_ns) noexcept {
    std::unique_lock held(ch->mutex);
    const int r = kind == k_select_send ? ch->send_locked(value) : ch->recv_locked(value);
    if (r != k_would_block) return r;
    if (deadline_passed(deadline_ns)) return ETIMEDOUT;
    waiter party;
    prepare_waiter(party, deadline_ns);
    channel_op op;
    op.party = &party;
    op.value = value;
    ch->link_locked(&op, kind);
    cancellable_wait cancel;  // disarmed before party and op go (declared after them)
    if (!cancel.arm(party)) {
        ch->unlink_locked(&op, kind);
        return ECANCELED;
    }
    return wait_linked(held, ch, &op, kind, deadline_ns, cancel);
}
}  // namespace

int channel_send(channel_core *ch, void *value, std::int64_t deadline_ns) noexcept {
    const int r = transfer(ch, value, k_select_send, deadline_ns);
    spend_budget();  // after the channel's lock is let go
    return r;
}

int channel_recv(channel_core *ch, void *slot, std::int64_t deadline_ns) noexcept {
    const int r = transfer(ch, slot, k_select_recv, deadline_ns);
    spend_budget();
    return r;
}

void channel_close(channel_core *ch) noexcept {
    std::lock_guard held(ch->mutex);
    if (ch->closed) return;
    ch->closed = true;
    for (op_queue *q : {&ch->receivers, &ch->senders}) {
        while (channel_op *op = q->claim_front()) {
            op->status = EPIPE;
            op->party->wake();
        }
    }
}

bool channel_is_closed(const channel_core *ch) noexcept {
    std::lock_guard held(ch->mutex);
    return ch->closed;
}

std::size_t channel_size(const channel_core *ch) noexcept {
    std::lock_guard held(ch->mutex);
    return ch->buffer.size();
}

}  // namespace weft::detail
