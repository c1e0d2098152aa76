// weft::channel<T>: a FIFO channel between tasks and threads, and select over channel operations.
//
// A channel<T> is a shared handle: copies refer to the same channel (reference counted), and the
// channel lives until its last handle goes. Any task or thread may send, receive and close through
// any handle. Capacity 0 makes a rendezvous channel (a send returns once a receiver has taken the
// value); channel_unbounded makes one whose sends never wait. Inside a task a waiting operation
// suspends the task (its worker runs other tasks); outside the runtime it blocks the thread.
// A value is delivered exactly once. close() wakes every waiting party: waiting and later sends
// fail, receivers first drain what is buffered and then get nullopt. Inside a cancelled task an
// operation (or select) that would wait, or is waiting, throws task_cancelled instead; one that can
// complete at once completes, and try_ operations never see cancellation. T must be movable without
// throwing (it is moved under the channel's lock, where an exception has nowhere to go).
// A moved-from handle is empty: it may be assigned, destroyed, or given to a select case (which
// then never fires); it reports closed() and size() 0, and sending or receiving through it throws
// std::logic_error.
#pragma once

#include <weft/bits/channel_core.hpp>
#include <weft/weft.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace weft {

// Thrown by a send on a closed channel.
class channel_closed : public std::runtime_error {
public:
    channel_closed() : std::runtime_error("weft: send on a closed channel") {}
};

inline constexpr std::size_t channel_unbounded = SIZE_MAX;

namespace detail {
template <class T>
struct element_ops_of {
    static void move_construct(void *dst, void *src) noexcept {
        ::new (dst) T(std::move(*static_cast<T *>(src)));
    }
    static void destroy(void *p) noexcept { static_cast<T *>(p)->~T(); }
    static constexpr element_ops value{sizeof(T), alignof(T), &move_construct, &destroy};
};

// Raw storage a receive builds its value in.
template <class T>
struct receive_slot {
    alignas(T) unsigned char raw[sizeof(T)];
    void *get() noexcept { return raw; }
    T take() noexcept {
        T *p = std::launder(reinterpret_cast<T *>(raw));
        T v(std::move(*p));
        p->~T();
        return v;
    }
};

inline void throw_send_error(int r) {
    if (r == EPIPE) throw channel_closed();
    if (r == ENOMEM) throw std::bad_alloc();
    if (r == ECANCELED) throw task_cancelled();
}
}  // namespace detail

template <class T>
class channel {
    static_assert(std::is_nothrow_move_constructible_v<T>, "weft::channel<T> needs a noexcept move constructor");

public:
    // Throws std::bad_alloc.
    explicit channel(std::size_t capacity = 0)
        : m_core(detail::channel_create(capacity, &detail::element_ops_of<T>::value)) {
        if (!m_core) throw std::bad_alloc();
    }
    channel(const channel &o) noexcept : m_core(o.m_core) {
        if (m_core) detail::channel_retain(m_core);
    }
    channel(channel &&o) noexcept : m_core(std::exchange(o.m_core, nullptr)) {}
    channel &operator=(channel o) noexcept {
        std::swap(m_core, o.m_core);
        return *this;
    }
    ~channel() {
        if (m_core) detail::channel_release(m_core);
    }

    // Waits for room (or, at capacity 0, for a receiver). Throws channel_closed.
    void send(T value) { detail::throw_send_error(detail::channel_send(checked(), &value, detail::k_no_deadline)); }
    // False when the send would wait; value is moved from only when it is sent. Throws channel_closed.
    bool try_send(T &&value) { return timed_send(&value, detail::k_poll); }
    bool try_send(const T &value) {
        T copy(value);
        return timed_send(&copy, detail::k_poll);
    }
    // False when the send could not happen within d. Throws channel_closed.
    template <class Rep, class Period>
    bool send_for(T &&value, std::chrono::duration<Rep, Period> d) {
        return timed_send(&value, detail::deadline_in(d));
    }
    template <class Rep, class Period>
    bool send_for(const T &value, std::chrono::duration<Rep, Period> d) {
        T copy(value);
        return timed_send(&copy, detail::deadline_in(d));
    }

    // The next value; nullopt once the channel is closed and drained.
    std::optional<T> recv() { return timed_recv(detail::k_no_deadline); }
    // The next value if one is there now; else nullopt (see closed() to tell why).
    std::optional<T> try_recv() { return timed_recv(detail::k_poll); }
    // The next value within d; else nullopt (timeout, or closed and drained).
    template <class Rep, class Period>
    std::optional<T> recv_for(std::chrono::duration<Rep, Period> d) {
        return timed_recv(detail::deadline_in(d));
    }

