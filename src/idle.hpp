// Coordinates idle workers: who is searching for work, who is parked, and whom a spawn wakes.
//
// Protocol "Searching and parking". A worker that runs out of work may become a searcher (at most
// half of the workers search at once, so they do not all hammer the queues), steals for a bounded
// time, and then parks. A spawn wakes a parked worker only when nobody is searching and somebody is
// parked: a searcher will find the new task anyway. The notifier counts the woken worker as a
// searcher on its behalf, so a burst of spawns wakes one worker, not all. A searcher that finds
// work and was the last one wakes another parked worker when it then sees more work queued (it
// looks after it stops counting as a searcher, the same pairing as the parking recheck below), so
// parallelism spreads one hop at a time and a lone task does not wake a worker for nothing.
//
// No lost wake-up: a spawner pushes its task and then loads the state; a worker that parks and
// leaves nobody searching first publishes its parking (a seq_cst read-modify-write on the state)
// and then rechecks every queue. Sequential consistency of those two pairs means that either the
// spawner sees the parked worker with no searcher (and wakes it), or the worker's recheck sees the
// task (and it stays up). The recheck is owed by every such worker, not only by the last searcher:
// a worker refused as a searcher (half the workers already were) may park after the last searcher
// has found work and left, and a task that searcher's worker pushes next, just before its task
// blocks the thread, would otherwise wait for a wake-up nobody sends (the chaos build hung on this
// once in about 20 runs; the model reproduces it with a blocking task, BUG_ONLY_SEARCHER_RECHECKS).
// Invariant: if a task is queued and every worker is parked, a wake-up is on its way.
// Rejected: waking on every spawn (tokio measured the thundering herd; it also burns a syscall per
// spawn), and no searching state (every spawn would wake a worker while others are about to find
// the task). The model src/idle.pml checks this protocol (see docs/models.md).
#pragma once

#include "sync.hpp"

#include <cstdint>
#include <mutex>
#include <vector>

namespace weft::detail {

class idle_coordinator {
public:
    static constexpr std::uint32_t k_none = ~0u;

    explicit idle_coordinator(std::uint32_t workers) : m_workers(workers), m_is_parked(workers, false) {
        m_sleepers.reserve(workers);
    }

    // A spawner's quick check, after it has published its task.
    bool should_notify(std::memory_order order) const noexcept {
        const std::uint64_t s = m_state.load(order);
        return searching_of(s) == 0 && parked_of(s) > 0;
    }
    // Picks a parked worker to wake and counts it as searching; k_none when there is none or a
    // searcher appeared meanwhile.
    std::uint32_t worker_to_notify() noexcept;
    // A worker out of work asks to search; false when half the workers already do.
    bool transition_to_searching() noexcept;
    // A searcher found work; true when it was the last searcher (it should then wake another).
    bool transition_from_searching() noexcept;
    // Before sleeping: leave searching (if it was) and join the parked set. Returns true when no
    // worker is left searching; the caller must then recheck every queue before it sleeps.
    bool transition_to_parked(std::uint32_t worker, bool was_searching) noexcept;
    // A parked worker that found work on its recheck, or that was woken for another reason, leaves
    // the parked set. True when it removed itself; false when a notifier already had (it is then
    // counted as searching and its wake-up token is set).
    bool transition_to_unparked(std::uint32_t worker) noexcept;
    // Takes every parked worker out of the set (shutdown); returns them.
    std::vector<std::uint32_t> take_all_parked();

    std::uint32_t searching() const noexcept { return searching_of(m_state.load(std::memory_order_relaxed)); }
    std::uint32_t parked() const noexcept { return parked_of(m_state.load(std::memory_order_relaxed)); }

private:
    static constexpr std::uint64_t k_one_searching = 1;
    static constexpr std::uint64_t k_one_parked = std::uint64_t{1} << 32;
    static std::uint32_t searching_of(std::uint64_t s) noexcept { return static_cast<std::uint32_t>(s); }
    static std::uint32_t parked_of(std::uint64_t s) noexcept { return static_cast<std::uint32_t>(s >> 32); }

    const std::uint32_t m_workers;
    // (parked << 32 | searching). Written by workers and notifiers with seq_cst read-modify-writes
    // (pairs with the spawner's seq_cst push and load); read by every spawner.
    alignas(k_cache_line) atomic<std::uint64_t> m_state{0};
    std::mutex m_mutex;                      // guards the two below
    std::vector<std::uint32_t> m_sleepers;   // parked workers, most recent last
    std::vector<bool> m_is_parked;
};

}  // namespace weft::detail
