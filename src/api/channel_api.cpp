// The C shims for channels, select and sleep: argument checks and errno, nothing else.
#include <weft/bits/channel_core.hpp>
#include <weft/weft.h>
#include <weft/weft.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>

struct weft_channel {};  // never defined in full: a weft_channel* is a channel_core*

namespace {

using weft::detail::channel_core;

channel_core *core_of(const weft_channel *ch) noexcept {
    return reinterpret_cast<channel_core *>(const_cast<weft_channel *>(ch));
}

void copy_pointer(void *dst, void *src) noexcept { *static_cast<void **>(dst) = *static_cast<void **>(src); }
void drop_pointer(void *) noexcept {}
constexpr weft::detail::element_ops k_pointer_ops{sizeof(void *), alignof(void *), &copy_pointer, &drop_pointer};

// No deadline for a negative timeout, else the steady-clock deadline.
std::int64_t deadline_of(int timeout_ms) noexcept {
    if (timeout_ms < 0) return weft::detail::k_no_deadline;
    return weft::detail::deadline_after(std::chrono::milliseconds(timeout_ms));
}

int poll_result(int r) noexcept { return r == ETIMEDOUT ? EAGAIN : r; }

}  // namespace

extern "C" {

weft_channel *weft_channel_new(size_t capacity) {
    channel_core *ch = weft::detail::channel_create(capacity, &k_pointer_ops);
    if (!ch) errno = ENOMEM;
    return reinterpret_cast<weft_channel *>(ch);
}

void weft_channel_free(weft_channel *ch) {
    if (ch) weft::detail::channel_release(core_of(ch));
}

int weft_channel_send(weft_channel *ch, void *value) {
    if (!ch) return EINVAL;
    return weft::detail::channel_send(core_of(ch), &value, weft::detail::k_no_deadline);
}

int weft_channel_recv(weft_channel *ch, void **value) {
    if (!ch || !value) return EINVAL;
    return weft::detail::channel_recv(core_of(ch), value, weft::detail::k_no_deadline);
}

int weft_channel_try_send(weft_channel *ch, void *value) {
    if (!ch) return EINVAL;
    return poll_result(weft::detail::channel_send(core_of(ch), &value, weft::detail::k_poll));
}

int weft_channel_try_recv(weft_channel *ch, void **value) {
    if (!ch || !value) return EINVAL;
    return poll_result(weft::detail::channel_recv(core_of(ch), value, weft::detail::k_poll));
}

int weft_channel_send_timeout(weft_channel *ch, void *value, int timeout_ms) {
    if (!ch) return EINVAL;
    return weft::detail::channel_send(core_of(ch), &value, deadline_of(timeout_ms));
}

int weft_channel_recv_timeout(weft_channel *ch, void **value, int timeout_ms) {
    if (!ch || !value) return EINVAL;
    return weft::detail::channel_recv(core_of(ch), value, deadline_of(timeout_ms));
}

void weft_channel_close(weft_channel *ch) {
    if (ch) weft::detail::channel_close(core_of(ch));
}

size_t weft_channel_len(const weft_channel *ch) { return ch ? weft::detail::channel_size(core_of(ch)) : 0; }

int weft_select(weft_select_case *cases, size_t n, int timeout_ms) {
    if ((!cases && n > 0) || timeout_ms < -1) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n; ++i) {
        if (cases[i].op != WEFT_SEND && cases[i].op != WEFT_RECV) {
            errno = EINVAL;
            return -1;
        }
    }
    static_assert(WEFT_SEND == weft::detail::k_select_send && WEFT_RECV == weft::detail::k_select_recv);
    // A separate array of internal ops (up to k_inline_cases on the stack) keeps the C struct free
    // of internal types; each op points at its case's value field.
    constexpr size_t k_inline_cases = 16;
    weft::detail::select_op small[k_inline_cases];
    weft::detail::select_op *ops = small;
    std::unique_ptr<weft::detail::select_op[]> big;
    if (n > k_inline_cases) {
        big.reset(new (std::nothrow) weft::detail::select_op[n]);
        if (!big) {
            errno = ENOMEM;
            return -1;
        }
        ops = big.get();
    }
    for (size_t i = 0; i < n; ++i) {
        ops[i] = {core_of(cases[i].channel), cases[i].op, &cases[i].value, 0};
    }
    const long r = weft::detail::channel_select(ops, n, deadline_of(timeout_ms));
    if (r == -2) {
        errno = ENOMEM;
        return -1;
    }
    if (r == -3) {
        errno = ECANCELED;
        return -1;
    }
    if (r < 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    cases[r].status = ops[r].status;
    return static_cast<int>(r);
}

int weft_sleep_ms(unsigned ms) {
    return weft::detail::sleep_until_ns(weft::detail::deadline_after(std::chrono::milliseconds(ms)));
}

}  // extern "C"
