//! timers on tokio: n tasks spawned from the main task, task i sleeps timer_duration_us(i) (0-100 ms, the same in
//! every language) from when it starts, with tokio::time::sleep_until; each records how late it woke and returns
//! its index. ms is the time until every task has woken; late_* are the percentiles of the lateness.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Duration;
use tokio::time::Instant;

/// Microseconds from `deadline` to now; negative when now is before it.
fn late_us(deadline: Instant) -> f64 {
    let now = Instant::now();
    match now.checked_duration_since(deadline) {
        Some(late) => late.as_secs_f64() * 1e6,
        None => -(deadline - now).as_secs_f64() * 1e6,
    }
}

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 1_000_000);
    let want = harness::arg(2, 0);
    let max_us = harness::arg(3, 100_000);
    let seed = harness::arg(4, 0x9e3779b97f4a7c15);
    tokio::spawn(async {}).await.unwrap();

    let start = std::time::Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|i| {
            tokio::spawn(async move {
                let deadline =
                    Instant::now() + Duration::from_micros(harness::timer_duration_us(seed, i, max_us));
                tokio::time::sleep_until(deadline).await;
                (i, late_us(deadline))
            })
        })
        .collect();
    let mut sum = 0u64;
    let mut late = Vec::with_capacity(n as usize);
    for handle in handles {
        let (i, l) = handle.await.unwrap();
        sum += i;
        late.push(l);
    }
    let ms = harness::ms_since(start);

    harness::check("timers", sum, want);
    harness::check_not_early("tokio", "timers", &late);
    harness::print("timers", n, ms, &harness::lateness_us(late));
}
