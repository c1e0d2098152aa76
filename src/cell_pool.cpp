// Task-cell pools; see "Owned chunks" in cell_pool.hpp.
#include "cell_pool.hpp"

#include "sync.hpp"

#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>
#include <pthread.h>
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

struct chunk_header {
    pool *owner;
    std::size_t size_class;
};
constexpr std::size_t k_chunk_header = 64;

struct size_class_state {
    task_cell *local = nullptr;  // owner-only free list
    char *bump = nullptr;        // owner-only: next unused cell in the current chunk
    char *bump_end = nullptr;
    // Pushed by other threads' frees; taken whole by the owner.
    alignas(k_cache_line) atomic<task_cell *> remote{nullptr};
};

struct pool {
    size_class_state classes[k_classes];
    pool *next_orphan = nullptr;  // guarded by g_registry_mutex
};

std::mutex g_registry_mutex;   // guards the orphan list and the mapping cursor
pool *g_orphans = nullptr;
char *g_mapping_cursor = nullptr;
char *g_mapping_end = nullptr;
std::atomic<std::size_t> g_chunks{0};
std::atomic<std::int64_t> g_fail_countdown{0};

thread_local pool *t_pool = nullptr;

struct pool_owner_guard {
    ~pool_owner_guard() {
        if (!t_pool) return;
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

char *map_chunk() {
    std::lock_guard lock(g_registry_mutex);
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

[[gnu::noinline]] task_cell *refill(pool *p, size_class_state &sc, std::size_t cls) {
    // Remote frees first: acquire pairs with the releasing CAS in free_cell_memory.
    if (task_cell *remote = sc.remote.exchange(nullptr, std::memory_order_acquire)) {
        sc.local = remote->next.load(std::memory_order_relaxed);
        return remote;
    }
    const std::size_t size = class_size(cls);
    if (sc.bump == nullptr || static_cast<std::size_t>(sc.bump_end - sc.bump) < size) {
        char *chunk = map_chunk();
        auto *header = reinterpret_cast<chunk_header *>(chunk);
        header->owner = p;
        header->size_class = cls;
        sc.bump = chunk + k_chunk_header;
        sc.bump_end = chunk + k_chunk_bytes;
    }
    auto *cell = reinterpret_cast<task_cell *>(sc.bump);
    sc.bump += size;
    return cell;
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
    auto *header = reinterpret_cast<chunk_header *>(reinterpret_cast<std::uintptr_t>(cell) & ~(k_chunk_bytes - 1));
    pool *owner = header->owner;
    size_class_state &sc = owner->classes[header->size_class];
    poison_free_cell(cell, class_size(header->size_class));
    if (owner == t_pool) {
        cell->next.store(sc.local, std::memory_order_relaxed);
        sc.local = cell;
        return;
    }
    task_cell *head = sc.remote.load(std::memory_order_relaxed);
    do {
        cell->next.store(head, std::memory_order_relaxed);
        // Release pairs with the owner's acquire exchange in refill.
    } while (!sc.remote.compare_exchange_weak(head, cell, std::memory_order_release, std::memory_order_relaxed));
}

void fail_nth_allocation(std::int64_t n) noexcept { g_fail_countdown.store(n, std::memory_order_relaxed); }

void fault_injection_point() {
    if (g_fail_countdown.load(std::memory_order_relaxed) > 0 &&
        g_fail_countdown.fetch_sub(1, std::memory_order_relaxed) == 1)
        throw std::bad_alloc();
}

pool_stats pool_statistics() noexcept {
    const std::size_t chunks = g_chunks.load(std::memory_order_relaxed);
    return {chunks, chunks * k_chunk_bytes};
}

namespace {
// fork(): the child must not inherit the registry lock held by a thread it does not have (see
// "Fork" in scheduler.cpp).
void lock_registry() noexcept { g_registry_mutex.lock(); }
void unlock_registry() noexcept { g_registry_mutex.unlock(); }
[[maybe_unused]] const int g_fork_handlers_installed = pthread_atfork(&lock_registry, &unlock_registry, &unlock_registry);
}  // namespace

}  // namespace weft::detail
