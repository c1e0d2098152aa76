// The worker loop, and how a wait inside a task hands the worker to other tasks.
//
// A worker runs its loop on whichever of its stacks is current (see "Suspension" in
// suspend/fiber.hpp): the thread's own stack, or a pooled fiber while the thread's stack holds a
// suspended task. Each turn it first resumes a fiber whose wait has ended (or moves back onto the
// thread's idle stack), then takes a task from its own queue, the injector or a victim, and parks
// when there is none, no longer than the earliest deadline of its suspended timed waits.
// A wait inside a task (a future, a combinator, a group, wait_idle) goes through wait_in_task
// (suspend/waiter.cpp), which suspends the task; a wait on a task cell first runs the awaited task
// inline when nobody has claimed it yet (fork-join speed, run_awaited_here below). Unrelated tasks
// never nest on a waiting task's stack.
// This replaced "helping" (running any task while waiting, nested on the waiter's stack), which
// hung pipelines whose stages wait for stages queued behind them, let stack depth grow with the
// length of a queue, ran the awaited task past a timed wait's deadline, and could never resume a
// waiter whose awaited task sat suspended lower on the same stack.
// A thread outside the runtime never runs tasks: it spins briefly and sleeps on the future. Letting
// it run the awaited task inline was measured and rejected: in fork-join code the outside thread then
// runs a whole subtree whose spawns all go through the injector, and with main plus two workers on
// two cores it takes a core the workers need (fib(30): 49 ms with inline runs, 23 ms without).
//
// Fairness: the worker takes the newest task of its own queue, which keeps fork-join depth-first,
// but every k_fairness_interval tasks it first takes from the injector and then its own oldest
// task, so two tasks spawning each other cannot starve the rest.
#include "scheduler.hpp"

#include "cell_pool.hpp"
#include "parking_lot.hpp"
#include "suspend/stack_pool.hpp"
#include "suspend/waiter.hpp"

#include <sched.h>

namespace weft::detail {

namespace {
// Go's scheduler looks at its global queue every 61 scheduling ticks; a prime avoids lockstep
// with periodic task patterns. Same reasoning here.
constexpr std::uint32_t k_fairness_interval = 61;
// Tasks taken from the injector per visit. 64 amortises the consumer lock over a cache line's
// worth of work without hoarding what another worker could run (tuned on the seed benchmark).
constexpr std::uint32_t k_injector_batch = 64;
// Steal rounds over all victims before a searcher parks; the last ends with a yield so that a
// spawner sharing the core runs, the others with a spin of k_search_pause pauses.
constexpr int k_search_rounds = 3;
constexpr int k_search_pause = 64;
// A worker about to sleep gives surplus fiber stacks back only when its next timed wait is at least
// this far away (or it has none): 10 ms, well beyond the gaps between the wake-ups of a burst of
// sleeping tasks, short enough that memory goes back soon after the burst.
constexpr std::int64_t k_quiet_for_stacks_ns = 10'000'000;
// How long a worker that found nothing to do watches for a wake-up before it sleeps in the kernel.
// A task on another worker often answers within microseconds (a channel ping-pong, a mutex
// hand-off): caught while spinning, the answer costs neither side a futex call, where a sleep
// costs the waker a futex wake and this worker a futex wait and a reschedule. An idle runtime
// spins once, when it goes idle.
constexpr std::int64_t k_park_spin_ns = 20'000;
// A parked worker with no timed wait due wakes after this long anyway, searches, and parks again:
// a safety net in the spirit of Go's sysmon, bounding how long queued work could stay stranded if
// a wake-up were ever missed while the worker holding that work is blocked in a task. The protocol
// itself owes no such wake-up (see "Searching and parking" in idle.hpp; the one lost wake-up found,
// a refused searcher parking without a recheck, is fixed there). The chaos build has no net, so
// that a lost wake-up shows as a hang its tests catch instead of a 100 ms stall nobody sees.
// At 100 ms an idle worker costs a few tens of microseconds of CPU per second.
constexpr std::int64_t k_idle_recheck_ns = k_chaos ? -1 : 100'000'000;
// Pause iterations an outside waiter spins before it sleeps (about a microsecond).
constexpr int k_outside_spin = 64;

bool is_done(const task_cell *cell) noexcept { return cell->state.load(std::memory_order_acquire) & k_done; }

}  // namespace

struct worker_ops {
    // Counts a task of runtime `s` that worker `w` ran: in w's own counter when `s` is w's runtime,
    // else as a task run from outside `s` (awaited by a worker of another runtime).
    static void note_executed(worker &w, scheduler &s) noexcept {
        if (&w.sched == &s) {
            bump(w.counters.executed);
        } else {
            s.m_outside_executed.fetch_add(1, std::memory_order_release);
        }
    }

