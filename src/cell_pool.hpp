// Per-thread pools of task cells carved from runs of slabs, with a return path for remote frees
// and a way to give idle memory back.
//
// Protocol "Owned runs". Memory is mapped in 2 MiB chunks, aligned to 2 MiB, each cut into 256
// slabs of 8 KiB. The first slab of a chunk is its header: one entry per slab naming the pool that
// owns it and its size class, so that any cell finds its owner by masking its address and indexing
// the entry of its slab. A pool takes memory for a size class as a run of consecutive slabs: the
// first run of a class is one slab, and each next one doubles, up to a whole chunk (255 slabs). So
// a thread that spawns one task holds 8 KiB per size class it used, not 2 MiB, while a thread that
// spawns millions reaches whole chunks after eight runs. Small runs of different pools share a
// chunk; whole-chunk runs own theirs.
// A thread allocates from its own pool without atomics: a local free list per size class, then
// the pool's remote list, then bump allocation in the current run, then a new run. A cell freed
// by the owning thread goes back on the local list; a cell freed by any other thread is pushed on
// the owner's remote list (a lock-free stack: push with CAS, the owner takes it whole with one
// exchange, so there is no ABA).
//
// Protocol "Giving memory back". Only the owner may touch its free lists, so only the owner trims:
// it takes its remote lists, counts the free cells of each run, and every run whose carved cells
// are all free (except the run it is carving) leaves the free lists and goes back to the system
// with madvise(MADV_DONTNEED); the address range joins a global list of free runs, which later
// runs come from before any new mapping (a free run may be split in halves for a smaller request).
// A trim costs a walk of the pool's free cells, so it happens at quiet moments: when a worker goes
// to sleep having allocated a new run or freed many cells since its last trim, when a thread
// returns from waiting for a runtime to go idle or from stopping one, and when a thread exits.
// Cells a sleeping worker owns and another thread frees later wait for that worker's next trim.
// Pools are never destroyed: when a thread exits its pool (trimmed) is parked on a global list and
// adopted by the next thread that needs one. Chunks come from 32 MiB mappings advised to use
// transparent huge pages, since page faults dominate a 10M-task run otherwise.
// Cells larger than k_max_pooled_cell go to the global heap.
// Protocol "Poisoned free cells". Under AddressSanitizer a pooled cell is poisoned from the moment
// it is freed until allocate_cell hands it out again, all but its `next` link, which the free
// lists read and write while the cell is free. A use of a released future then stops with a report
// at the faulty access, as it would for heap memory, instead of changing a free cell. Cell sizes
// and the link's offset are multiples of 8, ASan's granule, so neighbours are never affected.
// Rejected: malloc per task (the old runtime's 1M-task cost); one global lock-free free list
// (every spawn and every free would contend on its head); a whole 2 MiB chunk per size class for
// every thread (1,000 threads that spawn once each held 2 GiB); per-run free lists with live counts
// (mimalloc's pages: they find empty runs at once, but put a run lookup and a count on every
// allocation and free, and need a way to tell an owner that a full run got remote frees).
#pragma once

#include <weft/bits/task_cell.hpp>

#include <cstddef>
#include <cstdint>

namespace weft::detail {

inline constexpr std::size_t k_chunk_bytes = std::size_t{2} << 20;
inline constexpr std::size_t k_slab_bytes = std::size_t{8} << 10;
inline constexpr std::size_t k_max_pooled_cell = 256;

// Fault injection for tests: the nth allocation from now (1 = the next one) throws
// std::bad_alloc; 0 disables. Counts every allocate_cell and fault_injection_point call in the
// process.
void fail_nth_allocation(std::int64_t n) noexcept;
// Counts one allocation against fail_nth_allocation and throws std::bad_alloc when it is the one
// to fail; for allocations that do not come from allocate_cell (a continuation's state).
void fault_injection_point();

// Gives the calling thread's wholly free runs back to the system ("Giving memory back").
void trim_thread_pool() noexcept;
// The same, only when the calling thread allocated a run or freed many cells since its last trim:
// cheap enough to call each time a worker goes to sleep.
void trim_thread_pool_if_worthwhile() noexcept;

struct pool_stats {
    std::size_t chunks;        // chunks mapped since the process started
    std::size_t mapped_bytes;  // bytes of chunk memory mapped
    std::size_t held_bytes;    // bytes in runs that pools hold (the rest is free or never used)
    std::size_t released_bytes;  // bytes given back to the system since the process started
};
pool_stats pool_statistics() noexcept;

}  // namespace weft::detail
