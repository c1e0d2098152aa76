// The soak driver behind scripts/soak: runs the stress mix in rounds for N minutes, reporting rate and RSS.
#include "stress_mix.hpp"

#include <weft/weft.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace {

long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return -1;
}

}  // namespace

int main(int argc, char **argv) {
    const double minutes = argc > 1 ? std::atof(argv[1]) : 1.0;
    const std::uint64_t round_tasks = rel::env_u64("WEFT_STRESS_TASKS", 200000);
    const std::uint64_t interval_s = rel::env_u64("WEFT_SOAK_INTERVAL", 10);
    std::uint64_t seed = rel::seed_from_env("weft soak");
    const auto t0 = std::chrono::steady_clock::now();
    const auto end = t0 + std::chrono::duration<double>(minutes * 60.0);
    // Warm-up: the first fifth of the run, at most two minutes; drift is measured after it.
    const double warmup_s = std::min(120.0, minutes * 60.0 / 5.0);

    std::atomic<std::uint64_t> checked{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> current_seed{seed};
    std::mutex mutex;
    std::condition_variable cv;
    long rss_after_warmup = -1, rss_max_after_warmup = -1, rss_last = -1;

    std::thread reporter([&] {
        std::uint64_t last_checked = 0;
        auto last = std::chrono::steady_clock::now();
        auto stalled_since = last;
        std::unique_lock lock(mutex);
        for (;;) {
            const bool stop = cv.wait_for(lock, std::chrono::seconds(interval_s), [&] { return done.load(); });
            const auto now = std::chrono::steady_clock::now();
            const std::uint64_t c = checked.load();
            const double dt = std::chrono::duration<double>(now - last).count();
            const double elapsed = std::chrono::duration<double>(now - t0).count();
            const long rss = rss_kib();
            rss_last = rss;
            if (elapsed >= warmup_s) {
                if (rss_after_warmup < 0) rss_after_warmup = rss;
                if (rss > rss_max_after_warmup) rss_max_after_warmup = rss;
            }
            std::printf("soak t=%6.0fs  tasks/s=%10.0f  rss=%7ld KiB  checked=%llu  failures=%llu\n", elapsed,
                        dt > 0 ? (c - last_checked) / dt : 0.0, rss, static_cast<unsigned long long>(c),
                        static_cast<unsigned long long>(failures.load()));
            std::fflush(stdout);
            if (c != last_checked) stalled_since = now;
            last_checked = c;
            last = now;
            if (stop) return;
            // A round takes milliseconds: a minute without one finishing is a hang.
            if (std::chrono::duration<double>(now - stalled_since).count() >= 60.0) {
                std::printf("soak HANG: no round finished for 60 s (WEFT_STRESS_SEED=%llu of the current round)\n",
                            static_cast<unsigned long long>(current_seed.load()));
                std::fflush(stdout);
                std::_Exit(3);
            }
        }
    });

    std::uint64_t rounds = 0;
    while (std::chrono::steady_clock::now() < end) {
        rel::mix_params p;
        p.tasks = round_tasks;
        p.seed = seed;
        current_seed.store(seed);
        const rel::mix_report rep = rel::run_mix(p);
        checked.fetch_add(rep.tasks);
        if (rep.failures) {
            failures.fetch_add(rep.failures);
            std::printf("soak FAILURE in round %llu (WEFT_STRESS_SEED=%llu): %s\n", static_cast<unsigned long long>(rounds),
                        static_cast<unsigned long long>(seed), rep.first_failure.c_str());
        }
        seed = rel::splitmix(seed);
        ++rounds;
    }
    {
        std::lock_guard lock(mutex);
        done = true;
    }
    cv.notify_all();
    reporter.join();
    const double total_s = rel::seconds_since(t0);
    std::printf("soak done: %.1f min, %llu rounds, %llu tasks checked, %.0f tasks/s, failures=%llu\n", total_s / 60,
                static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(checked.load()),
                checked.load() / total_s, static_cast<unsigned long long>(failures.load()));
    std::printf("soak rss: after warm-up (%.0f s) %ld KiB, at end %ld KiB, max after warm-up %ld KiB, drift %+ld KiB\n",
                warmup_s, rss_after_warmup, rss_last, rss_max_after_warmup, rss_last - rss_after_warmup);
    return failures.load() ? 1 : 0;
}
