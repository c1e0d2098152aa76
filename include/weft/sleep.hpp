// weft::sleep_for and weft::sleep_until: a task suspends (its worker runs other tasks), a thread sleeps.
#pragma once

#include <weft/bits/channel_core.hpp>
#include <weft/weft.hpp>

#include <chrono>

namespace weft {

// Inside a task: suspends it on its worker's timers; elsewhere: sleeps the thread. Inside a
// cancelled task the sleep ends early (or does not start) with task_cancelled. A length the steady
// clock cannot reach (hours::max(), time_point::max()) has no end: it sleeps until cancelled, and
// for ever on a thread that runs no task. A length of zero or less returns at once.
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
    if (detail::sleep_until_ns(detail::deadline_in(d)) != 0) throw task_cancelled();
}
template <class Clock, class Duration>
void sleep_until(std::chrono::time_point<Clock, Duration> t) {
    sleep_for(detail::time_until(t));
}

}  // namespace weft