    // Runs a task whose queue entry this worker took (popped, stolen, or removed by an await),
    // holding the queue's reference, as its claim said. A lost claim (an awaiter ran it inline)
    // only drops that reference; false then.
    static bool run_taken(worker &w, task_cell *t, claim_outcome outcome) noexcept {
        if (outcome == claim_outcome::lost) {
            release(t);
            return false;
        }
        execute_or_skip(outcome, t, &w.sched, true);
        bump(w.counters.executed);  // a task of this worker's own queues: of its runtime
        return true;
    }

    static void run_queued(worker &w, task_cell *t) noexcept {
        // A detached task has no future, so nobody else can claim it: no claim to pay for.
        const bool detached = t->state.load(std::memory_order_relaxed) & k_detached;
        run_taken(w, t, detached ? claim_outcome::run : try_claim(t));
    }

    // Runs (or skips, see "Cancellation scopes") an awaited task inline after a successful claim,
    // on behalf of its own runtime.
    static void run_claimed_inline(worker &w, task_cell *cell, claim_outcome outcome) noexcept {
        // Usually a task of the awaiting worker's own runtime: no registry lookup then.
        scheduler *owner = cell->runtime_id == w.sched.id() ? &w.sched : scheduler::from_id(cell->runtime_id);
        execute_or_skip(outcome, cell, owner, false);
        note_executed(w, *owner);
    }

    static task_cell *take_from_injector(scheduler &s, worker &w) noexcept {
        task_cell *batch[k_injector_batch];
        std::uint32_t max = w.queue.free_slots() + 1;
        if (max > k_injector_batch) max = k_injector_batch;
        const std::uint32_t n = s.m_injector.try_pop_batch(batch, max);
        if (n == 0) return nullptr;
        // Newest first into the LIFO queue, so the batch runs in spawn order.
        for (std::uint32_t i = n - 1; i >= 1; --i) w.queue.push(batch[i]);
        if (n > 1) {
            fence(std::memory_order_seq_cst);  // as for a local spawn (scheduler::push_from_worker)
            if (s.m_idle->should_notify(std::memory_order_relaxed)) s.notify_one_parked();
        }
        return batch[0];
    }

    static task_cell *find_local(scheduler &s, worker &w) noexcept {
        if (++w.tick % k_fairness_interval == 0) {
            if (task_cell *t = take_from_injector(s, w)) return t;
            if (task_cell *t = w.queue.pop_oldest()) return t;
        }
        if (task_cell *t = w.queue.pop()) return t;
        return take_from_injector(s, w);
    }

    static task_cell *steal_round(scheduler &s, worker &w) noexcept {
        const auto n = static_cast<std::uint32_t>(s.m_workers.size());
        if (n > 1) {
            const auto start = static_cast<std::uint32_t>(
                k_chaos ? chaos_random(n) : xorshift64(w.rng) % n);
            for (std::uint32_t i = 0; i < n; ++i) {
                const std::uint32_t v = (start + i) % n;
                if (v == w.index) continue;
                const steal_outcome got = s.m_workers[v]->queue.steal_half_into(w.queue);
                if (got.status == steal_status::taken) {
                    bump(w.counters.stolen, got.count);
                    return got.task;
                }
            }
        }
        return take_from_injector(s, w);
    }

    static bool any_work_visible(scheduler &s) noexcept {
        if (!s.m_injector.empty()) return true;
        for (const auto &v : s.m_workers)
            if (v->queue.has_work()) return true;
        return false;
    }

