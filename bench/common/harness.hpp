// Helpers for the C++ benchmark programs: arguments, thread counts, clocks, answer checks and the RESULT line.
#pragma once

#include "config.hpp"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bench {

// argv[index] as an unsigned number, or `fallback` when it is absent; exits on garbage.
inline std::uint64_t arg_or(int argc, char **argv, int index, std::uint64_t fallback) {
    if (argc <= index) return fallback;
    char *end = nullptr;
    const unsigned long long v = std::strtoull(argv[index], &end, 10);
    if (end == argv[index] || *end != '\0') {
        std::fprintf(stderr, "bad argument '%s'\n", argv[index]);
        std::exit(2);
    }
    return v;
}

// The expected answer for a scale-style size, from config.hpp; exits when N is not in the table.
inline std::uint64_t scale_answer(std::uint64_t n) {
    for (const sized_answer &s : k_scale)
        if (s.n == n) return s.answer;
    std::fprintf(stderr, "no expected answer for n=%" PRIu64 " in config.hpp\n", n);
    std::exit(2);
}

// The leaf count for skynet from argv[1]; exits unless it is a power of the fan-out.
inline std::uint64_t skynet_leaves(int argc, char **argv) {
    const std::uint64_t leaves = arg_or(argc, argv, 1, k_skynet.n);
    std::uint64_t p = 1;
    while (p < leaves) p *= k_skynet_fanout;
    if (p != leaves) {
        std::fprintf(stderr, "skynet needs a power of %" PRIu64 " leaves\n", k_skynet_fanout);
        std::exit(2);
    }
    return leaves;
}

// A thread count from the environment variable `name`, else k_threads.
inline unsigned threads_from_env(const char *name) {
    const char *v = std::getenv(name);
    if (!v || !*v) return k_threads;
    const long n = std::strtol(v, nullptr, 10);
    return n > 0 ? static_cast<unsigned>(n) : k_threads;
}

using clock = std::chrono::steady_clock;

inline double ms_since(clock::time_point start) {
    return std::chrono::duration<double, std::milli>(clock::now() - start).count();
}

// User plus system CPU time the whole process has used, in milliseconds.
inline double process_cpu_ms() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const auto ms = [](const timeval &t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
    return ms(ru.ru_utime) + ms(ru.ru_stime);
}

// The process's resident set size now, from /proc/self/statm, in KiB.
inline double resident_kib() {
    std::FILE *f = std::fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    const bool ok = f && std::fscanf(f, "%llu %llu", &size, &resident) == 2;
    if (f) std::fclose(f);
    if (!ok) {
        std::fprintf(stderr, "cannot read /proc/self/statm\n");
        std::exit(2);
    }
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1024.0;
}

// Exits non-zero, loudly, when a program computed the wrong answer.
inline void check_answer(const char *runtime, const char *problem, std::uint64_t got, std::uint64_t want) {
    if (got == want) return;
    std::fprintf(stderr, "WRONG ANSWER runtime=%s problem=%s got=%" PRIu64 " want=%" PRIu64 "\n", runtime, problem,
                 got, want);
    std::exit(1);
}

// Prints the one machine-readable line; `extra` is appended as-is (" key=value ...").
inline void print_result(const char *runtime, const char *problem, std::uint64_t n, double ms,
                         const std::string &extra = {}) {
    std::printf("RESULT runtime=%s problem=%s n=%" PRIu64 " ms=%.3f%s\n", runtime, problem, n, ms, extra.c_str());
    std::fflush(stdout);
}

// p50 and p99 of latency samples in microseconds, as " p50_us=... p99_us=...".
inline std::string percentiles_us(std::vector<double> samples_us) {
    std::sort(samples_us.begin(), samples_us.end());
    const auto at = [&](double q) { return samples_us[static_cast<std::size_t>(q * (samples_us.size() - 1))]; };
    char buf[96];
    std::snprintf(buf, sizeof buf, " p50_us=%.2f p99_us=%.2f", at(0.50), at(0.99));
    return buf;
}

// p50, p99 and max of how late timers woke, from samples in microseconds, as " late_p50_us=... late_p99_us=...".
inline std::string lateness_us(std::vector<double> samples_us) {
    std::sort(samples_us.begin(), samples_us.end());
    const auto at = [&](double q) { return samples_us[static_cast<std::size_t>(q * (samples_us.size() - 1))]; };
    char buf[128];
    std::snprintf(buf, sizeof buf, " late_p50_us=%.2f late_p99_us=%.2f late_max_us=%.2f", at(0.50), at(0.99),
                  samples_us.back());
    return buf;
}

// Exits non-zero, loudly, when a timer woke before its deadline (a negative lateness).
inline void check_not_early(const char *runtime, const char *problem, const std::vector<double> &late_us) {
    const auto earliest = std::min_element(late_us.begin(), late_us.end());
    if (earliest == late_us.end() || *earliest >= 0) return;
    std::fprintf(stderr, "WRONG ANSWER runtime=%s problem=%s: task %zu woke %.3f us before its deadline\n", runtime,
                 problem, static_cast<std::size_t>(earliest - late_us.begin()), -*earliest);
    std::exit(1);
}

// Sleeps the calling thread (used between wake samples and during the idle window).
inline void sleep_us(std::uint64_t us) {
    timespec ts{static_cast<time_t>(us / 1'000'000), static_cast<long>(us % 1'000'000) * 1000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

}  // namespace bench
