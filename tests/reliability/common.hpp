// Shared helpers of the reliability suite: size knobs, seeds, sanitizer/chaos detection, figures.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../build_flavour.hpp"
#include "../test_support.hpp"

namespace rel {

using weft_test::k_asan;
using weft_test::k_chaos;
using weft_test::k_sanitized;
using weft_test::k_tsan;

inline const char *build_kind() {
    if (k_chaos) return "chaos";
    if (k_tsan) return "tsan";
    if (k_asan) return "asan";
    return "plain";
}

// An unsigned number from the environment, or `fallback` when unset or malformed.
inline std::uint64_t env_u64(const char *name, std::uint64_t fallback) {
    const char *v = std::getenv(name);
    if (!v || !*v) return fallback;
    char *end = nullptr;
    const unsigned long long n = std::strtoull(v, &end, 10);
    return (end && *end == 0) ? n : fallback;
}

// Picks a size for this build: the ctest run must stay within seconds under every preset.
inline std::uint64_t scaled(std::uint64_t plain, std::uint64_t asan, std::uint64_t tsan, std::uint64_t chaos) {
    if (k_chaos) return chaos;
    if (k_tsan) return tsan;
    if (k_asan) return asan;
    return plain;
}

// WEFT_STRESS_SEED, else the clock; printed so that a failure can be replayed.
inline std::uint64_t seed_from_env(const char *what) {
    std::uint64_t seed = env_u64("WEFT_STRESS_SEED", 0);
    if (seed == 0) seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
    std::fprintf(stderr, "%s: WEFT_STRESS_SEED=%llu\n", what, static_cast<unsigned long long>(seed));
    return seed;
}

inline std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

struct rng {
    std::uint64_t s;
    explicit rng(std::uint64_t seed) : s(splitmix(seed) | 1) {}
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
};

// A measured figure, in one greppable format: RELIABILITY.md quotes these lines.
inline void figure(const std::string &name, double value, const char *unit) {
    std::fprintf(stderr, "RELIABILITY-FIGURE [%s] %s = %.3f %s\n", build_kind(), name.c_str(), value, unit);
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

using weft_test::finishes_within;

}  // namespace rel
