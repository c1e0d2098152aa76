// The shared stack pool; see "Stack slabs" in stack_pool.hpp.
#include "suspend/stack_pool.hpp"

#include "sync.hpp"

#include <algorithm>
#include <mutex>
#include <new>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace weft::detail {

namespace {
// 64 stacks of 256 KiB make a 16 MiB slab: a million suspended tasks take about 16,000 slabs,
// and adjacent slabs with the same protection merge into one mapping anyway.
constexpr std::size_t k_stacks_per_slab = 64;
// Guard pages split mappings: at most this many stacks get one, which keeps weft under about
// 8,200 of the 65,530 mappings a process may have by default.
constexpr std::size_t k_guarded_stacks = 4096;
// Released stacks kept with their pages (warm: reused without page faults) for good. Past this
// many, the older ones are given back at the next quiet moment (give_back_surplus_stacks), never
// on the release itself. Giving back costs a TLB shootdown per madvise call (measured: one madvise
// per released stack made resuming 20,000 suspended tasks take 16 s on a 2-core virtual machine),
// so the pass sorts the stacks and merges adjacent ones into one call; and giving back in the
// middle of a burst only made the burst fault the same pages in again (measured: 1M sleeping
// tasks spent 39% of their time unmapping and flushing TLBs when the surplus went at release).
constexpr std::size_t k_warm_stacks_kept = 1024;

struct pool {
    std::mutex mutex;
    std::vector<stack_region> clean;  // no committed pages; guarded by mutex
    std::vector<stack_region> warm;   // released, pages still committed; guarded by mutex
    std::size_t guarded = 0;          // guarded by mutex
    std::size_t total = 0;            // stacks carved so far; guarded by mutex
    // More than k_warm_stacks_kept warm stacks. Set under mutex by release_stack, read without it
    // by give_back_surplus_stacks (a stale read only delays or repeats a cheap check).
    atomic<bool> surplus{false};
};
pool &the_pool() noexcept {
    // Built in static storage, never on the heap (a worker's first quiet moment asks for the pool,
    // and must not allocate: the allocation-failure sweep found it), and never destroyed: workers
    // may release stacks at exit.
    alignas(pool) static unsigned char storage[sizeof(pool)];
    static pool *const p = ::new (static_cast<void *>(storage)) pool();
    return *p;
}

std::size_t page_size() {
    static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return p;
}

// The whole reservation of a stack, guard page included.
char *reservation_of(const stack_region &r) noexcept {
    return r.low + r.size - k_fiber_stack_bytes;
}

// Gives back the pages of `batch` with as few madvise calls as adjacency allows.
void give_back(std::vector<stack_region> &batch) noexcept {
    std::sort(batch.begin(), batch.end(),
              [](const stack_region &a, const stack_region &b) { return a.low < b.low; });
    std::size_t i = 0;
    while (i < batch.size()) {
        char *const begin = reservation_of(batch[i]);
        char *end = begin + k_fiber_stack_bytes;
        std::size_t j = i + 1;
        while (j < batch.size() && reservation_of(batch[j]) == end) {
            end += k_fiber_stack_bytes;
            ++j;
        }
        // Guard pages in the range are PROT_NONE and hold nothing: advising them is harmless.
        madvise(begin, static_cast<std::size_t>(end - begin), MADV_DONTNEED);
        i = j;
    }
}
}  // namespace

stack_region take_stack() noexcept {
    pool &p = the_pool();
    std::lock_guard lock(p.mutex);
    if (!p.warm.empty()) {
        const stack_region r = p.warm.back();
        p.warm.pop_back();
        return r;
    }
    if (p.clean.empty()) {
        const std::size_t bytes = k_fiber_stack_bytes * k_stacks_per_slab;
        void *slab = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (slab == MAP_FAILED) return {};
        try {
            // Room for every stack ever carved in both lists, so that release never allocates.
            p.clean.reserve(p.total + k_stacks_per_slab);
            p.warm.reserve(p.total + k_stacks_per_slab);
        } catch (...) {
            munmap(slab, bytes);
            return {};
        }
        p.total += k_stacks_per_slab;
        // Highest first, so that stacks are handed out in address order.
        for (std::size_t i = k_stacks_per_slab; i-- > 0;) {
            char *base = static_cast<char *>(slab) + i * k_fiber_stack_bytes;
            stack_region r{base, k_fiber_stack_bytes};
            if (p.guarded < k_guarded_stacks && mprotect(base, page_size(), PROT_NONE) == 0) {
                ++p.guarded;
                r.low = base + page_size();
                r.size -= page_size();
            }
            p.clean.push_back(r);
        }
    }
    const stack_region r = p.clean.back();
    p.clean.pop_back();
    return r;
}

void release_stack(stack_region region) noexcept {
#if defined(WEFT_ASAN)
    // Frames abandoned on this stack may have left poisoned shadow behind.
    ASAN_UNPOISON_MEMORY_REGION(region.low, region.size);
#endif
    pool &p = the_pool();
    std::lock_guard lock(p.mutex);
    p.warm.push_back(region);  // capacity reserved when the slab was carved
    if (p.warm.size() > k_warm_stacks_kept) p.surplus.store(true, std::memory_order_relaxed);
}

void give_back_surplus_stacks() noexcept {
    pool &p = the_pool();
    if (!p.surplus.load(std::memory_order_relaxed)) return;
    std::vector<stack_region> batch;
    {
        std::lock_guard lock(p.mutex);
        p.surplus.store(false, std::memory_order_relaxed);
        if (p.warm.size() <= k_warm_stacks_kept) return;
        // The oldest go: the most recently released stacks are the warmest.
        const auto surplus = static_cast<std::ptrdiff_t>(p.warm.size() - k_warm_stacks_kept);
        try {
            batch.assign(p.warm.begin(), p.warm.begin() + surplus);
        } catch (...) {
            p.surplus.store(true, std::memory_order_relaxed);  // keep them warm; try again later
            return;
        }
        p.warm.erase(p.warm.begin(), p.warm.begin() + surplus);
    }
    give_back(batch);
    std::lock_guard lock(p.mutex);
    for (const stack_region &r : batch) p.clean.push_back(r);
}

}  // namespace weft::detail
