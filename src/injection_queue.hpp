// The global injection queue: spawns from outside the workers and overflow from full worker queues.
//
// Protocol "Linked injector". An intrusive multi-producer list threaded through task_cell::next,
// with a stub node (after Vyukov's MPSC queue): a producer links a whole chain with one exchange
// on `m_tail` and one store into the old tail's `next`, so a spawn from outside the runtime costs
// one atomic exchange and never a lock, and an overflow of 128 tasks costs the same. Consumers
// are serialised by a try-lock; the one holding it takes a batch of tasks at once, and the others
// go and look elsewhere instead of waiting. Between a producer's exchange and its link store the
// list is briefly cut: the consumer then sees "busy" and tries again later.
// The queue is empty exactly when both `m_tail` and `m_head` are the stub. `m_tail` alone is not
// enough: when the consumer re-links the stub behind the last task it took, a producer may have
// slipped one more task in before it, leaving head -> task -> stub with `m_tail` at the stub (the
// chaos build stranded a task that way). A producer's exchange makes `m_tail` non-stub at once,
// which the parking recheck relies on; a task left behind the consumer keeps `m_head` non-stub.
// Rejected: a mutex-protected deque (the old runtime's global lock, and a lock per outside spawn),
// and a bounded ring (the seed benchmark queues 10M tasks from outside; the list needs no extra
// memory per task and no resizing).
#pragma once

#include "sync.hpp"

#include <weft/bits/task_cell.hpp>

#include <cstdint>

namespace weft::detail {

class injection_queue {
public:
    injection_queue() noexcept {
        m_stub.next.store(nullptr, std::memory_order_relaxed);
        m_head.store(&m_stub, std::memory_order_relaxed);
        m_tail.store(&m_stub, std::memory_order_relaxed);
    }
    injection_queue(const injection_queue &) = delete;
    injection_queue &operator=(const injection_queue &) = delete;

    // Any thread: appends the chain first -> ... -> last (linked through next).
    void push_chain(task_cell *first, task_cell *last) noexcept {
        last->next.store(nullptr, std::memory_order_relaxed);
        // seq_cst: the spawner's half of the parking Dekker pair (it loads the idle state after),
        // and acq_rel for the chain: pairs with the consumer's acquire load of next.
        task_cell *prev = m_tail.exchange(last, std::memory_order_seq_cst);
        prev->next.store(first, std::memory_order_release);
    }
    void push(task_cell *task) noexcept { push_chain(task, task); }

    // Any thread: takes up to `max` tasks into out[]; returns how many (0: empty, busy or locked).
    std::uint32_t try_pop_batch(task_cell **out, std::uint32_t max) noexcept {
        if (empty()) return 0;
        if (m_consumer_lock.exchange(true, std::memory_order_acquire)) return 0;
        std::uint32_t n = 0;
        while (n < max) {
            task_cell *task = pop_locked();
            if (!task) break;
            out[n++] = task;
        }
        m_consumer_lock.store(false, std::memory_order_release);
        return n;
    }

    // Anyone: no task queued, and no producer in the middle of a push.
    bool empty() const noexcept {
        return m_tail.load(std::memory_order_seq_cst) == &m_stub && m_head.load(std::memory_order_acquire) == &m_stub;
    }

private:
    task_cell *pop_locked() noexcept {
        task_cell *head = m_head.load(std::memory_order_relaxed);
        // Acquire pairs with the producer's release store of next.
        task_cell *next = head->next.load(std::memory_order_acquire);
        if (head == &m_stub) {
            if (!next) return nullptr;
            set_head(head = next);
            next = next->next.load(std::memory_order_acquire);
        }
        if (next) {
            set_head(next);
            return head;
        }
        if (head != m_tail.load(std::memory_order_acquire)) return nullptr;  // a producer is mid-push
        push(&m_stub);
        next = head->next.load(std::memory_order_acquire);
        if (next) {
            set_head(next);
            return head;
        }
        return nullptr;  // a producer is mid-push behind the stub
    }
    // Release pairs with empty()'s acquire: a reader that sees the new head sees its links.
    void set_head(task_cell *h) noexcept { m_head.store(h, std::memory_order_release); }

    task_cell m_stub{};
    // Written only by whoever holds m_consumer_lock; read by empty() from any thread.
    atomic<task_cell *> m_head;
    // Written by the consumer holding the lock; read by consumers trying it.
    alignas(k_cache_line) atomic<bool> m_consumer_lock{false};
    // Exchanged by every producer; read by empty().
    alignas(k_cache_line) atomic<task_cell *> m_tail;
};

}  // namespace weft::detail
