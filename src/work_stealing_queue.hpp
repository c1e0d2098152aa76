// Each worker's bounded queue: the owner pushes and pops at the tail, thieves take half at the head.
//
// Protocol "Claim and clip".
// Positions are 32-bit counters that wrap; slot = position & mask. Two shared words:
//   tail            written only by the owner; read by thieves.
//   head = (steal, real), one 64-bit word. steal == real when no steal is in flight. A thief
//                   claims [real, real + n) by moving real ahead (steal stays), copies the claimed
//                   tasks, then publishes steal = real = the end of what it really took.
// Owner pop (LIFO): store tail - 1, then load head (both seq_cst). If the popped position is at or
//   beyond real, no thief has it: take it. Otherwise a thief claimed it: restore tail, and if a
//   steal is in flight wait for it to end and try again. Both sides may see each other and both
//   back off (the thief clips its claim to the lowered tail and takes nothing); reporting "empty"
//   then would strand the task, since a worker trusts its own queue's answer before it sleeps.
// Thief steal-half: read head and tail, claim the larger half with a CAS on head (seq_cst), then
//   re-load tail (seq_cst) and clip the claim to it: the owner may have popped into the claimed
//   range after the thief first read tail. The owner's (store tail; load head) and the thief's
//   (CAS head; load tail) are a Dekker pair: at least one of them sees the other, so a position is
//   either left to the owner by the thief's clip or refused to the owner by its head check.
// A second thief finding steal != real gives up with `lost` instead of waiting for the first.
// The owner's push checks free space against steal (not real), so it never overwrites a slot a
// thief is still copying. The owner also takes from the head in two cases, with the thief's CAS:
// the fairness pop of its oldest task, and moving half its queue to the injector on overflow.
// Invariants: steal <= real <= steal + capacity; tail - steal <= capacity; between operations
// steal == real and real <= tail.
//
// Protocol "Taking an awaited entry". A task that awaits a child still in its worker's queue runs
// it inline, and must take its entry out of the queue as it does (fork-join speed): an entry left
// behind is dead (its task has run) but still holds the queue's reference on the cell, and costs a
// pop, a load of the cell's state and a reference drop later; children awaited in spawn order, the
// oldest first, left one per await, and they filled the queue. The owner's remove(task) takes any
// entry out, not only the newest:
//   Where. push() records each entry's position p in its cell (task_cell::next, unused while the
//     cell sits in a worker queue; written by the owner of the queue, read only by that owner).
//     It is a hint: the cell may have moved (stolen, moved to the injector) and `next` may hold
//     anything. The entry is at p when real <= p < tail and slot p holds the task; only the owner
//     writes slots and a cell has at most one queue entry, so that check cannot be fooled.
//   Claim. As the owner's pop, but for positions [p, tail): store tail = p, then load head (both
//     seq_cst, the same Dekker pair with the thief's CAS-then-reload). If p >= real, no thief
//     has claimed position p, and none can claim [p, old tail) until tail is raised again (a later
//     claim clips to p). Otherwise give the positions back (tail = old tail) and report false: the
//     caller claims the task in place and the entry stays, dead, until somebody pops it.
//   Fill the gap. The newest entry moves into slot p (an owner-only relaxed store; its cell's
//     position is rewritten), then tail = old tail - 1 with release, pairing with the thieves'
//     acquire of tail as a push does. Thieves read only slots below the tail they loaded, and a
//     claim made before the Dekker pair covers positions below real <= p, which are not touched.
// So the queue's order changes: the newest entry takes the removed one's place. For the worker
// that is harmless (it awaits the rest, or pops them, in any order); a thief may now take that
// entry with the older half. Cost: one seq_cst store and load, as a pop, and one slot move.
// Rejected: leaving the dead entry and dropping dead entries from the top of the queue at every
// await (what weft did first: a peek, a state load, a pop and a reference drop per dead entry;
// skynet on one worker ran 51.1M instructions against 40.2M before suspension); closing the gap by
// moving every newer entry down one slot, which keeps the order (measured: 51.8M on the same
// skynet, against 46.3M for the single move, since children awaited oldest first move 4.5 entries
// per await on average); a hole (a null slot) instead of filling the gap (thieves and the loop would
// have to skip null entries, and a thief that copied the slot before the owner nulled it would hold
// the task too); exchanging slots on the thief's side (an atomic read-modify-write per stolen task,
// what "Claim and clip" exists to avoid).
#pragma once

#include "sync.hpp"

#include <weft/bits/task_cell.hpp>

#include <cassert>
#include <cstdint>
#include <memory>
#include <sched.h>

namespace weft::detail {

enum class steal_status { taken, empty, lost };

struct steal_outcome {
    steal_status status;
    task_cell *task;      // one task to run now (when taken)
    std::uint32_t count;  // how many were taken in all, `task` included
};

class work_stealing_queue {
public:
    explicit work_stealing_queue(std::uint32_t capacity)
        : m_mask(capacity - 1), m_slots(new atomic<task_cell *>[capacity]) {
        assert(capacity >= 2 && (capacity & (capacity - 1)) == 0);
    }
    work_stealing_queue(const work_stealing_queue &) = delete;
    work_stealing_queue &operator=(const work_stealing_queue &) = delete;

