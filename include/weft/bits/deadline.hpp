// Turning a user's duration or time point into a wait deadline, without overflow: every timed wait
// of the C++ API (futures, channels, select, semaphores, sleeps) goes through deadline_in.
#pragma once

#include <weft/bits/visibility.hpp>

#include <chrono>
#include <cstdint>

namespace weft::detail {

// A wait's length in nanoseconds without overflow: zero for a negative (or NaN) length, so the
// wait only polls; nanoseconds::max() for a length beyond it (292 years), which deadline_after
// turns into no deadline. Converted through long double, which holds every int64 exactly on
// x86-64 and whose rounding elsewhere only costs nanoseconds of a huge wait.
template <class Rep, class Period>
constexpr std::chrono::nanoseconds saturating_ns(std::chrono::duration<Rep, Period> d) noexcept {
    using wide = std::chrono::duration<long double, std::nano>;
    const long double ns = std::chrono::duration_cast<wide>(d).count();
    if (!(ns > 0)) return std::chrono::nanoseconds::zero();
    if (ns >= static_cast<long double>(std::chrono::nanoseconds::max().count())) return std::chrono::nanoseconds::max();
    return std::chrono::nanoseconds(static_cast<std::chrono::nanoseconds::rep>(ns));
}

// The steady-clock deadline `d` from now: now for d <= 0 (poll), -1 (no deadline) when now + d
// does not fit in the clock's range.
WEFT_CXX_API std::int64_t deadline_after(std::chrono::nanoseconds d) noexcept;

// The deadline of a wait of length d, for any duration type (hours::max(), a negative double).
template <class Rep, class Period>
std::int64_t deadline_in(std::chrono::duration<Rep, Period> d) noexcept {
    return deadline_after(saturating_ns(d));
}

// How long from now until t on t's own clock, in a type that cannot overflow: the subtraction
// happens in long double, so time_point::min() and max() of any clock give a huge negative or
// positive length instead of wrapping around.
template <class Clock, class Duration>
std::chrono::duration<long double, std::nano> time_until(std::chrono::time_point<Clock, Duration> t) {
    using wide = std::chrono::duration<long double, std::nano>;
    return std::chrono::duration_cast<wide>(t.time_since_epoch()) -
           std::chrono::duration_cast<wide>(Clock::now().time_since_epoch());
}

}  // namespace weft::detail
