// Select: wait on several channel operations and perform exactly one of them.
//
// Protocol "Select claim". A select locks every distinct channel of its cases, in address order
// (so two selects, or a select and a plain operation, never wait for each other's locks in a
// cycle), and then:
//   1. polls the cases in a random order (a fresh permutation per select, so cases ready at once
//      are chosen uniformly, as Go does) with the locked steps of "Channel hand-off"; the first that
//      can proceed is performed, every lock is dropped, and its index returned. A closed channel
//      makes its case ready with status EPIPE. A NULL channel is never ready.
//   2. If none is ready and the deadline has passed (a poll), drops the locks: timeout.
//   3. Else links one channel_op per case, all pointing at one waiter and one claim word (k_open),
//      drops the locks and blocks.
// A completer (a plain send or receive, a close, or another select's step 1, each holding the
// lock of the one channel it works on) that pops such an op must first win the claim word with a
// compare-exchange k_open -> case index + 1 (op_queue::claim_front). Only one completer can:
// whoever wins performs that one case, writes its status and wakes the select while still holding
// its channel's lock; a completer that loses unlinks the stale op and goes on to the next waiter
// in its FIFO, as if the op had never been there. So exactly one case happens, and no value is
// lost: a loser never moved anything.
//   4. Woken (by the winner, by its deadline, or spuriously for a thread), the select locks all its
//      channels again. With every lock held, no completer can be in the middle of its case, so the
//      claim word is stable: decided -> that case is complete (its completer held the channel lock
//      the select now holds); still open and past the deadline -> the select claims it itself
//      (k_timed_out) and times out; still open otherwise -> waits again. Then it unlinks every op
//      still linked and drops the locks. Because the winner wakes under a lock the select takes in
//      step 4, the waiter and the ops (on the select's stack) outlive every use.
// A select in step 1 never meets its own ops: they are linked only in step 3, and are visible only
// after the locks drop. A select whose deadline fires and whose claim a completer wins before the
// select relocks returns that case, not a timeout: the value has moved and must be reported.
// Rejected: linking case by case without holding all locks (the select would then need to claim
// itself before completing a case it finds ready, and a completer on another channel could meet a
// half-claimed select: both sides would need a "busy" state and a retry loop), and a global select
// lock (every channel operation would contend on it).
// Cancellation ("Cancelling a wait", suspend/cancellable_wait.hpp) is a third way out of step 4,
// decided like the timeout: with every lock held, a still-open claim word is claimed by the select
// itself (k_claim_cancelled); a claim a completer already won is reported as that case.
#include "channel/channel.hpp"

#include "parker.hpp"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>

namespace weft::detail {

namespace {

// Cases handled without a heap allocation; more (rare) allocate their working arrays.
constexpr std::size_t k_inline_cases = 16;

std::uint64_t next_random() noexcept {
    thread_local std::uint64_t t_state = 0;
    if (t_state == 0) {
        t_state = static_cast<std::uint64_t>(now_ns()) ^ reinterpret_cast<std::uintptr_t>(&t_state);
        if (t_state == 0) t_state = 0x9E3779B97F4A7C15ull;
    }
    return xorshift64(t_state);
}

// The working arrays of one select: a channel_op per case, the poll order, the distinct channels
// in lock order.
struct select_frame {
    channel_op *ops;
    std::size_t *order;
    channel_core **locks;
    std::size_t lock_count = 0;
};

void lock_all(const select_frame &f) noexcept {
    for (std::size_t i = 0; i < f.lock_count; ++i) f.locks[i]->mutex.lock();
}
void unlock_all(const select_frame &f) noexcept {
    for (std::size_t i = f.lock_count; i-- > 0;) f.locks[i]->mutex.unlock();
}

long run_select(select_op *cases, std::size_t n, std::int64_t deadline_ns, select_frame &f) {
    std::size_t live = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (cases[i].channel) {
            f.order[live] = i;
            f.locks[live] = cases[i].channel;
            ++live;
        }
    }
    std::sort(f.locks, f.locks + live);
    f.lock_count = static_cast<std::size_t>(std::unique(f.locks, f.locks + live) - f.locks);
    for (std::size_t i = live; i > 1; --i) std::swap(f.order[i - 1], f.order[next_random() % i]);

