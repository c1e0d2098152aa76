// Saving one execution context and resuming another: the architecture-specific context switch.
//
// A context is a stack pointer. Switching pushes the callee-saved registers (and the floating-point
// control words) on the current stack, stores the stack pointer in *save, loads `resume` and pops
// the registers saved there; everything else is caller-saved under the System V ABI, so the
// compiler has already spilled it around the call. x86-64 has a hand-written switch (a few
// instructions, no system call); other architectures fall back to ucontext, which also saves the
// signal mask with a system call per switch and is therefore much slower, but correct.
#pragma once

#include <cstddef>

namespace weft::detail {

// What a fresh context runs; it must never return (it switches away for good instead).
using context_entry = void (*)(void *arg);

// Prepares a context on the stack [low, low + size) that calls entry(arg) when first resumed.
// Returns the value to pass as `resume`. `storage` is caller-owned memory of
// k_context_storage bytes that lives as long as the context (unused on x86-64).
inline constexpr std::size_t k_context_storage = 1024;
void *make_context(void *low, std::size_t size, context_entry entry, void *arg, void *storage) noexcept;

// Saves the running context into *save and resumes `resume`. Returns when some other context
// switches back to the one saved here.
void switch_context(void **save, void *resume) noexcept;

}  // namespace weft::detail
