// Per-thread pools of task cells carved from 2 MiB chunks, with a return path for remote frees.
//
// Protocol "Owned chunks". Every chunk is 2 MiB, aligned to 2 MiB, serves one size class, and
// belongs to one pool; its header (at the chunk's start, found by masking a cell's address) names
// that pool. A thread allocates from its own pool without atomics: a local free list per size
// class, then the pool's remote list, then bump allocation in the current chunk, then a new chunk.
// A cell freed by the owning thread goes back on the local list; a cell freed by any other thread
// is pushed on the owner's remote list (a lock-free stack: push with CAS, the owner takes it whole
// with one exchange, so there is no ABA). Pools are never destroyed: when a thread exits its pool
// is parked on a global list and adopted by the next thread that needs one, so memory is reused
// across runtime restarts and short-lived threads. Chunks come from 32 MiB mappings advised to
// use transparent huge pages, since page faults dominate a 10M-task run otherwise.
// Cells larger than k_max_pooled_cell go to the global heap.
// Protocol "Poisoned free cells". Under AddressSanitizer a pooled cell is poisoned from the moment
// it is freed until allocate_cell hands it out again, all but its `next` link, which the free
// lists read and write while the cell is free. A use of a released future then stops with a report
// at the faulty access, as it would for heap memory, instead of changing a free cell. Cell sizes
// and the link's offset are multiples of 8, ASan's granule, so neighbours are never affected.
// Rejected: malloc per task (the old runtime's 1M-task cost), and one global lock-free free list
// (every spawn and every free would contend on its head).
#pragma once

#include <weft/bits/task_cell.hpp>

#include <cstddef>
#include <cstdint>

namespace weft::detail {

inline constexpr std::size_t k_chunk_bytes = std::size_t{2} << 20;
inline constexpr std::size_t k_max_pooled_cell = 256;

// Fault injection for tests: the nth allocation from now (1 = the next one) throws
// std::bad_alloc; 0 disables. Counts every allocate_cell and fault_injection_point call in the
// process.
void fail_nth_allocation(std::int64_t n) noexcept;
// Counts one allocation against fail_nth_allocation and throws std::bad_alloc when it is the one
// to fail; for allocations that do not come from allocate_cell (a continuation's state).
void fault_injection_point();

struct pool_stats {
    std::size_t chunks;        // chunks handed out since the process started
    std::size_t mapped_bytes;  // bytes of chunk memory mapped
};
pool_stats pool_statistics() noexcept;

}  // namespace weft::detail