    static void leave_searching(scheduler &s, worker &w) noexcept {
        if (!w.searching) return;
        w.searching = false;
        // The last searcher found work: wake one more, so parallelism spreads, but only when more
        // work is visible. A spawn made while this worker searched did not wake anyone (a searcher
        // was about), so the check must come after the seq_cst decrement, as the parking recheck
        // does ("Searching and parking"); a spawn after it sees nobody searching and wakes a
        // worker itself. A wake-up with nothing to find only cost the task its start: a system
        // call on this worker before the task runs, and a worker that searches and parks again.
        if (s.m_idle->transition_from_searching() && any_work_visible(s) &&
            s.m_idle->should_notify(std::memory_order_seq_cst))
            s.notify_one_parked();
    }

    static task_cell *search(scheduler &s, worker &w) noexcept {
        if (!w.searching) w.searching = s.m_idle->transition_to_searching();
        if (!w.searching) return nullptr;
        for (int round = 0; round < k_search_rounds; ++round) {
            if (task_cell *t = steal_round(s, w)) return t;
            if (s.m_shutdown.load(std::memory_order_relaxed)) break;
            // A fiber of this worker woken meanwhile (a reply from a task on another worker) is
            // work too: stop searching and resume it, instead of yielding the core first. The
            // pause between rounds watches for it too: a pause is tens of cycles, and a reply
            // noticed only after the whole spin waited that long for nothing.
            if (w.fibers.has_ready()) break;
            // Between rounds a short spin; only the last round yields the core (a system call,
            // and an expensive one in a virtual machine), for a spawner that shares it.
            if (round + 1 < k_search_rounds) {
                for (int i = 0; i < k_search_pause && !w.fibers.has_ready(); ++i) cpu_relax();
            } else {
                sched_yield();
            }
        }
        return nullptr;
    }

