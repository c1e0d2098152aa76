//! Arguments, answer checks and the RESULT line for the tokio benchmark programs.

use std::time::Instant;

/// `std::env::args()[index]` as a number, or `fallback` when it is absent; exits on garbage.
pub fn arg(index: usize, fallback: u64) -> u64 {
    match std::env::args().nth(index) {
        None => fallback,
        Some(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("bad argument '{}'", text);
            std::process::exit(2)
        }),
    }
}

/// Exits non-zero, loudly, when a program computed the wrong answer.
#[allow(dead_code)]
pub fn check(problem: &str, got: u64, want: u64) {
    check_as("tokio", problem, got, want)
}

/// As `check`, for a program of another Rust peer (crossbeam).
#[allow(dead_code)]
pub fn check_as(runtime: &str, problem: &str, got: u64, want: u64) {
    if got != want {
        eprintln!("WRONG ANSWER runtime={} problem={} got={} want={}", runtime, problem, got, want);
        std::process::exit(1);
    }
}

/// Milliseconds since `start`.
pub fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Prints the one machine-readable line; `extra` is appended as-is (" key=value ...").
#[allow(dead_code)]
pub fn print(problem: &str, n: u64, ms: f64, extra: &str) {
    print_as("tokio", problem, n, ms, extra)
}

/// As `print`, for a program of another Rust peer (crossbeam).
pub fn print_as(runtime: &str, problem: &str, n: u64, ms: f64, extra: &str) {
    println!("RESULT runtime={} problem={} n={} ms={:.3}{}", runtime, problem, n, ms, extra);
}

/// The p50 and p99 of latency samples in microseconds, formatted as extra fields.
#[allow(dead_code)]
pub fn percentiles_us(mut samples_us: Vec<f64>) -> String {
    samples_us.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| samples_us[(q * (samples_us.len() - 1) as f64) as usize];
    format!(" p50_us={:.2} p99_us={:.2}", at(0.50), at(0.99))
}

/// User plus system CPU time the whole process has used, in milliseconds.
#[allow(dead_code)]
pub fn process_cpu_ms() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        eprintln!("getrusage failed");
        std::process::exit(2);
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// The process's resident set size now, from /proc/self/statm, in KiB.
#[allow(dead_code)]
pub fn resident_kib() -> f64 {
    let text = std::fs::read_to_string("/proc/self/statm").unwrap_or_else(|e| {
        eprintln!("read /proc/self/statm: {}", e);
        std::process::exit(2)
    });
    let resident: u64 = text.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        eprintln!("cannot parse /proc/self/statm");
        std::process::exit(2)
    });
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    (resident * page) as f64 / 1024.0
}

/// The p50, p99 and max of how late timers woke, from samples in microseconds, formatted as extra fields.
#[allow(dead_code)]
pub fn lateness_us(mut samples_us: Vec<f64>) -> String {
    samples_us.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| samples_us[(q * (samples_us.len() - 1) as f64) as usize];
    format!(
        " late_p50_us={:.2} late_p99_us={:.2} late_max_us={:.2}",
        at(0.50),
        at(0.99),
        samples_us[samples_us.len() - 1]
    )
}

/// Exits non-zero, loudly, when a timer woke before its deadline (a negative lateness).
#[allow(dead_code)]
pub fn check_not_early(runtime: &str, problem: &str, late_us: &[f64]) {
    if let Some((i, l)) = late_us.iter().enumerate().find(|(_, l)| **l < 0.0) {
        eprintln!(
            "WRONG ANSWER runtime={} problem={}: task {} woke {:.3} us before its deadline",
            runtime, problem, i, -l
        );
        std::process::exit(1);
    }
}

/// splitmix64 of seed + i reduced to 0..max_us: the same durations as config.hpp's timer_duration_us.
#[allow(dead_code)]
pub fn timer_duration_us(seed: u64, i: u64, max_us: u64) -> u64 {
    let mut z = seed.wrapping_add(i.wrapping_mul(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^= z >> 31;
    z % (max_us + 1)
}