    // Wakes every waiting party; later sends throw, receivers drain the buffer. Idempotent.
    void close() noexcept {
        if (m_core) detail::channel_close(m_core);
    }
    bool closed() const noexcept { return !m_core || detail::channel_is_closed(m_core); }
    // Values buffered now.
    std::size_t size() const noexcept { return m_core ? detail::channel_size(m_core) : 0; }

    // Receives until the channel is closed and drained: `for (auto v : ch)`. *it yields T&&.
    class iterator {
    public:
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(channel *ch) : m_ch(ch) { ++*this; }
        T &&operator*() const { return std::move(*m_value); }
        iterator &operator++() {
            m_value = m_ch->recv();
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const noexcept { return !m_value.has_value(); }

    private:
        channel *m_ch = nullptr;
        mutable std::optional<T> m_value;
    };
    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() const noexcept { return {}; }

    detail::channel_core *native_handle() const noexcept { return m_core; }

private:
    // The channel behind this handle; a moved-from handle has none, and sending or receiving
    // through it is a programming error (close, closed and size treat it as closed and empty).
    detail::channel_core *checked() const {
        if (!m_core) throw std::logic_error("weft::channel: send or receive through a moved-from handle");
        return m_core;
    }
    bool timed_send(T *value, std::int64_t deadline) {
        const int r = detail::channel_send(checked(), value, deadline);
        if (r == ETIMEDOUT) return false;
        detail::throw_send_error(r);
        return true;
    }
    std::optional<T> timed_recv(std::int64_t deadline) {
        detail::receive_slot<T> slot;
        const int r = detail::channel_recv(checked(), slot.get(), deadline);
        if (r == ECANCELED) throw task_cancelled();
        if (r != 0) return std::nullopt;
        return std::optional<T>(slot.take());
    }
    detail::channel_core *m_core;
};

// A receive case of select. After the select: fired() when this case was the one performed;
// then value holds the value, or is empty when the channel was closed and drained (closed()).
template <class T>
class recv_case {
public:
    explicit recv_case(const channel<T> &ch) noexcept : m_core(ch.native_handle()) {}
    std::optional<T> value;
    bool fired() const noexcept { return m_fired; }
    bool closed() const noexcept { return m_fired && m_status != 0; }

    detail::select_op start() noexcept {
        value.reset();
        m_fired = false;
        return {m_core, detail::k_select_recv, m_slot.get(), 0};
    }
    void finish(int status) noexcept {
        m_fired = true;
        m_status = status;
        if (status == 0) value.emplace(m_slot.take());
    }

private:
    detail::channel_core *m_core;
    detail::receive_slot<T> m_slot;
    bool m_fired = false;
    int m_status = 0;
};

// A send case of select. value is moved from only when this case fired() and did not find the
// channel closed().
template <class T>
class send_case {
public:
    send_case(const channel<T> &ch, T v) noexcept(std::is_nothrow_move_constructible_v<T>)
        : value(std::move(v)), m_core(ch.native_handle()) {}
    T value;
    bool fired() const noexcept { return m_fired; }
    bool closed() const noexcept { return m_fired && m_status != 0; }

    detail::select_op start() noexcept {
        m_fired = false;
        return {m_core, detail::k_select_send, &value, 0};
    }
    void finish(int status) noexcept {
        m_fired = true;
        m_status = status;
    }

private:
    detail::channel_core *m_core;
    bool m_fired = false;
    int m_status = 0;
};

namespace detail {
template <class... C>
std::optional<std::size_t> select_until(std::int64_t deadline, C &...cases) {
    static_assert(sizeof...(C) > 0, "select needs at least one case");
    select_op ops[] = {cases.start()...};
    const long r = channel_select(ops, sizeof...(C), deadline);
    if (r == -2) throw std::bad_alloc();
    if (r == -3) throw task_cancelled();
    if (r < 0) return std::nullopt;
    std::size_t k = 0;
    ((k++ == static_cast<std::size_t>(r) ? cases.finish(ops[r].status) : void()), ...);
    return static_cast<std::size_t>(r);
}
}  // namespace detail

// Waits until one case can proceed, performs exactly that one and returns its index. Cases ready
// at once are chosen at random. A case on an empty (moved-from) channel handle never fires.
template <class... C>
std::size_t select(C &...cases) {
    return *detail::select_until(detail::k_no_deadline, cases...);
}
// As select, but nullopt when no case could proceed within d.
template <class Rep, class Period, class... C>
std::optional<std::size_t> select_for(std::chrono::duration<Rep, Period> d, C &...cases) {
    return detail::select_until(detail::deadline_in(d), cases...);
}
// As select, but nullopt at once when no case can proceed now.
template <class... C>
std::optional<std::size_t> try_select(C &...cases) {
    return detail::select_until(detail::k_poll, cases...);
}

}  // namespace weft
