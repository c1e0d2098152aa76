// weft::task_cancelled: what a cancelled task's future and its interrupted waits throw.
#pragma once

#include <weft/bits/visibility.hpp>

#include <exception>

namespace weft {

// Thrown by future::get() of a task cancelled before it started (it never ran), and by the waits
// that cancellation interrupts inside a cancelled task: channel send and receive, select,
// sleep_for/sleep_until and counting_semaphore::acquire (see "Cancellation" in the README).
// Derived from std::exception directly, not from std::runtime_error: a cancellation is a request,
// not a failure of the program.
class WEFT_CXX_API task_cancelled : public std::exception {
public:
    const char *what() const noexcept override { return "weft: task cancelled"; }
};

}  // namespace weft
