// Futures built from other futures (when_all, when_any, then); see combinators.cpp.
#pragma once

#include <weft/bits/task_cell.hpp>

#include <cstddef>

namespace weft::detail {

// Submits `mapped` (a cell built with k_claimed set, not yet submitted) once `source` is done,
// clearing k_claimed first. Throws std::bad_alloc, and then has done nothing: the caller still owns
// both cells.
void submit_when_ready(task_cell *source, task_cell *mapped);

}  // namespace weft::detail
