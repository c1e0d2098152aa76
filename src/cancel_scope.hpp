// Cancellation scopes: which tasks a cancel reaches, and what "this task is cancelled" means.
//
// Protocol "Cancellation scopes". A task is cancelled when its own cell carries k_cancelled (its
// future's cancel()) or when the scope it runs in is. A scope is what a task_group's tasks run in;
// it is created with the group and names two parents, both fixed at creation: the task that created
// the group (its cell) and the scope that task ran in. So the scopes form a tree that follows
// structured concurrency: cancelling a task or a group reaches the tasks of every group created
// below it, grandchildren included, and nothing else. A plain spawn (weft::spawn, weft_spawn)
// starts a new root: its task is not in the spawner's scope, as with tokio::spawn or a Go `go`
// statement; children that must be cancelled together belong in a task_group.
// Cancellation is pulled, not pushed: nothing is written into the children when a scope is
// cancelled; a task asks (cancel_requested) and walks its chain of scopes up to the root, reading
// one flag per scope and one state word per parent task. Parents are kept alive by the references
// a scope holds (one on its parent scope, one on its parent task's cell), so a group that outlives
// the task that created it still walks valid memory. The running task's scope is a field of its
// thread context (t_context.scope), saved and restored with the task's fiber; a task's cell does
// not hold it, so a spawn costs nothing for cancellation.
// Cancelling writes the flag (or k_cancelled) and then wakes every suspended wait that now finds
// its task cancelled (see "Cancelling a wait", suspend/cancellable_wait.hpp). A task not yet
// started when its cell is cancelled never runs: whoever claims it finds k_cancelled in the
// claim's read-modify-write and completes it as cancelled instead (task_cell.cpp). A group's task
// not yet started when its scope is cancelled runs only the group's wrapper, which finds the scope
// cancelled (scope_enter) and skips the user's callable.
// Rejected: a scope pointer in every cell with a reference per spawn (an atomic read-modify-write
// on every spawn of fork-join code, for a feature few spawns use), and pushing cancellation down
// into a list of children kept per scope (a lock on every spawn into a group and on every
// completion, to serve a rare event).
#pragma once

#include "sync.hpp"

#include <weft/bits/task_cell.hpp>

#include <cstdint>

namespace weft::detail {

struct cancel_scope {
    // Set once, by scope_cancel; read by every task under the scope and by cancel walks.
    atomic<bool> cancelled{false};
    // References: the group's, and one per child scope. Written by every holder's release.
    atomic<std::uint32_t> refs{1};
    task_cell *const parent_task;     // the task that created the group (a reference held), or null
    cancel_scope *const parent;       // the scope that task ran in (a reference held), or null

    cancel_scope(task_cell *task, cancel_scope *scope) noexcept : parent_task(task), parent(scope) {}
};

// Whether a task running `cell` in `scope` is cancelled: see "Cancellation scopes". Both may be
// null. Acquire loads: what the canceller wrote before cancelling is visible to a task that sees it.
bool cancel_requested(const task_cell *cell, const cancel_scope *scope) noexcept;

}  // namespace weft::detail
