// Template internals of weft::channel: the type-erased entry points the typed handle calls.
#pragma once

#include <weft/bits/visibility.hpp>

#include <cstddef>
#include <cstdint>

namespace weft::detail {

struct channel_core;

// How a channel moves its element type. move_construct builds *dst (raw storage) from *src and
// leaves *src valid (moved-from); destroy ends a value built by move_construct.
struct element_ops {
    std::size_t size;
    std::size_t align;
    void (*move_construct)(void *dst, void *src) noexcept;
    void (*destroy)(void *p) noexcept;
};

// Deadlines are steady-clock nanoseconds (see deadline_after); a deadline in the past polls once.
inline constexpr std::int64_t k_no_deadline = -1;
inline constexpr std::int64_t k_poll = 0;

inline constexpr int k_select_send = 1;
inline constexpr int k_select_recv = 2;

// One case of a select: send *value (moved from only when the case fires) or receive into value
// (raw storage of the element type, built only when the case fires with status 0). status is
// written for the case that fires: 0, or EPIPE when the channel was closed.
struct select_op {
    channel_core *channel;
    int op;
    void *value;
    int status;
};

// nullptr when out of memory. The creator holds one reference.
WEFT_CXX_API channel_core *channel_create(std::size_t capacity, const element_ops *ops) noexcept;
WEFT_CXX_API void channel_retain(channel_core *ch) noexcept;
WEFT_CXX_API void channel_release(channel_core *ch) noexcept;
// 0, EPIPE (closed), ETIMEDOUT (deadline passed; for a poll: would block), ENOMEM (unbounded
// buffer could not grow), ECANCELED (the calling task is cancelled and the send would wait, or
// was waiting). *value is moved from only on 0.
WEFT_CXX_API int channel_send(channel_core *ch, void *value, std::int64_t deadline_ns) noexcept;
// 0 (slot built), EPIPE (closed and drained), ETIMEDOUT, ECANCELED.
WEFT_CXX_API int channel_recv(channel_core *ch, void *slot, std::int64_t deadline_ns) noexcept;
WEFT_CXX_API void channel_close(channel_core *ch) noexcept;
WEFT_CXX_API bool channel_is_closed(const channel_core *ch) noexcept;
WEFT_CXX_API std::size_t channel_size(const channel_core *ch) noexcept;
// The index of the case that fired, -1 on timeout, -2 when out of memory, -3 when the calling
// task is cancelled (and no case could proceed at once).
WEFT_CXX_API long channel_select(select_op *ops, std::size_t n, std::int64_t deadline_ns) noexcept;

// Sleeps until deadline_ns: a task suspends on its worker's timers, a thread sleeps. 0, or
// ECANCELED when the calling task is cancelled before the deadline.
WEFT_CXX_API int sleep_until_ns(std::int64_t deadline_ns) noexcept;

}  // namespace weft::detail
