// The scheduler behind weft::runtime: its workers, queues and counters, and the thread context.
#pragma once

#include "idle.hpp"
#include "injection_queue.hpp"
#include "parker.hpp"
#include "suspend/fiber.hpp"
#include "sync.hpp"
#include "work_stealing_queue.hpp"

#include <weft/bits/task_cell.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <vector>

namespace weft::detail {

class scheduler;

struct scheduler_config {
    std::uint32_t workers = 0;          // 0: WEFT_WORKERS, else the CPUs this process may run on
    std::size_t stack_size = 0;         // 0: k_default_stack_size; else at least PTHREAD_STACK_MIN
    std::uint32_t queue_capacity = 0;   // 0: k_default_queue_capacity
};

// The most workers one runtime may have, from weft_init, runtime options or WEFT_WORKERS. Far
// above the core counts weft targets; it exists so that a typo or an unsigned wrap-around (say
// weft_init(-1)) is refused at once instead of asking for billions of worker records.
inline constexpr std::uint32_t k_max_workers = 4096;
// 256 slots, as in tokio and Go: big enough to absorb a burst of spawns, small enough that
// stealing half is cheap.
inline constexpr std::uint32_t k_default_queue_capacity = k_chaos ? 4 : 256;
// Overflow moves half a queue through a buffer on the worker's stack; this bounds it (8 KiB).
inline constexpr std::uint32_t k_max_queue_capacity = 2048;
// A worker thread's own stack: tasks run on it while nothing waits, and await chains run inline on
// it until k_inline_headroom is left (suspend/waiter.cpp). 64 MiB reserved (not committed) lets
// plain recursion inside a task go as deep as on a big main thread.
inline constexpr std::size_t k_default_stack_size = std::size_t{64} << 20;

// Counters a worker writes alone (relaxed loads and release stores, no read-modify-write).
struct worker_counters {
    atomic<std::uint64_t> spawned{0};
    atomic<std::uint64_t> executed{0};
    atomic<std::uint64_t> stolen{0};
    atomic<std::uint64_t> parked{0};
    atomic<std::uint64_t> woken{0};

    // Adds (spawned, executed, stolen, parked, woken) into out; a relaxed snapshot for stats.
    void add_to(std::uint64_t out[5]) const noexcept {
        out[0] += spawned.load(std::memory_order_relaxed);
        out[1] += executed.load(std::memory_order_relaxed);
        out[2] += stolen.load(std::memory_order_relaxed);
        out[3] += parked.load(std::memory_order_relaxed);
        out[4] += woken.load(std::memory_order_relaxed);
    }
};
inline void bump(atomic<std::uint64_t> &c, std::uint64_t by = 1) noexcept {
    // Release: the quiescence check reads executed (acquire) before spawned.
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_release);
}

struct worker {
    worker(scheduler &s, std::uint32_t i, std::uint32_t capacity) : sched(s), index(i), queue(capacity) {}
    scheduler &sched;
    const std::uint32_t index;
    work_stealing_queue queue;
    parker park;
    // Owner-only state.
    std::uint32_t tick = 0;        // tasks run, for the fairness interval
    std::uint64_t rng = 0;         // victim selection
    bool searching = false;        // counted as a searcher in the idle coordinator
    pthread_t thread{};
    bool exiting = false;          // owner-only: the loop ends (set on the fiber that saw shutdown)
    worker_fibers fibers;          // its stacks, ready fibers and timed waits (suspend/fiber.hpp)
    alignas(k_cache_line) worker_counters counters;
};

// What the running thread is doing for weft. Workers set it once; other threads set it while
// they run a task inline. On a worker, everything but `self` belongs to the running fiber and is
// saved and restored with it (suspend/fiber.cpp).
struct thread_context {
    worker *self = nullptr;        // non-null on a worker thread
    scheduler *sched = nullptr;    // the runtime of the task being run (or of the worker)
    task_cell *current = nullptr;  // the task being run
    cancel_scope *scope = nullptr; // the task_group scope it runs in ("Cancellation scopes")
    std::uint32_t depth = 0;       // tasks nested on this stack
    void *local = nullptr;         // the running task's weft_task_local slot
};
// constinit: other files access it directly, without the TLS wrapper function (which UBSan also
// misreports as a null pointer).
extern constinit thread_local thread_context t_context;

class scheduler {
public:
    scheduler();
    ~scheduler();

