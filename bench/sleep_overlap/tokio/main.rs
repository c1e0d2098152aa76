//! sleep_overlap on tokio: n tasks each sleep sleep_ms at once with tokio::time::sleep; the whole should take about
//! sleep_ms. Each checks it slept at least that long and returns its index.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Duration;
use tokio::time::Instant;

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 64);
    let want = harness::arg(2, 0);
    let sleep_ms = harness::arg(3, 100);
    tokio::spawn(async {}).await.unwrap();

    let start = std::time::Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|i| {
            tokio::spawn(async move {
                let deadline = Instant::now() + Duration::from_millis(sleep_ms);
                tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
                let now = Instant::now();
                let late = match now.checked_duration_since(deadline) {
                    Some(late) => late.as_secs_f64() * 1e6,
                    None => -(deadline - now).as_secs_f64() * 1e6,
                };
                (i, late)
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

    harness::check("sleep_overlap", sum, want);
    harness::check_not_early("tokio", "sleep_overlap", &late);
    harness::print("sleep_overlap", n, ms, &harness::lateness_us(late));
}
