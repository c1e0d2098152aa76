// The context switch: hand-written for x86-64 (System V), ucontext elsewhere.
// See context_switch.hpp for the contract.
#include "platform/context_switch.hpp"

#include <cstdint>
#include <cstdlib>

#if defined(__x86_64__) && !defined(WEFT_UCONTEXT_SWITCH)

// weft_switch_context(void **save /* rdi */, void *resume /* rsi */)
// Frame left on a suspended stack, from its saved stack pointer upwards:
//   [mxcsr:4][x87 cw:2][pad:2] r15 r14 r13 r12 rbx rbp <return address>
// weft_context_start: first "return" of a fresh context; r12 holds arg, r13 the entry.
asm(R"(
    .text
    .globl weft_switch_context
    .hidden weft_switch_context
    .type weft_switch_context,@function
    .align 16
weft_switch_context:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size weft_switch_context,.-weft_switch_context

    .globl weft_context_start
    .hidden weft_context_start
    .type weft_context_start,@function
    .align 16
weft_context_start:
    .cfi_startproc
    .cfi_undefined rip
    xorl %ebp, %ebp
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size weft_context_start,.-weft_context_start
)");

extern "C" void weft_switch_context(void **save, void *resume) noexcept;
extern "C" void weft_context_start() noexcept;

namespace weft::detail {

void *make_context(void *low, std::size_t size, context_entry entry, void *arg, void * /*storage*/) noexcept {
    auto top = (reinterpret_cast<std::uintptr_t>(low) + size) & ~std::uintptr_t{15};
    // 8 words of saved frame plus 16 bytes above it, so that weft_context_start's call is made
    // with a 16-byte aligned stack pointer, as the ABI requires.
    auto *frame = reinterpret_cast<std::uint64_t *>(top - 80);
    frame[0] = 0x1F80 | (std::uint64_t{0x037F} << 32);  // default MXCSR, default x87 control word
    frame[1] = 0;                                       // r15
    frame[2] = 0;                                       // r14
    frame[3] = reinterpret_cast<std::uint64_t>(entry);  // r13
    frame[4] = reinterpret_cast<std::uint64_t>(arg);    // r12
    frame[5] = 0;                                       // rbx
    frame[6] = 0;                                       // rbp
    frame[7] = reinterpret_cast<std::uint64_t>(&weft_context_start);
    return frame;
}

void switch_context(void **save, void *resume) noexcept { weft_switch_context(save, resume); }

}  // namespace weft::detail

#else

#include <ucontext.h>

namespace weft::detail {

namespace {
static_assert(sizeof(ucontext_t) <= k_context_storage, "weft: ucontext_t larger than the context storage");

struct start_args {
    context_entry entry;
    void *arg;
};

// makecontext passes int arguments only: the pointer travels in two halves.
void start_trampoline(unsigned hi, unsigned lo) {
    auto *ctx = reinterpret_cast<ucontext_t *>((static_cast<std::uintptr_t>(hi) << 32) | lo);
    auto *args = reinterpret_cast<start_args *>(reinterpret_cast<char *>(ctx) + sizeof(ucontext_t));
    args->entry(args->arg);
    std::abort();
}
}  // namespace

// The "stack pointer" of a ucontext context is the address of its ucontext_t.
void *make_context(void *low, std::size_t size, context_entry entry, void *arg, void *storage) noexcept {
    static_assert(sizeof(ucontext_t) + sizeof(start_args) <= k_context_storage);
    auto *ctx = static_cast<ucontext_t *>(storage);
    auto *args = reinterpret_cast<start_args *>(static_cast<char *>(storage) + sizeof(ucontext_t));
    args->entry = entry;
    args->arg = arg;
    getcontext(ctx);
    ctx->uc_stack.ss_sp = low;
    ctx->uc_stack.ss_size = size;
    ctx->uc_link = nullptr;
    const auto p = reinterpret_cast<std::uintptr_t>(ctx);
    makecontext(ctx, reinterpret_cast<void (*)()>(&start_trampoline), 2, static_cast<unsigned>(p >> 32),
                static_cast<unsigned>(p & 0xFFFFFFFFu));
    return ctx;
}

void switch_context(void **save, void *resume) noexcept {
    // The saving side needs a ucontext_t of its own that outlives the switch: a thread's first
    // context keeps one per thread; a fiber's is the storage it was made with, which *save
    // already points to once the fiber has run.
    thread_local ucontext_t t_thread_context;
    auto *mine = static_cast<ucontext_t *>(*save);
    if (!mine) {
        mine = &t_thread_context;
        *save = mine;
    }
    swapcontext(mine, static_cast<ucontext_t *>(resume));
}

}  // namespace weft::detail

#endif