    // Starts the workers. Throws std::invalid_argument for a bad configuration (more than
    // k_max_workers, a stack below PTHREAD_STACK_MIN), std::system_error with EBUSY when running,
    // EDEADLK from one of its own tasks, or the error of thread creation; std::bad_alloc. On a
    // throw no worker thread is left running.
    void start(const scheduler_config &config);
    // Runs every queued task, then stops and joins the workers. Throws std::logic_error when
    // called from one of this runtime's own tasks (it would wait for itself and join its thread).
    void stop();
    bool running() const noexcept { return m_running.load(std::memory_order_acquire); }
    // True while the calling thread runs a task of this runtime (or is one of its workers).
    bool inside_own_task() const noexcept;

    void submit(task_cell *cell);                  // throws runtime_closed when closing
    void submit_internal(task_cell *cell) noexcept;  // continuations: never refused
    // A continuation whose input has completed (weft_future_then's map task), submitted by the
    // thread that completed the input. False, nothing queued, when it could not be: the caller then
    // fails the continuation instead of leaving it where no worker will ever run it
    // ("Continuations of a stopped runtime", scheduler.cpp).
    bool submit_continuation(task_cell *cell) noexcept;
    // Tasks of this runtime run by threads that are not its workers (the blocking pool, see
    // "Elastic blocking pool"). admit_external counts a spawn as try_submit does (false, nothing
    // counted, when refused while closing); retract_external undoes an admit whose task could not
    // be handed over (same thread); finish_external counts its completion, its last touch of *this.
    bool admit_external() noexcept;
    void retract_external() noexcept;
    void finish_external() noexcept;
    void wait_idle();
    std::uint32_t worker_count() const noexcept;
    std::uint16_t id() const noexcept { return m_id; }
    void collect_stats(std::uint64_t out[5]) const noexcept;

    // Worker side (worker.cpp).
    void worker_main(worker &w);
    friend void run_worker_loop(worker &w) noexcept;

    static scheduler *from_id(std::uint16_t id) noexcept;

private:
    friend struct worker_ops;
    friend struct fork_handlers;
    void stop_unchecked() noexcept;
    void start_locked(const scheduler_config &config);  // start's work, with m_lifecycle held
    // After joining (or failing to start) the workers: folds their counters and frees the set.
    void retire_worker_set() noexcept;
    // False (nothing queued) when refusing and the runtime is closing to outside spawns.
    bool try_submit(task_cell *cell, bool refuse_when_closing) noexcept;
    // An outside spawn's half of "Drain on stop": counts it in m_outside_spawned, or refuses it
    // (false) while the runtime closes; `accepting` says whether the drain covers it.
    bool count_outside_spawn(bool refuse_when_closing, bool &accepting) noexcept;
    void push_from_worker(worker &w, task_cell *cell) noexcept;
    // covered: the spawn passed the m_accepting check, so stop() waits for it ("Drain on stop").
    void push_from_outside(task_cell *cell, bool covered) noexcept;
    void notify_one_parked() noexcept;
    void notify_idle_waiters() noexcept;
    bool quiescent(std::uint64_t running_here) const noexcept;
    std::uint64_t idle_allowance(bool inside) const noexcept;

    std::uint16_t m_id;
    // The worker set ("Worker set ownership" in scheduler.cpp): replaced by start and freed by stop
    // under m_set_mutex; read without the lock only by the workers themselves and by spawns that
    // stop() waits for, and under the lock by everybody else (stats, quiescence, late wake-ups).
    std::vector<std::unique_ptr<worker>> m_workers;
    std::unique_ptr<idle_coordinator> m_idle;
    injection_queue m_injector;

