// Task-cell pools; see "Owned runs" and "Giving memory back" in cell_pool.hpp.
#include "cell_pool.hpp"

#include "sync.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>
#include <pthread.h>
#include <utility>
#include <sys/mman.h>

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

namespace weft::detail {

namespace {

constexpr std::size_t k_granule = 16;
constexpr std::size_t k_min_cell = 32;
constexpr std::size_t k_classes = (k_max_pooled_cell - k_min_cell) / k_granule + 1;
// 16 chunks per mapping: one mmap per 32 MiB keeps the mapping count low at 10M tasks.
constexpr std::size_t k_chunks_per_mapping = 16;

constexpr unsigned k_slab_shift = 13;
static_assert(k_slab_bytes == std::size_t{1} << k_slab_shift);
constexpr std::size_t k_slabs_per_chunk = k_chunk_bytes / k_slab_bytes;  // 256, the first is the header
constexpr std::size_t k_whole_run = k_slabs_per_chunk - 1;
// Run sizes by step: 1, 2, 4, ..., 128 slabs, then a whole chunk (255 slabs).
constexpr std::size_t k_run_steps = 9;
constexpr std::size_t run_slabs_of_step(std::size_t step) noexcept {
    return step + 1 < k_run_steps ? std::size_t{1} << step : k_whole_run;
}
// A worker going to sleep trims when it took a new run, or freed at least this many cells (and
// half as many as its last trim kept free) since its last trim. Chosen, not measured: enough that
// a worker sleeping between small batches does not walk its free lists each time, few enough that
// a burst's memory goes back at its end.
constexpr std::size_t k_trim_min_frees = 16384;

std::size_t class_of(std::size_t bytes) noexcept {
    return bytes <= k_min_cell ? 0 : (bytes - k_min_cell + k_granule - 1) / k_granule;
}
std::size_t class_size(std::size_t cls) noexcept { return k_min_cell + cls * k_granule; }

// See "Poisoned free cells": everything but the `next` link; no-ops without AddressSanitizer.
constexpr std::size_t k_link_begin = offsetof(task_cell, next);
constexpr std::size_t k_link_end = k_link_begin + sizeof(task_cell::next);
static_assert(k_link_begin % 8 == 0 && k_link_end % 8 == 0, "the link must fill whole ASan granules");
void poison_free_cell(task_cell *cell, std::size_t size) noexcept {
    char *base = reinterpret_cast<char *>(cell);
    ASAN_POISON_MEMORY_REGION(base, k_link_begin);
    ASAN_POISON_MEMORY_REGION(base + k_link_end, size - k_link_end);
}
void unpoison_cell(task_cell *cell, std::size_t size) noexcept { ASAN_UNPOISON_MEMORY_REGION(cell, size); }

struct pool;

// One per slab, in the chunk's header slab ("Owned runs"). owner, size_class and run_start are
// written by the thread that takes the run, before any cell of it exists, and read by whoever
// frees one of its cells (ordered by however that cell reached them). The fields after them are
// meaningful in a run's first entry only: owner-only while a pool holds the run, guarded by
// g_registry_mutex while it is free.
struct slab_entry {
    pool *owner;
    std::uint16_t size_class;
    std::uint16_t run_start;  // index of the run's first slab
    std::uint32_t run_slabs;
    std::uint32_t carved;     // cells bump-allocated (exact once the pool moved to another run)
    std::uint32_t free_seen;  // trim's count of free cells
    slab_entry *next_run;     // the pool's runs of this class, or a free list of runs
};
static_assert(sizeof(slab_entry) * k_slabs_per_chunk <= k_slab_bytes, "the entries fit the header slab");

char *chunk_of(const void *p) noexcept {
    return reinterpret_cast<char *>(reinterpret_cast<std::uintptr_t>(p) & ~(k_chunk_bytes - 1));
}
slab_entry *entries_of(char *chunk) noexcept { return reinterpret_cast<slab_entry *>(chunk); }
std::size_t slab_index(const void *p) noexcept {
    return (reinterpret_cast<std::uintptr_t>(p) & (k_chunk_bytes - 1)) >> k_slab_shift;
}
slab_entry &entry_of(const void *p) noexcept { return entries_of(chunk_of(p))[slab_index(p)]; }
slab_entry *run_of(const void *p) noexcept {
    slab_entry *entries = entries_of(chunk_of(p));
    return &entries[entries[slab_index(p)].run_start];
}
char *run_memory(slab_entry *first) noexcept {
    char *chunk = chunk_of(first);
    return chunk + static_cast<std::size_t>(first - entries_of(chunk)) * k_slab_bytes;
}

struct size_class_state {
    task_cell *local = nullptr;  // owner-only free list
    char *bump = nullptr;        // owner-only: next unused cell in bump_run
    char *bump_end = nullptr;
    slab_entry *bump_run = nullptr;  // owner-only: the run being carved
    slab_entry *runs = nullptr;      // owner-only: every run held for this class, bump_run included
    std::size_t frees = 0;           // owner-only: local frees since the last trim
    std::size_t next_step = 0;       // owner-only: size step of the next run
    // Pushed by other threads' frees; taken whole by the owner.
    alignas(k_cache_line) atomic<task_cell *> remote{nullptr};
};

struct pool {
    size_class_state classes[k_classes];
    std::size_t runs_since_trim = 0;  // owner-only
    std::size_t free_after_trim = 0;  // owner-only: free cells the last trim kept
    pool *next_orphan = nullptr;      // guarded by g_registry_mutex
};

std::mutex g_registry_mutex;  // guards the orphan list, the mapping cursor and the free runs
pool *g_orphans = nullptr;
char *g_mapping_cursor = nullptr;
char *g_mapping_end = nullptr;
slab_entry *g_free_runs[k_run_steps] = {};  // by size step; never-used or released memory
// Statistics, relaxed: written under g_registry_mutex, read by pool_statistics.
std::atomic<std::size_t> g_chunks{0};
std::atomic<std::size_t> g_held_bytes{0};
std::atomic<std::size_t> g_released_bytes{0};
std::atomic<std::int64_t> g_fail_countdown{0};

thread_local pool *t_pool = nullptr;

void trim(pool *p) noexcept;

struct pool_owner_guard {
    ~pool_owner_guard() {
        if (!t_pool) return;
        trim(t_pool);
        std::lock_guard lock(g_registry_mutex);
        t_pool->next_orphan = g_orphans;
        g_orphans = t_pool;
        t_pool = nullptr;
    }
};
thread_local pool_owner_guard t_pool_guard;

[[gnu::noinline]] pool *acquire_pool() {
    (void)&t_pool_guard;  // odr-use: registers the guard's destructor for this thread
    pool *p;
    {
        std::lock_guard lock(g_registry_mutex);
        p = g_orphans;
        if (p) g_orphans = p->next_orphan;
    }
    if (!p) p = new pool();
    t_pool = p;
    return p;
}

std::size_t step_of_run(std::size_t slabs) noexcept {
    if (slabs == k_whole_run) return k_run_steps - 1;
    return static_cast<std::size_t>(std::countr_zero(slabs));
}

// Under g_registry_mutex: files [start, start + count) of chunk as free runs, largest first.
void free_slabs_locked(char *chunk, std::size_t start, std::size_t count) noexcept {
    slab_entry *entries = entries_of(chunk);
    while (count > 0) {
        const std::size_t largest_small = run_slabs_of_step(k_run_steps - 2);
        const std::size_t slabs =
            count == k_whole_run ? k_whole_run : std::min(std::bit_floor(count), largest_small);
        slab_entry &first = entries[start];
        first.run_start = static_cast<std::uint16_t>(start);
        first.run_slabs = static_cast<std::uint32_t>(slabs);
        const std::size_t step = step_of_run(slabs);
        first.next_run = g_free_runs[step];
        g_free_runs[step] = &first;
        start += slabs;
        count -= slabs;
    }
}

// Under g_registry_mutex: a fresh chunk from the current mapping (mapping 32 MiB when it is used up).
char *map_chunk_locked() {
    if (g_mapping_cursor == g_mapping_end) {
        const std::size_t want = k_chunk_bytes * k_chunks_per_mapping;
        void *raw = mmap(nullptr, want + k_chunk_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) throw std::bad_alloc();
        auto base = reinterpret_cast<std::uintptr_t>(raw);
        const std::uintptr_t aligned = (base + k_chunk_bytes - 1) & ~(k_chunk_bytes - 1);
        if (aligned > base) munmap(raw, aligned - base);
        const std::uintptr_t end = base + want + k_chunk_bytes;
        if (end > aligned + want) munmap(reinterpret_cast<void *>(aligned + want), end - (aligned + want));
#ifdef MADV_HUGEPAGE
        madvise(reinterpret_cast<void *>(aligned), want, MADV_HUGEPAGE);
#endif
        g_mapping_cursor = reinterpret_cast<char *>(aligned);
        g_mapping_end = g_mapping_cursor + want;
    }
    char *chunk = g_mapping_cursor;
    g_mapping_cursor += k_chunk_bytes;
    g_chunks.fetch_add(1, std::memory_order_relaxed);
    return chunk;
}

// A run of run_slabs_of_step(step) slabs: a free one of that size, else a larger free one split,
// else a fresh chunk (split unless a whole one is wanted). Its entries are not yet assigned.
slab_entry *take_run(std::size_t step) {
    const std::size_t want = run_slabs_of_step(step);
    std::lock_guard lock(g_registry_mutex);
    slab_entry *run = nullptr;
    for (std::size_t s = step; s < k_run_steps && !run; ++s) {
        if ((run = g_free_runs[s])) g_free_runs[s] = run->next_run;
    }
    if (!run) {
        char *chunk = map_chunk_locked();
        run = &entries_of(chunk)[1];
        run->run_start = 1;
        run->run_slabs = static_cast<std::uint32_t>(k_whole_run);
    }
    if (run->run_slabs > want) {
        free_slabs_locked(chunk_of(run), run->run_start + want, run->run_slabs - want);
        run->run_slabs = static_cast<std::uint32_t>(want);
    }
    g_held_bytes.fetch_add(want * k_slab_bytes, std::memory_order_relaxed);
    return run;
}

[[gnu::noinline]] void start_new_run(pool *p, size_class_state &sc, std::size_t cls) {
    const std::size_t size = class_size(cls);
    slab_entry *run = take_run(sc.next_step);
    if (sc.next_step + 1 < k_run_steps) ++sc.next_step;
    if (sc.bump_run) sc.bump_run->carved = static_cast<std::uint32_t>((sc.bump - run_memory(sc.bump_run)) / size);
    slab_entry *entries = entries_of(chunk_of(run));
    const std::size_t start = run->run_start;
    for (std::size_t i = start; i < start + run->run_slabs; ++i) {
        entries[i].owner = p;
        entries[i].size_class = static_cast<std::uint16_t>(cls);
        entries[i].run_start = static_cast<std::uint16_t>(start);
    }
    run->carved = 0;
    run->free_seen = 0;
    run->next_run = sc.runs;
    sc.runs = run;
    sc.bump_run = run;
    sc.bump = run_memory(run);
    sc.bump_end = sc.bump + run->run_slabs * k_slab_bytes;
    ++p->runs_since_trim;
}

[[gnu::noinline]] task_cell *refill(pool *p, size_class_state &sc, std::size_t cls) {
    // Remote frees first: acquire pairs with the releasing CAS in free_cell_memory.
    if (task_cell *remote = sc.remote.exchange(nullptr, std::memory_order_acquire)) {
        sc.local = remote->next.load(std::memory_order_relaxed);
        return remote;
    }
    const std::size_t size = class_size(cls);
    if (sc.bump == nullptr || static_cast<std::size_t>(sc.bump_end - sc.bump) < size) start_new_run(p, sc, cls);
    auto *cell = reinterpret_cast<task_cell *>(sc.bump);
    sc.bump += size;
    return cell;
}

template <class F>
void for_each_cell(task_cell *list, F &&f) noexcept {
    while (list) {
        task_cell *following = list->next.load(std::memory_order_relaxed);
        f(list);
        list = following;
    }
}

bool releasable(const size_class_state &sc, const slab_entry *run) noexcept {
    return run != sc.bump_run && run->free_seen == run->carved;
}

// "Giving memory back", for one size class of the calling thread's pool. Returns the free cells kept.
std::size_t trim_class(size_class_state &sc, std::size_t cls) noexcept {
    sc.frees = 0;
    if (!sc.runs || (sc.runs == sc.bump_run && !sc.runs->next_run)) return 0;  // nothing to give back
    task_cell *local = std::exchange(sc.local, nullptr);
    // Acquire pairs with the releasing CAS in free_cell_memory.
    task_cell *remote = sc.remote.exchange(nullptr, std::memory_order_acquire);
    if (sc.bump_run)
        sc.bump_run->carved = static_cast<std::uint32_t>((sc.bump - run_memory(sc.bump_run)) / class_size(cls));
    for (slab_entry *r = sc.runs; r; r = r->next_run) r->free_seen = 0;
    auto count = [](task_cell *c) noexcept { ++run_of(c)->free_seen; };
    for_each_cell(local, count);
    for_each_cell(remote, count);
    bool any = false;
    for (slab_entry *r = sc.runs; r && !any; r = r->next_run) any = releasable(sc, r);
    std::size_t kept = 0;
    auto keep = [&](task_cell *c) noexcept {
        if (any && releasable(sc, run_of(c))) return;
        c->next.store(sc.local, std::memory_order_relaxed);
        sc.local = c;
        ++kept;
    };
    for_each_cell(local, keep);
    for_each_cell(remote, keep);
    if (!any) return kept;
    slab_entry *gone = nullptr;
    for (slab_entry **at = &sc.runs; *at;) {
        slab_entry *r = *at;
        if (releasable(sc, r)) {
            *at = r->next_run;
            r->next_run = gone;
            gone = r;
        } else {
            at = &r->next_run;
        }
    }
    // Grow again from the smallest run: the next burst takes back the small runs given back here
    // (and those of exited threads) before any whole chunk.
    sc.next_step = 0;
    std::size_t bytes = 0;
    for (slab_entry *r = gone; r; r = r->next_run) {
        madvise(run_memory(r), r->run_slabs * k_slab_bytes, MADV_DONTNEED);
        bytes += r->run_slabs * k_slab_bytes;
    }
    std::lock_guard lock(g_registry_mutex);
    while (gone) {
        slab_entry *r = gone;
        gone = r->next_run;
        const std::size_t step = step_of_run(r->run_slabs);
        r->next_run = g_free_runs[step];
        g_free_runs[step] = r;
    }
    g_held_bytes.fetch_sub(bytes, std::memory_order_relaxed);
    g_released_bytes.fetch_add(bytes, std::memory_order_relaxed);
    return kept;
}

void trim(pool *p) noexcept {
    std::size_t kept = 0;
    for (std::size_t cls = 0; cls < k_classes; ++cls) kept += trim_class(p->classes[cls], cls);
    p->runs_since_trim = 0;
    p->free_after_trim = kept;
}

[[gnu::noinline]] task_cell *allocate_cell_slow(std::size_t bytes) {
    fault_injection_point();
    if (bytes > k_max_pooled_cell) {
        auto *cell = static_cast<task_cell *>(::operator new(bytes));
        cell->flags = k_heap_cell;
        return cell;
    }
    return nullptr;
}

}  // namespace

task_cell *allocate_cell(std::size_t bytes) {
    if (g_fail_countdown.load(std::memory_order_relaxed) > 0 || bytes > k_max_pooled_cell) [[unlikely]] {
        if (task_cell *cell = allocate_cell_slow(bytes)) return cell;
    }
    pool *p = t_pool ? t_pool : acquire_pool();
    const std::size_t cls = class_of(bytes);
    size_class_state &sc = p->classes[cls];
    task_cell *cell = sc.local;
    if (cell) {
        sc.local = cell->next.load(std::memory_order_relaxed);
    } else {
        cell = refill(p, sc, cls);
    }
    unpoison_cell(cell, class_size(cls));
    // A new generation for checked handles; masking keeps k_heap_cell and k_promise_cell clear
    // whatever the memory held.
    cell->flags = static_cast<std::uint16_t>((cell->flags + k_generation_step) & ~(k_heap_cell | k_promise_cell));
    return cell;
}

void free_cell_memory(task_cell *cell) noexcept {
    if (cell->flags & k_heap_cell) {
        ::operator delete(cell);
        return;
    }
    const slab_entry &entry = entry_of(cell);
    pool *owner = entry.owner;
    size_class_state &sc = owner->classes[entry.size_class];
    poison_free_cell(cell, class_size(entry.size_class));
    if (owner == t_pool) {
        cell->next.store(sc.local, std::memory_order_relaxed);
        sc.local = cell;
        ++sc.frees;
        return;
    }
    task_cell *head = sc.remote.load(std::memory_order_relaxed);
    do {
        cell->next.store(head, std::memory_order_relaxed);
        // Release pairs with the owner's acquire exchange in refill and trim_class.
    } while (!sc.remote.compare_exchange_weak(head, cell, std::memory_order_release, std::memory_order_relaxed));
}

void trim_thread_pool() noexcept {
    if (t_pool) trim(t_pool);
}

void trim_thread_pool_if_worthwhile() noexcept {
    pool *p = t_pool;
    if (!p) return;
    if (p->runs_since_trim == 0) {
        std::size_t frees = 0;
        for (const size_class_state &sc : p->classes) frees += sc.frees;
        if (frees < std::max(k_trim_min_frees, p->free_after_trim / 2)) return;
    }
    trim(p);
}

void fail_nth_allocation(std::int64_t n) noexcept { g_fail_countdown.store(n, std::memory_order_relaxed); }

void fault_injection_point() {
    if (g_fail_countdown.load(std::memory_order_relaxed) > 0 &&
        g_fail_countdown.fetch_sub(1, std::memory_order_relaxed) == 1)
        throw std::bad_alloc();
}

pool_stats pool_statistics() noexcept {
    const std::size_t chunks = g_chunks.load(std::memory_order_relaxed);
    return {chunks, chunks * k_chunk_bytes, g_held_bytes.load(std::memory_order_relaxed),
            g_released_bytes.load(std::memory_order_relaxed)};
}

namespace {
// fork(): the child must not inherit the registry lock held by a thread it does not have (see
// "Fork" in scheduler.cpp).
void lock_registry() noexcept { g_registry_mutex.lock(); }
void unlock_registry() noexcept { g_registry_mutex.unlock(); }
[[maybe_unused]] const int g_fork_handlers_installed = pthread_atfork(&lock_registry, &unlock_registry, &unlock_registry);
}  // namespace

}  // namespace weft::detail
