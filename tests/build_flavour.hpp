// Which build the tests are compiled in (ThreadSanitizer, AddressSanitizer, chaos mode).
#pragma once

namespace weft_test {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool k_tsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool k_tsan = true;
#else
inline constexpr bool k_tsan = false;
#endif
#else
inline constexpr bool k_tsan = false;
#endif

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool k_asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool k_asan = true;
#else
inline constexpr bool k_asan = false;
#endif
#else
inline constexpr bool k_asan = false;
#endif

#if defined(WEFT_CHAOS)
inline constexpr bool k_chaos = true;
#else
inline constexpr bool k_chaos = false;
#endif

inline constexpr bool k_sanitized = k_tsan || k_asan;

}  // namespace weft_test
