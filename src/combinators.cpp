// when_all, when_any and then: futures that complete through parking-lot continuations.
//
// A combinator's result is a task cell that is never queued: it starts claimed, with one
// reference for its future and one held by the combinator until it completes it. Each input gets
// a continuation record in the parking lot (or is handled at once when already done); the record
// that finishes the job completes the result cell, and the last record to fire frees the shared
// state. `then` allocates the mapped task up front and submits it from the continuation, so the
// returned future exists before its input completes. Completing a result cell fires the records
// of whatever waits on it in turn; the parking lot runs those after the current continuation
// returns ("Continuations run flat"), so a chain of a million combinators resolves in a loop, not
// a million nested frames.
#include "combinators.hpp"

#include "cell_pool.hpp"
#include "parking_lot.hpp"
#include "scheduler.hpp"

#include <memory>
#include <new>

namespace weft::detail {

namespace {

template <class R>
struct value_of_r {
    R operator()() const noexcept { return R{}; }
};

// A cell holding a result of type R that the combinator completes by hand.
template <class R>
task_cell *make_result_cell(std::uint16_t runtime_id) {
    task_cell *cell = typed_cell<value_of_r<R>, R>::make(value_of_r<R>{}, runtime_id, 2, k_claimed);
    ::new (cell->payload()) R{};
    return cell;
}

struct combinator_state {
    explicit combinator_state(std::size_t n) : records(new wait_record[n]), pending(n), outstanding(n) {}
    std::unique_ptr<wait_record[]> records;
    task_cell *result = nullptr;
    bool any = false;
    std::atomic<std::size_t> pending;      // when_all: inputs not yet complete
    std::atomic<std::size_t> outstanding;  // records not yet fired; the last one frees the state
    std::atomic<bool> decided{false};      // when_any: the first ready input is recorded
};

void on_input_ready(combinator_state *st, std::size_t index) noexcept {
    if (st->any) {
        if (!st->decided.exchange(true, std::memory_order_acq_rel)) {
            *static_cast<std::size_t *>(st->result->payload()) = index;
            complete(st->result, 0, k_ref);
        }
    } else if (st->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        complete(st->result, 0, k_ref);
    }
    if (st->outstanding.fetch_sub(1, std::memory_order_acq_rel) == 1) delete st;
}

void on_record_fired(wait_record *r) noexcept {
    auto *st = static_cast<combinator_state *>(r->context);
    on_input_ready(st, static_cast<std::size_t>(r - st->records.get()));
}

task_cell *combine(task_cell *const *cells, std::size_t n, bool any) {
    scheduler *sched = current_or_default_scheduler();
    task_cell *result = any ? make_result_cell<std::size_t>(sched->id()) : make_result_cell<void *>(sched->id());
    if (n == 0) {
        complete(result, 0, k_ref);
        return result;
    }
    combinator_state *st;
    try {
        st = new combinator_state(n);
    } catch (...) {
        complete(result, 0, k_ref);
        release(result);
        throw;
    }
    st->result = result;
    st->any = any;
    for (std::size_t i = 0; i < n; ++i) {
        st->records[i].continuation = &on_record_fired;
        st->records[i].context = st;
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (!subscribe_cell(cells[i], &st->records[i])) on_input_ready(st, i);
    }
    return result;
}

struct then_state {
    wait_record record;
    task_cell *mapped;
};

void on_source_ready(wait_record *r) noexcept {
    auto *st = static_cast<then_state *>(r->context);
    task_cell *mapped = st->mapped;
    delete st;
    scheduler *sched = scheduler::from_id(mapped->runtime_id);
    // The input is done: from now on the mapped task may be claimed, by a worker or an awaiter.
    mapped->state.fetch_and(~k_claimed, std::memory_order_release);
    if (sched && sched->submit_continuation(mapped)) return;
    // Nothing queued it ("Continuations of a stopped runtime"): it fails as a task cancelled
    // before it started, which releases the input through its closure. An awaiter may have
    // claimed it since the claim bit was cleared; it then runs it, and the reference this
    // thread holds for the queue is dropped here.
    switch (try_claim(mapped)) {
    case claim_outcome::lost:
        release(mapped);
        return;
    case claim_outcome::run:
        mapped->state.fetch_or(k_cancelled, std::memory_order_relaxed);
        [[fallthrough]];
    case claim_outcome::skip:
        skip_cancelled(mapped, true);
        return;
    }
}

}  // namespace

task_cell *when_all_cells(task_cell *const *cells, std::size_t n) { return combine(cells, n, false); }
task_cell *when_any_cells(task_cell *const *cells, std::size_t n) { return combine(cells, n, true); }

void submit_when_ready(task_cell *source, task_cell *mapped) {
    fault_injection_point();
    auto *st = new then_state{};
    st->mapped = mapped;
    st->record.continuation = &on_source_ready;
    st->record.context = st;
    if (!subscribe_cell(source, &st->record)) on_source_ready(&st->record);
}

}  // namespace weft::detail
