// A channel between tasks and threads: its buffer, its sender and receiver queues, its lock.
//
// See "Channel hand-off" in channel.cpp. The select (select.cpp) uses the locked steps below
// directly, with every channel of the select locked.
#pragma once

#include "channel/channel_op.hpp"
#include "channel/element_ring.hpp"
#include "suspend/cancellable_wait.hpp"
#include "sync.hpp"

#include <weft/bits/channel_core.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace weft::detail {

// Returned by the locked steps when the operation would have to wait.
inline constexpr int k_would_block = -1;

struct channel_core {
    channel_core(std::size_t capacity, const element_ops *ops) noexcept;

    // The steps of "Channel hand-off", called with mutex held. They complete at once or return
    // k_would_block; they never wait. send_locked moves from *value only when it returns 0.
    int send_locked(void *value) noexcept;
    int recv_locked(void *slot) noexcept;
    // Links op (a send or a receive) to wait; the caller then blocks. Requires mutex.
    void link_locked(channel_op *op, int kind) noexcept;
    void unlink_locked(channel_op *op, int kind) noexcept;

    const element_ops *ops;
    const std::size_t capacity;  // 0: rendezvous; SIZE_MAX: unbounded
    // References: one per handle. Written and read by every handle's copy and release.
    atomic<std::size_t> refs{1};
    mutable std::mutex mutex;    // guards everything below, and the ops linked in the queues
    element_ring buffer;
    op_queue senders;            // blocked senders, FIFO; non-empty only while the buffer is full
    op_queue receivers;          // blocked receivers, FIFO; non-empty only while the buffer is empty
    bool closed = false;
};

// Blocks the party of `op` (linked in one channel, whose lock `held` is, and armed in `cancel`)
// until a completer unlinks it, the deadline passes or the task is cancelled; on return the lock
// is held again and op is unlinked. Returns op->status, ETIMEDOUT or ECANCELED.
int wait_linked(std::unique_lock<std::mutex> &held, channel_core *ch, channel_op *op, int kind,
                std::int64_t deadline_ns, cancellable_wait &cancel) noexcept;

}  // namespace weft::detail