    std::mutex m_lifecycle;  // serialises start and stop; never taken under m_set_mutex
    mutable std::mutex m_set_mutex;  // guards the replacement of m_workers and m_idle, and the two below
    bool m_set_live = false;         // m_workers and m_idle belong to a started runtime
    // Counters of the workers of earlier starts (spawned, executed, stolen, parked, woken).
    std::uint64_t m_retired_counters[5] = {};
    // Set only in a child process after fork(), which has none of this runtime's threads; read by
    // that child's only thread. Such a runtime refuses spawns and stops without joining.
    bool m_forked = false;
    // Written by start/stop; read by submit (outside threads) with seq_cst, paired with the
    // seq_cst increment of m_outside_spawned: a spawn either sees the closing or is drained.
    alignas(k_cache_line) atomic<bool> m_accepting{false};
    atomic<bool> m_running{false};
    atomic<bool> m_shutdown{false};  // written by stop; read by workers before they park
    // Spawns and completions made by threads that are not this runtime's workers. m_outside_spawned
    // also counts, for a moment, spawns that are then refused (it drives the drain); stats count
    // m_outside_submitted instead.
    alignas(k_cache_line) atomic<std::uint64_t> m_outside_spawned{0};
    alignas(k_cache_line) atomic<std::uint64_t> m_outside_executed{0};
    // Outside spawns that finished touching the scheduler; stop() waits for it to reach
    // m_outside_spawned. Written by outside spawners, read by stop() and by stats (accepted spawns).
    alignas(k_cache_line) atomic<std::uint64_t> m_outside_submitted{0};
    // Threads in wait_idle; written by them, read by workers before they park ("Idle waiters").
    // Its address is also the parking-lot key they sleep on.
    alignas(k_cache_line) mutable atomic<std::uint32_t> m_idle_waiters{0};
    // Tasks of this runtime that cannot finish while they wait in wait_idle (each waiter adds the
    // tasks on its stack); the quiescence a task in wait_idle waits for leaves them out. Written
    // by those waiters (seq_cst, with m_idle_waiters), read by them.
    atomic<std::uint64_t> m_idle_blocked{0};
};

// The task-cell lifecycle (task_cell.cpp).
// Runs a claimed task and completes it; drops the queue's reference when the runner popped it.
void execute_claimed(task_cell *cell, scheduler *sched, bool runner_holds_queue_ref) noexcept;
// Completes a claimed task that was cancelled before it started, without running it: its closure
// is destroyed and its future fails with task_cancelled ("Cancellation scopes").
void skip_cancelled(task_cell *cell, bool runner_holds_queue_ref) noexcept;
// What a claim found: somebody else claimed first, or the caller runs the task, or the caller
// owns a task cancelled before it started and must skip it.
// Inline: every await of fork-join code claims here ("Cell lifecycle", task_cell.cpp).
enum class claim_outcome { lost, run, skip };
inline claim_outcome try_claim(task_cell *cell) noexcept {
    chaos_point();
    // acq_rel: the claimer sees the closure the spawner wrote (the queue already ordered it for
    // the popping worker; an awaiting thread needs this acquire), and a cancel that came first.
    // Only k_claimed is tested on the read-modify-write's result, so it compiles to one `lock bts`
    // instead of a compare-and-swap loop (measured: 6 instructions per await in fib). The load
    // after it reads the state at least as new as the claim (coherence), so a cancel ordered
    // before the claim is seen; one after it finds the task running.
    if (cell->state.fetch_or(k_claimed, std::memory_order_acq_rel) & k_claimed) return claim_outcome::lost;
    return (cell->state.load(std::memory_order_relaxed) & k_cancelled) ? claim_outcome::skip : claim_outcome::run;
}
// Runs or skips a claimed task, as the claim said.
inline void execute_or_skip(claim_outcome outcome, task_cell *cell, scheduler *sched, bool runner_holds_queue_ref) noexcept {
    if (outcome == claim_outcome::skip) [[unlikely]] {
        skip_cancelled(cell, runner_holds_queue_ref);
    } else {
        execute_claimed(cell, sched, runner_holds_queue_ref);
    }
}
// Publishes k_done (and extra_bits), wakes waiters, and drops `drop` (0 or k_ref) references.
void complete(task_cell *cell, std::uint32_t extra_bits, std::uint32_t drop) noexcept;
bool subscribe_cell(task_cell *cell, struct wait_record *record) noexcept;

// Something a thread can wait for (worker.cpp): a task cell, a task group's counter, ...
struct wait_target {
    bool (*done)(const void *object) noexcept;
    bool (*subscribe)(const void *object, struct wait_record *record) noexcept;  // false: done already
    const void *object;
};
// Waits until target.done or the deadline (steady ns, <0: none); suspends inside tasks.
bool wait_until(const wait_target &target, std::int64_t deadline_ns);

// Worker side (worker.cpp, suspend/). The loop of a worker, on whichever of its stacks runs it;
// returns when the worker exits.
void run_worker_loop(worker &w) noexcept;
// Wakes the worker's timed waits whose deadline has passed.
void expire_timers(worker &w) noexcept;
// The calling thread's parker, for waits outside workers.
parker &this_thread_parker() noexcept;

// The runtime behind weft::spawn outside tasks and the C ABI: started on first use, restartable.
// A child process after fork() gets a fresh one on first use.
scheduler &default_scheduler();
scheduler &default_scheduler_unstarted();
scheduler *default_scheduler_if_created() noexcept;

}  // namespace weft::detail