    std::uint32_t capacity() const noexcept { return m_mask + 1; }

    // Owner: appends a task. False when the queue is full (the caller overflows to the injector).
    bool push(task_cell *task) noexcept {
        const std::uint32_t t = m_tail.load(std::memory_order_relaxed);
        // Acquire pairs with the thief's release of head: its copies of old slots are finished.
        const std::uint32_t s = steal_of(m_head.load(std::memory_order_acquire));
        if (t - s > m_mask) return false;
        note_position(task, t);
        m_slots[t & m_mask].store(task, std::memory_order_relaxed);
        // Release pairs with the thief's acquire load of tail: the slot is written.
        m_tail.store(t + 1, std::memory_order_release);
        return true;
    }

    // Owner: takes the newest task; nullptr only when the queue is empty.
    task_cell *pop() noexcept {
        for (;;) {
            const std::uint32_t t = m_tail.load(std::memory_order_relaxed);
            const std::uint64_t h0 = m_head.load(std::memory_order_acquire);
            if (t == real_of(h0)) {
                // All claimed, but a claim in flight may still be clipped and give positions back.
                if (steal_of(h0) == real_of(h0)) return nullptr;
                wait_for_steal_to_end();
                continue;
            }
            const std::uint32_t t1 = t - 1;
            // seq_cst store then seq_cst load: the owner's half of the Dekker pair (see above).
            m_tail.store(t1, std::memory_order_seq_cst);
            const std::uint64_t h = m_head.load(std::memory_order_seq_cst);
            if (static_cast<std::int32_t>(t1 - real_of(h)) >= 0)
                return m_slots[t1 & m_mask].load(std::memory_order_relaxed);
            // A thief claimed it (or the queue was empty): give the position back. Release,
            // because thieves that read this tail go on to read slots written before it.
            m_tail.store(t, std::memory_order_release);
            if (steal_of(h) == real_of(h)) return nullptr;  // no steal in flight: really empty
            // Both sides can see each other and both back off: the thief re-reads the tail we
            // just lowered and clips its claim to nothing. Wait for its claim to end, then look
            // again, so that "empty" is never reported while a task is still here.
            wait_for_steal_to_end();
        }
    }

    // Owner: takes `task` out of the queue, wherever it sits, when it is there and no thief has
    // claimed it; the newest entry takes its place. False, with nothing changed, otherwise.
    // See "Taking an awaited entry".
    bool remove(task_cell *task) noexcept {
        const std::uint32_t t = m_tail.load(std::memory_order_relaxed);
        const std::uint32_t p = position_hint(task);
        // Relaxed: a first filter only; the seq_cst load below decides.
        const std::uint32_t r = real_of(m_head.load(std::memory_order_relaxed));
        if (p - r >= t - r || m_slots[p & m_mask].load(std::memory_order_relaxed) != task) return false;
        // seq_cst store then seq_cst load: the owner's half of the Dekker pair, as in pop().
        m_tail.store(p, std::memory_order_seq_cst);
        const std::uint64_t h = m_head.load(std::memory_order_seq_cst);
        if (static_cast<std::int32_t>(p - real_of(h)) < 0) {
            // A thief claimed position p (its claim may yet be clipped and leave the task here;
            // the caller then claims it in place). Release, as in pop().
            m_tail.store(t, std::memory_order_release);
            return false;
        }
        if (p != t - 1) {
            task_cell *moved = m_slots[(t - 1) & m_mask].load(std::memory_order_relaxed);
            note_position(moved, p);
            m_slots[p & m_mask].store(moved, std::memory_order_relaxed);
        }
        // Release pairs with the thief's acquire load of tail: the moved slot is written.
        m_tail.store(t - 1, std::memory_order_release);
        return true;
    }

    // Owner: takes the oldest task, for fairness. nullptr when empty or a steal is in flight.
    task_cell *pop_oldest() noexcept {
        std::uint64_t h = m_head.load(std::memory_order_acquire);
        const std::uint32_t r = real_of(h);
        if (steal_of(h) != r || m_tail.load(std::memory_order_relaxed) == r) return nullptr;
        task_cell *task = m_slots[r & m_mask].load(std::memory_order_relaxed);
        // Pairs with other thieves' claims on head; success means nobody else took position r.
        if (m_head.compare_exchange_strong(h, pack(r + 1, r + 1), std::memory_order_acq_rel,
                                           std::memory_order_relaxed))
            return task;
        return nullptr;
    }

