// Idle-worker bookkeeping; see "Searching and parking" in idle.hpp.
#include "idle.hpp"

#include <algorithm>

namespace weft::detail {

std::uint32_t idle_coordinator::worker_to_notify() noexcept {
    std::lock_guard lock(m_mutex);
    // Re-check under the lock: another spawner may have woken someone already.
    if (!should_notify(std::memory_order_seq_cst) || m_sleepers.empty()) return k_none;
    const std::uint32_t w = m_sleepers.back();
    m_sleepers.pop_back();
    m_is_parked[w] = false;
    m_state.fetch_add(k_one_searching - k_one_parked, std::memory_order_seq_cst);
    return w;
}

bool idle_coordinator::transition_to_searching() noexcept {
    std::uint64_t s = m_state.load(std::memory_order_relaxed);
    for (;;) {
        if (2 * searching_of(s) >= m_workers) return false;
        if (m_state.compare_exchange_weak(s, s + k_one_searching, std::memory_order_seq_cst,
                                          std::memory_order_relaxed))
            return true;
    }
}

bool idle_coordinator::transition_from_searching() noexcept {
    return searching_of(m_state.fetch_sub(k_one_searching, std::memory_order_seq_cst)) == 1;
}

bool idle_coordinator::transition_to_parked(std::uint32_t worker, bool was_searching) noexcept {
    std::lock_guard lock(m_mutex);
    const std::uint64_t delta = k_one_parked - (was_searching ? k_one_searching : 0);
    // seq_cst: the worker's half of the Dekker pair; its recheck of the queues comes after.
    const std::uint64_t before = m_state.fetch_add(delta, std::memory_order_seq_cst);
    m_sleepers.push_back(worker);
    m_is_parked[worker] = true;
    // Nobody left searching (whether or not this worker was one): a task pushed since the last
    // searcher stopped may have seen no parked worker to wake, so this worker must look.
    return searching_of(before) == (was_searching ? 1u : 0u);
}

bool idle_coordinator::transition_to_unparked(std::uint32_t worker) noexcept {
    std::lock_guard lock(m_mutex);
    if (!m_is_parked[worker]) return false;
    m_is_parked[worker] = false;
    m_sleepers.erase(std::find(m_sleepers.begin(), m_sleepers.end(), worker));
    m_state.fetch_add(k_one_searching - k_one_parked, std::memory_order_seq_cst);
    return true;
}

std::vector<std::uint32_t> idle_coordinator::take_all_parked() {
    std::lock_guard lock(m_mutex);
    std::vector<std::uint32_t> all;
    all.swap(m_sleepers);
    m_sleepers.reserve(m_workers);
    for (std::uint32_t w : all) {
        m_is_parked[w] = false;
        m_state.fetch_add(k_one_searching - k_one_parked, std::memory_order_seq_cst);
    }
    return all;
}

}  // namespace weft::detail
