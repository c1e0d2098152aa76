// WEFT_CXX_API: marks the C++ API's compiled functions and classes as exported from a shared weft.
//
// The library is built with hidden visibility, so that a shared libweft exports only what is
// marked. The C ABI is marked WEFT_API in weft.h; this marks the non-template C++ entry points
// that weft.hpp's templates and inline functions call (weft::detail included), so a C++ program
// links against the shared library as it does against the static one.
#pragma once

#if defined(_WIN32)
#define WEFT_CXX_API
#else
#define WEFT_CXX_API __attribute__((visibility("default")))
#endif