    // Owner, when push() found the queue full: takes the older half into out[] (room for
    // capacity/2) and returns how many; 0 when a steal is in flight.
    std::uint32_t take_older_half(task_cell **out) noexcept {
        std::uint64_t h = m_head.load(std::memory_order_acquire);
        const std::uint32_t r = real_of(h);
        if (steal_of(h) != r) return 0;
        const std::uint32_t n = (m_tail.load(std::memory_order_relaxed) - r) / 2;
        for (std::uint32_t i = 0; i < n; ++i) out[i] = m_slots[(r + i) & m_mask].load(std::memory_order_relaxed);
        if (n == 0 || !m_head.compare_exchange_strong(h, pack(r + n, r + n), std::memory_order_acq_rel,
                                                      std::memory_order_relaxed))
            return 0;
        return n;
    }

    // Thief (the owner of `into`): takes the larger half of this queue, keeps one task to run and
    // pushes the rest into its own queue `into`, which must not be this queue.
    steal_outcome steal_half_into(work_stealing_queue &into) noexcept {
        std::uint64_t h = m_head.load(std::memory_order_acquire);
        const std::uint32_t r = real_of(h);
        if (steal_of(h) != r) return {steal_status::lost, nullptr, 0};
        // Acquire pairs with the owner's release of tail: slots below it are written.
        const std::uint32_t t = m_tail.load(std::memory_order_acquire);
        const auto available = static_cast<std::int32_t>(t - r);
        if (available <= 0) return {steal_status::empty, nullptr, 0};
        std::uint32_t n = static_cast<std::uint32_t>(available) - static_cast<std::uint32_t>(available) / 2;
        const std::uint32_t room = into.free_slots() + 1;
        if (n > room) n = room;
        // The claim: the thief's half of the Dekker pair, with the tail re-load below.
        if (!m_head.compare_exchange_strong(h, pack(r, r + n), std::memory_order_seq_cst,
                                            std::memory_order_relaxed))
            return {steal_status::lost, nullptr, 0};
        const auto after = static_cast<std::int32_t>(m_tail.load(std::memory_order_seq_cst) - r);
        const std::uint32_t taken = after <= 0 ? 0 : (static_cast<std::uint32_t>(after) < n ? static_cast<std::uint32_t>(after) : n);
        task_cell *first = nullptr;
        for (std::uint32_t i = 0; i < taken; ++i) {
            task_cell *task = m_slots[(r + i) & m_mask].load(std::memory_order_relaxed);
            if (i == 0) {
                first = task;
            } else {
                [[maybe_unused]] const bool pushed = into.push(task);
                assert(pushed);
            }
        }
        // Release pairs with the owner's acquire in push(): the copies above are done.
        m_head.store(pack(r + taken, r + taken), std::memory_order_release);
        if (taken == 0) return {steal_status::lost, nullptr, 0};
        return {steal_status::taken, first, taken};
    }

    // Anyone: whether the queue looked non-empty (a hint; exact only when the owner is idle).
    bool has_work() const noexcept {
        return m_tail.load(std::memory_order_seq_cst) != real_of(m_head.load(std::memory_order_seq_cst));
    }
    // Owner: how many more tasks push() would accept.
    std::uint32_t free_slots() const noexcept {
        return m_mask + 1 - (m_tail.load(std::memory_order_relaxed) - steal_of(m_head.load(std::memory_order_acquire)));
    }

private:
    void wait_for_steal_to_end() const noexcept {
        // A claim is a few dozen instructions; yield after a short spin in case the thief was
        // preempted in the middle of it.
        for (int spins = 0;; ++spins) {
            const std::uint64_t h = m_head.load(std::memory_order_acquire);
            if (steal_of(h) == real_of(h)) return;
            if (spins < 64) {
                cpu_relax();
            } else {
                sched_yield();
            }
        }
    }

    // The position hint of "Taking an awaited entry", kept in the cell's `next` link while it
    // sits in a worker queue. Relaxed: written and read by the owner of the queue; a thief's push
    // into its own queue may rewrite it while the old owner reads it (the hint is then wrong, and
    // remove() finds the slot does not match).
    static void note_position(task_cell *task, std::uint32_t position) noexcept {
        task->next.store(reinterpret_cast<task_cell *>(static_cast<std::uintptr_t>(position)),
                         std::memory_order_relaxed);
    }
    static std::uint32_t position_hint(const task_cell *task) noexcept {
        return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(task->next.load(std::memory_order_relaxed)));
    }

    static constexpr std::uint64_t pack(std::uint32_t steal, std::uint32_t real) noexcept {
        return (static_cast<std::uint64_t>(steal) << 32) | real;
    }
    static constexpr std::uint32_t steal_of(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> 32); }
    static constexpr std::uint32_t real_of(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h); }

    const std::uint32_t m_mask;
    const std::unique_ptr<atomic<task_cell *>[]> m_slots;  // written by the owner, read by thieves
    // (steal, real): written by thieves (claim, publish) and by the owner's head-side takes;
    // read by everyone.
    alignas(k_cache_line) atomic<std::uint64_t> m_head{0};
    // Written only by the owner; read by thieves.
    alignas(k_cache_line) atomic<std::uint32_t> m_tail{0};
};

}  // namespace weft::detail
