// Stacks for suspended tasks: reserved in slabs, committed lazily, returned to one shared pool.
//
// Protocol "Stack slabs". A fiber needs a stack only while a task on it is suspended or while it
// runs the worker loop in place of a suspended one, so stacks come and go in large numbers (a
// million tasks awaiting one future means a million stacks). One mapping per stack would hit the
// kernel's limit on mappings (vm.max_map_count, 65,530 by default), so stacks are carved from
// slabs of k_stacks_per_slab, each slab one mmap with MAP_NORESERVE: address space is reserved,
// and only the pages a stack touches are ever committed. A guard page (PROT_NONE) below each
// stack splits the slab's mapping, so guard pages are given out only while a budget of
// k_guarded_stacks lasts; past it, overflow is caught by the fiber's canary instead (see
// fiber.hpp). A released stack stays warm (its pages committed, reused first). Stacks warm beyond
// k_warm_stacks_kept are given back (madvise MADV_DONTNEED, adjacent stacks merged into one call)
// and join the clean list at a quiet moment: a worker about to sleep with no timed wait due soon
// (worker.cpp). So a burst of suspended tasks reuses its own stacks without page faults, and its
// memory goes back once the burst is over. One mutex guards the lists: a
// stack is taken and released once per fiber, not per switch (fibers are pooled per worker).
// Slabs are never unmapped; the address space stays reserved for the next burst.
// Rejected: malloc'd stacks (committed at once, no guard page), and one mmap per stack (the
// mapping limit, and a system call per fiber).
#pragma once

#include "platform/sanitizers.hpp"

#include <cstddef>

namespace weft::detail {

// 256 KiB of reserved stack per fiber (1 MiB under sanitizers, whose frames are several times
// larger). Only touched pages cost memory; the worker's own thread stack stays the deep one
// (scheduler.hpp, k_default_stack_size). Chosen so that 8 stacks share one page-table page.
inline constexpr std::size_t k_fiber_stack_bytes =
    (k_asan_build || k_tsan_build) ? std::size_t{1} << 20 : std::size_t{256} << 10;

struct stack_region {
    char *low = nullptr;     // lowest usable address (above the guard page, if any)
    std::size_t size = 0;    // usable bytes
};

// A stack of k_fiber_stack_bytes less the guard page (if it has one); its contents are undefined.
// Returns a region with low == nullptr when no memory can be reserved.
stack_region take_stack() noexcept;
// Makes the region available again, its pages still committed (warm).
void release_stack(stack_region region) noexcept;
// Gives back the pages of the warm stacks beyond the number kept; cheap when there are none.
void give_back_surplus_stacks() noexcept;

}  // namespace weft::detail
