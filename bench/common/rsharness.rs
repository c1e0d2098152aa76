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
    if got != want {
        eprintln!("WRONG ANSWER runtime=tokio problem={} got={} want={}", problem, got, want);
        std::process::exit(1);
    }
}

/// Milliseconds since `start`.
pub fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Prints the one machine-readable line; `extra` is appended as-is (" key=value ...").
pub fn print(problem: &str, n: u64, ms: f64, extra: &str) {
    println!("RESULT runtime=tokio problem={} n={} ms={:.3}{}", problem, n, ms, extra);
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
