// Sleeping: a task suspends on its worker's timer heap; a thread outside the runtime sleeps.
//
// A sleeping task is a waiter (see "Waiter" in suspend/waiter.hpp) that nothing links: only its
// deadline on the worker's timer heap can wake it, so the worker keeps running other tasks, and
// parks no longer than the earliest deadline of its heap. A thread that is not a worker has no
// heap to join and simply sleeps (clock_nanosleep on the steady clock, restarted after a signal).
// A cancel of the sleeping task (see "Cancelling a wait" in suspend/cancellable_wait.hpp) is the one
// other way to wake it: the sleep then returns ECANCELED before its deadline. A thread of the
// blocking pool runs tasks too, so there a sleep parks the thread on a waiter a cancel can wake.
#include "parker.hpp"
#include "scheduler.hpp"
#include "suspend/cancellable_wait.hpp"
#include "suspend/waiter.hpp"

#include <weft/bits/channel_core.hpp>

#include <cerrno>
#include <ctime>

namespace weft::detail {

// deadline_ns < 0 is no deadline (a length past the clock's range, see deadline_after): the sleep
// then lasts until a cancel ends it, and forever outside a task.
int sleep_until_ns(std::int64_t deadline_ns) noexcept {
    if (can_suspend() || t_context.current) {
        if (deadline_passed(deadline_ns)) return 0;
        waiter w;
        prepare_waiter(w, deadline_ns);
        cancellable_wait cancel;  // disarmed before w goes (declared after it)
        if (!cancel.arm(w)) return ECANCELED;
        for (;;) {
            block(w);
            if (deadline_passed(deadline_ns)) return 0;
            if (!cancel.rearm(w)) return ECANCELED;
        }
    }
    if (deadline_ns < 0) {
        for (;;) {
            timespec day{86400, 0};
            clock_nanosleep(CLOCK_MONOTONIC, 0, &day, nullptr);
        }
    }
    timespec ts;
    ts.tv_sec = static_cast<time_t>(deadline_ns / 1000000000);
    ts.tv_nsec = static_cast<long>(deadline_ns % 1000000000);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    return 0;
}

}  // namespace weft::detail
