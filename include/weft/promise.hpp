// weft::promise<T>: a future completed by code (another task, a callback, an outside thread).
#pragma once

#include <weft/weft.hpp>

#include <exception>
#include <stdexcept>
#include <utility>

namespace weft {

// Thrown by future::get when its promise was destroyed without a value or an exception.
class broken_promise : public std::logic_error {
public:
    broken_promise() : std::logic_error("weft: promise destroyed before it was set") {}
};

template <class T>
class promise {
    struct never_run {
        T operator()() const { throw std::logic_error("weft: a promise cell was run"); }
    };
    using cell_type = detail::typed_cell<never_run, T>;

public:
    // One reference for the promise, one for the future get_future hands out.
    promise() : m_cell(cell_type::make(never_run{}, detail::current_runtime_id(), 2, detail::k_claimed)) {
        m_cell->flags |= detail::k_promise_cell;
    }
    promise(promise &&o) noexcept
        : m_cell(std::exchange(o.m_cell, nullptr)), m_future_taken(o.m_future_taken) {}
    promise &operator=(promise &&o) noexcept {
        if (this != &o) {
            reset();
            m_cell = std::exchange(o.m_cell, nullptr);
            m_future_taken = o.m_future_taken;
        }
        return *this;
    }
    promise(const promise &) = delete;
    promise &operator=(const promise &) = delete;
    ~promise() { reset(); }

    // The future this promise completes; once only.
    future<T> get_future() {
        if (!m_cell) throw std::logic_error("weft::promise: no state");
        if (m_future_taken) throw std::logic_error("weft::promise: future already retrieved");
        m_future_taken = true;
        return future<T>(m_cell);
    }

    template <class... A>
    void set_value(A &&...value) {
        detail::task_cell *cell = claim();
        if constexpr (!std::is_void_v<T>) {
            try {
                ::new (cell->payload()) T(std::forward<A>(value)...);
            } catch (...) {
                ::new (cell->payload()) std::exception_ptr(std::current_exception());
                detail::fulfil(cell, true);
                throw;
            }
        }
        detail::fulfil(cell, false);
    }
    void set_exception(std::exception_ptr e) {
        detail::task_cell *cell = claim();
        ::new (cell->payload()) std::exception_ptr(std::move(e));
        detail::fulfil(cell, true);
    }

private:
    detail::task_cell *claim() {
        if (!m_cell) throw std::logic_error("weft::promise: no state");
        if (!detail::begin_fulfil(m_cell)) throw std::logic_error("weft::promise: already satisfied");
        return m_cell;
    }
    void reset() noexcept {
        if (!m_cell) return;
        if (detail::begin_fulfil(m_cell)) {
            ::new (m_cell->payload()) std::exception_ptr(std::make_exception_ptr(broken_promise()));
            detail::fulfil(m_cell, true);
        }
        if (!m_future_taken) detail::release(m_cell);
        detail::release(std::exchange(m_cell, nullptr));
    }

    detail::task_cell *m_cell;
    bool m_future_taken = false;
};

}  // namespace weft
