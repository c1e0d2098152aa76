// Switching a worker between its fibers; see "Suspension" in fiber.hpp.
#include "suspend/fiber.hpp"

#include "platform/sanitizers.hpp"
#include "scheduler.hpp"
#include "suspend/waiter.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <pthread.h>

namespace weft::detail {

namespace {
// Idle loop fibers a worker keeps; more are given back to the stack pool. A burst of suspensions
// (a million tasks awaiting one future) must not keep a million stacks once it is over, but
// giving a stack back and taking a new one costs a madvise and page faults: with 16, chains of
// 30 nested group waits (tests/reliability/liveness.cpp) spent most of their time doing that.
// 64 idle fibers hold well under a MiB per worker.
constexpr std::uint32_t k_idle_fibers_kept = 64;
// Suspensions between two turns of the loop's queue when fibers keep waking each other (a
// ping-pong between two tasks would otherwise never let a queued task run); prime, as the
// worker's own fairness interval.
constexpr std::uint32_t k_ready_fairness_interval = 61;
// The last word of every pool fiber's header (at the top of its stack), checked whenever the
// worker switches to or from the fiber. A stack without a guard page that overflows runs into
// the top of the stack below it, which is that fiber's header, this word first; the overflowing
// fiber itself is caught by its frame address at its next switch. A canary at the bottom of each
// stack was rejected: it commits a second page per suspended task (measured: 8 KiB instead of
// 4 KiB of RSS per parked task), and page faults are the cost of a suspension burst.
constexpr std::uint64_t k_canary = 0x5EA1ED57AC4C0DE5ull;

[[noreturn]] void die(const char *what) noexcept {
    std::fprintf(stderr, "weft: %s\n", what);
    std::fflush(stderr);
    std::abort();
}

void check_canary(const fiber *f) noexcept {
    if (f->stack.low && f->canary != k_canary) die("stack overflow in a suspended task");
}

void save_context(fiber *f) noexcept {
    const thread_context &ctx = t_context;
    f->saved_sched = ctx.sched;
    f->saved_current = ctx.current;
    f->saved_scope = ctx.scope;
    f->saved_depth = ctx.depth;
    f->saved_local = ctx.local;
}
void restore_context(const fiber *f) noexcept {
    thread_context &ctx = t_context;
    ctx.sched = f->saved_sched;
    ctx.current = f->saved_current;
    ctx.scope = f->saved_scope;
    ctx.depth = f->saved_depth;
    ctx.local = f->saved_local;
}

void finish_switch([[maybe_unused]] fiber *self) noexcept {
#if defined(WEFT_ASAN)
    __sanitizer_finish_switch_fiber(self ? self->asan_fake_stack : nullptr, nullptr, nullptr);
#endif
}

void fiber_entry(void *arg) {
    auto *self = static_cast<fiber *>(arg);
    finish_switch(nullptr);
    restore_context(self);
    run_worker_loop(*self->home);
    self->home->fibers.leave_for_exit();
    die("a worker fiber returned");
}
}  // namespace

void worker_fibers::fifo::push(fiber *f) noexcept {
    f->next = nullptr;
    if (tail) {
        tail->next = f;
    } else {
        head = f;
    }
    tail = f;
}

fiber *worker_fibers::fifo::pop() noexcept {
    fiber *f = head;
    if (f) {
        head = f->next;
        if (!head) tail = nullptr;
        f->next = nullptr;
    }
    return f;
}

void worker_fibers::attach(worker &w) noexcept {
    m_worker = &w;
    m_main.home = &w;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr = nullptr;
        std::size_t size = 0;
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
        set_extent(&m_main, static_cast<char *>(addr), size);
    }
#if defined(WEFT_TSAN)
    m_main.tsan_fiber = __tsan_get_current_fiber();
#endif
    m_current = &m_main;
}

void worker_fibers::detach() noexcept {
    while (fiber *f = m_idle) {
        m_idle = f->next;
        destroy_fiber(f);
    }
    m_idle_count = 0;
    m_main_idle = false;
}

void worker_fibers::set_extent(fiber *f, char *low, std::size_t size) noexcept {
    f->low = low;
    f->size = size;
    if (!low) return;
    const char *floor = low;
    // ThreadSanitizer records at most 65,536 frames per stack (it stops with a CHECK failure past
    // that): under it, every stack counts as a fiber-sized one, so await chains move to a fresh
    // fiber long before.
    if (k_tsan_build && size > k_fiber_stack_bytes) floor = low + size - k_fiber_stack_bytes;
    f->inline_floor = floor + k_inline_headroom;
}

fiber *worker_fibers::make_fiber() noexcept {
    const stack_region stack = take_stack();
    if (!stack.low) return nullptr;
    // The fiber's header sits at the top of its own stack: no allocation besides the stack.
    char *top = stack.low + stack.size;
    auto *f = ::new (static_cast<void *>(
        reinterpret_cast<fiber *>((reinterpret_cast<std::uintptr_t>(top) - sizeof(fiber)) & ~std::uintptr_t{63})))
        fiber();
    f->home = m_worker;
    f->stack = stack;
    set_extent(f, stack.low, static_cast<std::size_t>(reinterpret_cast<char *>(f) - stack.low));
    f->canary = k_canary;
    f->saved_sched = &m_worker->sched;
#if defined(WEFT_TSAN)
    f->tsan_fiber = __tsan_create_fiber(0);
#endif
#if !defined(__x86_64__) || defined(WEFT_UCONTEXT_SWITCH)
    void *storage = f->context_storage;
#else
    void *storage = nullptr;
#endif
    f->sp = make_context(stack.low, f->size, &fiber_entry, f, storage);
    return f;
}

