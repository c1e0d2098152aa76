// Sleeping: a task suspends on its worker's timer heap; a thread outside the runtime sleeps.
//
// A sleeping task is a waiter (see "Waiter" in suspend/waiter.hpp) that nothing links: only its
// deadline on the worker's timer heap can wake it, so the worker keeps running other tasks, and
// parks no longer than the earliest deadline of its heap. A thread that is not a worker has no
// heap to join and simply sleeps (clock_nanosleep on the steady clock, restarted after a signal).
#include "parker.hpp"
#include "suspend/waiter.hpp"

#include <weft/bits/channel_core.hpp>

#include <cerrno>
#include <ctime>

namespace weft::detail {

void sleep_until_ns(std::int64_t deadline_ns) noexcept {
    if (deadline_ns < 0) return;
    if (can_suspend()) {
        waiter w;
        while (now_ns() < deadline_ns) {
            prepare_waiter(w, deadline_ns);
            block(w);
        }
        return;
    }
    timespec ts;
    ts.tv_sec = static_cast<time_t>(deadline_ns / 1000000000);
    ts.tv_nsec = static_cast<long>(deadline_ns % 1000000000);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

}  // namespace weft::detail
