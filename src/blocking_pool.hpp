// The elastic pool of threads that runs blocking calls (spawn_blocking) away from the workers.
//
// The protocol, "Elastic blocking pool", is described at the top of src/blocking_pool.cpp.
#pragma once

#include <weft/bits/task_cell.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace weft::detail {

// The most threads the pool runs at once unless WEFT_BLOCKING_THREADS says otherwise. tokio's
// default bound for its blocking pool; not measured on weft: it is a bound, not a target (the
// pool only grows to the number of jobs blocked at once), and it limits what a burst of blocking
// calls can cost in threads and reserved stacks.
inline constexpr std::uint32_t k_default_blocking_threads = 512;
// WEFT_BLOCKING_THREADS values above this are ignored (a sanity bound on a typo, not a tuning).
inline constexpr std::uint32_t k_max_blocking_threads = 65536;
// An idle pool thread exits after this long without a job. tokio's default keep-alive; long
// enough that a program issuing a blocking call every few seconds keeps its threads, short
// enough that a burst's threads do not outlive it by much. Not measured on weft.
inline constexpr std::chrono::nanoseconds k_blocking_idle_timeout = std::chrono::seconds(10);

class blocking_pool {
public:
    // The process's one pool, created on first use and never destroyed (see "Lifetime").
    static blocking_pool &instance();

    // Queues a cell built with k_claimed and two references (the pool's and the future's) and
    // makes sure a thread will run it. Returns 0, or an errno value (EAGAIN) when no thread
    // exists and none could be started: then nothing was queued and the caller still owns the cell.
    int submit(task_cell *cell) noexcept;

    // Observers and settings, for tests and for the documented configuration.
    std::uint32_t thread_count() const noexcept;  // threads alive (busy or idle)
    std::uint32_t queued() const noexcept;         // jobs waiting for a thread
    std::uint32_t idle_threads() const noexcept;   // idle threads not promised to a queued job
    // Bound on threads; 0 restores WEFT_BLOCKING_THREADS, else k_default_blocking_threads.
    // Lowering it below the current count stops growth; surplus threads exit after their idle
    // timeout, as any idle thread does.
    void set_thread_limit(std::uint32_t limit) noexcept;
    // Idle timeout; zero or negative restores k_blocking_idle_timeout. Idle threads re-arm
    // their wait at once with the new value.
    void set_idle_timeout(std::chrono::nanoseconds timeout) noexcept;
    // Fault injection: the next n thread starts fail with EAGAIN (0 disables).
    void fail_thread_starts(std::uint32_t n) noexcept;

private:
    blocking_pool();
    static void *thread_entry(void *pool) noexcept;
    void thread_main() noexcept;
    int start_thread() noexcept;  // with m_mutex held
    void push(task_cell *cell) noexcept;  // with m_mutex held
    task_cell *pop() noexcept;            // with m_mutex held
    static void run(task_cell *cell) noexcept;

    // Everything below is guarded by m_mutex; see "Elastic blocking pool" for the invariants.
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;  // idle threads wait here, with a timeout
    task_cell *m_head = nullptr;     // FIFO of jobs, linked through task_cell::next
    task_cell *m_tail = nullptr;
    std::uint32_t m_queued = 0;
    std::uint32_t m_threads = 0;   // threads started and not yet exiting
    std::uint32_t m_idle = 0;      // idle threads not already promised to a queued job
    std::uint32_t m_notified = 0;  // wake-ups promised to queued jobs and not yet taken
    std::uint32_t m_configured_limit;  // from WEFT_BLOCKING_THREADS, else the default
    std::uint32_t m_limit;
    std::chrono::nanoseconds m_idle_timeout = k_blocking_idle_timeout;
    std::uint32_t m_failing_starts = 0;
};

}  // namespace weft::detail