void worker_fibers::destroy_fiber(fiber *f) noexcept {
#if defined(WEFT_TSAN)
    __tsan_destroy_fiber(f->tsan_fiber);
#endif
    const stack_region stack = f->stack;
    f->~fiber();
    release_stack(stack);
}

void worker_fibers::make_idle(fiber *f) noexcept {
    if (f == &m_main) {
        m_main_idle = true;
        return;
    }
    if (m_idle_count >= k_idle_fibers_kept) {
        // Give back an idle fiber instead of keeping one more: the newest, which is O(1) to
        // unlink (walking to the coldest touched one header page per idle fiber, each a TLB miss).
        fiber *spare = m_idle;
        m_idle = spare->next;
        --m_idle_count;
        destroy_fiber(spare);
    }
    f->next = m_idle;
    m_idle = f;
    ++m_idle_count;
}

void worker_fibers::switch_to(fiber *to) noexcept {
    fiber *from = m_current;
    if (from->stack.low && static_cast<char *>(__builtin_frame_address(0)) < from->low)
        die("stack overflow in a suspended task");
    check_canary(from);
    check_canary(to);
    save_context(from);
    m_current = to;
#if defined(WEFT_ASAN)
    __sanitizer_start_switch_fiber(&from->asan_fake_stack, to->low, to->size);
#endif
#if defined(WEFT_TSAN)
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
    switch_context(&from->sp, to->sp);
    // Resumed: some fiber of this worker switched back to `from`.
    finish_switch(from);
    restore_context(from);
}

fiber *worker_fibers::pop_ready() noexcept {
    if (m_ready.empty() && m_inbox.load(std::memory_order_relaxed)) {
        // Acquire pairs with the release in push_woken: the fiber's wake-up state is visible.
        fiber *list = m_inbox.exchange(nullptr, std::memory_order_acquire);
        // The inbox is a stack: reverse it so that fibers resume in wake order.
        fiber *reversed = nullptr;
        while (list) {
            fiber *next = list->next;
            list->next = reversed;
            reversed = list;
            list = next;
        }
        while (reversed) {
            fiber *next = reversed->next;
            m_ready.push(reversed);
            reversed = next;
        }
    }
    return m_ready.pop();
}

bool worker_fibers::has_ready() const noexcept {
    return !m_ready.empty() || !m_yielded.empty() || m_inbox.load(std::memory_order_relaxed) != nullptr;
}

bool worker_fibers::take_queue_first() noexcept { return std::exchange(m_queue_first, false); }

void worker_fibers::suspend() noexcept {
    fiber *const self = m_current;
    fiber *to = nullptr;
    if (++m_switches % k_ready_fairness_interval == 0) {
        m_queue_first = true;
    } else {
        to = pop_ready();
        if (to == self) return;  // woken before it could leave: keep running
    }
    if (!to) {
        if (m_main_idle) {
            m_main_idle = false;
            to = &m_main;
        } else if (m_idle) {
            to = m_idle;
            m_idle = to->next;
            --m_idle_count;
        } else {
            to = make_fiber();
            if (!to) die("cannot reserve a stack for a suspended task");
        }
    }
    switch_to(to);
}

void worker_fibers::yield() noexcept {
    m_yielded.push(m_current);
    suspend();
}

// "The cooperative budget": 64 operations, a few microseconds of channel traffic, between looks.
constexpr std::uint32_t k_coop_budget = 64;

void worker_fibers::spend_budget() noexcept {
    if (++m_budget_spent < k_coop_budget) return;
    m_budget_spent = 0;
    // A timed wait that is due counts as woken: only the loop moves it to the ready FIFO.
    if (has_ready() || deadline_passed(timers.earliest())) yield();
}

void worker_fibers::promote_yielded() noexcept {
    while (fiber *f = m_yielded.pop()) m_ready.push(f);
}

bool worker_fibers::switch_to_waiting() noexcept {
    fiber *const self = m_current;
    fiber *to = pop_ready();
    if (!to) {
        if (!m_main_idle || self == &m_main) return false;
        m_main_idle = false;
        to = &m_main;
    }
    make_idle(self);
    switch_to(to);
    return true;
}

void worker_fibers::leave_for_exit() noexcept {
    fiber *const self = m_current;
    if (self == &m_main) return;
    if (!m_main_idle) die("a worker exits while its own stack holds a suspended task");
    m_main_idle = false;
    make_idle(self);  // given back by detach(), once the thread's stack runs again
#if defined(WEFT_ASAN)
    // This fiber never runs again: no fake stack to keep.
    __sanitizer_start_switch_fiber(nullptr, m_main.low, m_main.size);
#endif
#if defined(WEFT_TSAN)
    __tsan_switch_to_fiber(m_main.tsan_fiber, 0);
#endif
    save_context(self);
    m_current = &m_main;
    switch_context(&self->sp, m_main.sp);
    die("an exited worker fiber was resumed");
}

void worker_fibers::push_woken(fiber *f) noexcept {
    fiber *head = m_inbox.load(std::memory_order_relaxed);
    do {
        f->next = head;
        // Release pairs with the owner's acquire exchange in pop_ready.
    } while (!m_inbox.compare_exchange_weak(head, f, std::memory_order_release, std::memory_order_relaxed));
}

void worker_fibers::push_ready_local(fiber *f) noexcept { m_ready.push(f); }

}  // namespace weft::detail
