// The shared stack pool; see "Stack slabs" in stack_pool.hpp.
#include "suspend/stack_pool.hpp"

#include <mutex>
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

struct pool {
    std::mutex mutex;
    std::vector<stack_region> free;  // guarded by mutex
    std::size_t guarded = 0;         // guarded by mutex
    std::size_t total = 0;           // stacks carved so far; guarded by mutex
};
pool &the_pool() {
    static pool *const p = new pool();  // never destroyed: workers may release stacks at exit
    return *p;
}

std::size_t page_size() {
    static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return p;
}
}  // namespace

stack_region take_stack() noexcept {
    pool &p = the_pool();
    std::lock_guard lock(p.mutex);
    if (p.free.empty()) {
        const std::size_t bytes = k_fiber_stack_bytes * k_stacks_per_slab;
        void *slab = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (slab == MAP_FAILED) return {};
        try {
            // Room for every stack ever carved, so that release_stack never allocates.
            p.free.reserve(p.total + k_stacks_per_slab);
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
            p.free.push_back(r);
        }
    }
    const stack_region r = p.free.back();
    p.free.pop_back();
    return r;
}

void release_stack(stack_region region) noexcept {
#if defined(WEFT_ASAN)
    // Frames abandoned on this stack may have left poisoned shadow behind.
    ASAN_UNPOISON_MEMORY_REGION(region.low, region.size);
#endif
    madvise(region.low, region.size, MADV_DONTNEED);
    pool &p = the_pool();
    std::lock_guard lock(p.mutex);
    p.free.push_back(region);  // capacity reserved when the slab was carved
}

}  // namespace weft::detail