    // Parks the worker until it is notified, a fiber of it is woken, or its earliest timed wait
    // expires. Returns false when the runtime is shutting down and this worker should exit.
    static bool park(scheduler &s, worker &w) noexcept {
        // Never sleep on a non-empty queue of one's own, nor on fibers ready to resume: nobody
        // else is obliged to look at them. A fiber woken after this check leaves a token in the
        // parker (the waker unparks after pushing, see waiter::wake), so that wake is not lost.
        if (w.queue.has_work() || w.fibers.has_ready()) return true;
        s.notify_idle_waiters();
        const bool last = s.m_idle->transition_to_parked(w.index, w.searching);
        w.searching = false;
        if (s.m_shutdown.load(std::memory_order_seq_cst)) return false;
        if (last && any_work_visible(s)) {
            // The recheck of "Searching and parking" found work: stay up.
            if (!s.m_idle->transition_to_unparked(w.index)) w.park.park();  // consume the token
            w.searching = true;
            return true;
        }
        bump(w.counters.parked);
        trim_thread_pool_if_worthwhile();  // see "Giving memory back" in cell_pool.hpp
        const std::int64_t next_timer = w.fibers.timers.earliest();
        // A quiet moment for the stack pool too ("Stack slabs"), unless a timed wait is due soon:
        // a burst of sleeping tasks would otherwise give back the stacks it is about to reuse.
        if (next_timer < 0 || next_timer - now_ns() > k_quiet_for_stacks_ns) give_back_surplus_stacks();
        // With no timed wait due, still wake up now and then to look for stranded work (above).
        const std::int64_t deadline =
            next_timer >= 0 ? next_timer : (k_idle_recheck_ns < 0 ? -1 : now_ns() + k_idle_recheck_ns);
        w.park.park(deadline, k_park_spin_ns);
        // Still in the parked set: woken by a fiber's wake-up, a timeout or shutdown, not for work.
        if (s.m_idle->transition_to_unparked(w.index) == false) bump(w.counters.woken);
        w.searching = true;
        return true;
    }
};

namespace {
// The untimed fast path of "Waiting in a task" (suspend/waiter.hpp), tried by the waits on a task
// cell below before they wait: runs `cell` here when nobody has claimed it and the stack has room.
// True when it ran (the wait is over); false when the caller must wait. Inlined into wait_done,
// the await of fork-join code.
[[gnu::always_inline]] inline bool run_awaited_here(worker &w, task_cell *cell) noexcept {
    // Claimed covers done: a finished task was claimed by whoever ran it.
    if ((cell->state.load(std::memory_order_relaxed) & k_claimed) || !w.fibers.has_inline_room())
        return false;
    // The fork-join fast path: the awaited child is in this worker's own queue. Its entry comes
    // out with it ("Taking an awaited entry", work_stealing_queue.hpp), so that no dead entry stays
    // behind, and the queue's reference passes to this runner (a claim lost meanwhile drops it, and
    // the caller waits).
    if (w.queue.remove(cell)) return worker_ops::run_taken(w, cell, try_claim(cell));
    // Elsewhere (another worker's queue, the injector), or a thief claimed its entry: run it here
    // all the same if nobody has claimed it; whoever pops the entry later finds the claim lost.
    const claim_outcome outcome = try_claim(cell);
    if (outcome == claim_outcome::lost) return false;
    worker_ops::run_claimed_inline(w, cell, outcome);
    return true;
}
}  // namespace

void run_worker_loop(worker &w) noexcept {
    scheduler &s = w.sched;
    for (;;) {
        if (w.exiting) return;
        expire_timers(w);
        if (!w.fibers.take_queue_first()) {
            if (w.fibers.has_ready()) worker_ops::leave_searching(s, w);
            if (w.fibers.switch_to_waiting()) continue;
        }
        task_cell *t = worker_ops::find_local(s, w);
        if (!t) t = worker_ops::search(s, w);
        if (t) {
            worker_ops::leave_searching(s, w);
            worker_ops::run_queued(w, t);
            w.fibers.promote_yielded();
            continue;
        }
        if (w.fibers.has_ready()) {
            w.fibers.promote_yielded();
            continue;
        }
        if (!worker_ops::park(s, w)) {
            w.exiting = true;
            return;
        }
    }
}

namespace {
bool cell_done(const void *object) noexcept { return is_done(static_cast<const task_cell *>(object)); }
bool cell_subscribe(const void *object, wait_record *record) noexcept {
    return subscribe_cell(const_cast<task_cell *>(static_cast<const task_cell *>(object)), record);
}
wait_target cell_target(task_cell *cell) noexcept { return {&cell_done, &cell_subscribe, cell}; }

bool outside_wait(const wait_target &target, std::int64_t deadline_ns) {
    if (target.done(target.object)) return true;
    for (int i = 0; i < k_outside_spin; ++i) {
        if (target.done(target.object)) return true;
        cpu_relax();
    }
    parker &me = this_thread_parker();
    wait_record record;
    record.thread = &me;
    for (;;) {
        if (!target.subscribe(target.object, &record)) return true;
        me.park(deadline_ns);
        parking_lot::unsubscribe(&record);
        if (target.done(target.object)) return true;
        if (deadline_passed(deadline_ns)) return false;
    }
}
}  // namespace

void scheduler::worker_main(worker &w) {
    t_context.self = &w;
    t_context.sched = this;
    w.fibers.attach(w);
    run_worker_loop(w);
    w.fibers.detach();
    t_context = {};
}

bool wait_until(const wait_target &target, std::int64_t deadline_ns) {
    if (target.done(target.object)) return true;
    if (t_context.self) return wait_in_task(target, deadline_ns);
    return outside_wait(target, deadline_ns);
}

namespace {
// Kept out of line so that the fast paths below stay leaf-like functions without a frame for it.
// They have tried run_awaited_here already wherever it applies (a worker, no deadline), and a
// failed try stays failed (a claim is never undone; this frame has less stack, not more): the
// generic wait only waits.
[[gnu::noinline]] bool wait_done_slow(task_cell *cell, std::int64_t deadline_ns) {
    if (!t_context.self) return outside_wait(cell_target(cell), deadline_ns);
    return wait_in_task(cell_target(cell), deadline_ns);
}
}  // namespace

void wait_done(task_cell *cell) {
    // future::get tested done before calling; run_awaited_here refuses a claimed (so a done) task.
    worker *const self = t_context.self;
    if (self && run_awaited_here(*self, cell)) return;
    if (!is_done(cell)) wait_done_slow(cell, -1);
}

bool wait_done_until(task_cell *cell, std::int64_t deadline_ns) {
    if (is_done(cell)) return true;
    // The fast path first, before the generic target is built: in fork-join code most awaits end here.
    worker *const self = t_context.self;
    if (self && deadline_ns < 0 && run_awaited_here(*self, cell)) return true;
    return wait_done_slow(cell, deadline_ns);
}

}  // namespace weft::detail
