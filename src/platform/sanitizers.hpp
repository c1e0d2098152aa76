// Which sanitizer the runtime is built with, and the fiber annotations each one needs.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#if defined(WEFT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(WEFT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace weft::detail {
#if defined(WEFT_ASAN)
inline constexpr bool k_asan_build = true;
#else
inline constexpr bool k_asan_build = false;
#endif
#if defined(WEFT_TSAN)
inline constexpr bool k_tsan_build = true;
#else
inline constexpr bool k_tsan_build = false;
#endif
}  // namespace weft::detail