    lock_all(f);
    for (std::size_t k = 0; k < live; ++k) {
        select_op &c = cases[f.order[k]];
        const int r = c.op == k_select_send ? c.channel->send_locked(c.value) : c.channel->recv_locked(c.value);
        if (r != k_would_block) {
            unlock_all(f);
            if (r == ENOMEM) return -2;
            c.status = r;
            return static_cast<long>(f.order[k]);
        }
    }
    if (deadline_passed(deadline_ns)) {
        unlock_all(f);
        return -1;
    }

    waiter party;
    prepare_waiter(party, deadline_ns);
    // The claim word: see "Select claim" and channel_op::claim for its writers and readers.
    atomic<std::uint32_t> claim{k_claim_open};
    for (std::size_t k = 0; k < live; ++k) {
        const std::size_t i = f.order[k];
        channel_op &op = f.ops[k];
        op.party = &party;
        op.claim = &claim;
        op.case_index = static_cast<std::uint32_t>(i);
        op.value = cases[i].value;
        cases[i].channel->link_locked(&op, cases[i].op);
    }
    // See "Cancelling a wait": a cancelled select claims its own word, like a timed-out one.
    cancellable_wait cancel;  // disarmed before party and claim go (declared after them)
    std::uint32_t decided = k_claim_open;
    if (!cancel.arm(party)) {
        claim.store(k_claim_cancelled, std::memory_order_relaxed);  // every lock is held: still open
        decided = k_claim_cancelled;
    }
    while (decided == k_claim_open) {
        unlock_all(f);
        block(party);
        lock_all(f);
        decided = claim.load(std::memory_order_relaxed);  // stable: every lock is held
        if (decided != k_claim_open) break;
        if (deadline_passed(deadline_ns)) {
            claim.store(k_claim_timed_out, std::memory_order_relaxed);
            decided = k_claim_timed_out;
            break;
        }
        // Nobody won the claim yet: a cancel, or a thread's spurious return.
        if (!cancel.rearm(party)) {
            claim.store(k_claim_cancelled, std::memory_order_relaxed);
            decided = k_claim_cancelled;
        }
    }
    for (std::size_t k = 0; k < live; ++k) {
        cases[f.order[k]].channel->unlink_locked(&f.ops[k], cases[f.order[k]].op);
    }
    unlock_all(f);
    if (decided == k_claim_timed_out) return -1;
    if (decided == k_claim_cancelled) return -3;
    const std::size_t index = decided - 1;
    for (std::size_t k = 0; k < live; ++k) {
        if (f.order[k] == index) cases[index].status = f.ops[k].status;
    }
    return static_cast<long>(index);
}

long select_in_frame(select_op *cases, std::size_t n, std::int64_t deadline_ns) noexcept {
    if (n <= k_inline_cases) {
        channel_op ops[k_inline_cases];
        std::size_t order[k_inline_cases];
        channel_core *locks[k_inline_cases];
        select_frame f{ops, order, locks};
        return run_select(cases, n, deadline_ns, f);
    }
    std::unique_ptr<channel_op[]> ops(new (std::nothrow) channel_op[n]);
    std::unique_ptr<std::size_t[]> order(new (std::nothrow) std::size_t[n]);
    std::unique_ptr<channel_core *[]> locks(new (std::nothrow) channel_core *[n]);
    if (!ops || !order || !locks) return -2;
    select_frame f{ops.get(), order.get(), locks.get()};
    return run_select(cases, n, deadline_ns, f);
}

}  // namespace

long channel_select(select_op *cases, std::size_t n, std::int64_t deadline_ns) noexcept {
    const long r = select_in_frame(cases, n, deadline_ns);
    spend_budget();  // "The cooperative budget" (suspend/fiber.hpp), every lock let go
    return r;
}

}  // namespace weft::detail
