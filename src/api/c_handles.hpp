// The C ABI's future handles: how a weft_future* names a task cell ("Checked handles" in c_api.cpp).
#pragma once

#include <weft/bits/task_cell.hpp>
#include <weft/weft.h>

namespace weft::detail {

// The handle the C ABI hands out for a cell: the cell's address, tagged in checked builds.
weft_future *c_handle_of(task_cell *cell) noexcept;
// The cell behind a non-NULL handle; in checked builds a released handle aborts naming `function`.
task_cell *c_cell_of(const weft_future *f, const char *function) noexcept;

}  // namespace weft::detail
