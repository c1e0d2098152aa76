//! idle on tokio: after a burst of tasks, the CPU time the whole process burns while the main thread sleeps.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let burst = harness::arg(1, 100_000);
    let want = harness::arg(2, 0);
    let sleep = Duration::from_millis(harness::arg(3, 2_000));

    let start = Instant::now();
    let mut handles = Vec::with_capacity(burst as usize);
    for i in 0..burst {
        handles.push(tokio::spawn(async move { i.wrapping_mul(i) }));
    }
    let mut sum = 0u64;
    for handle in handles {
        sum = sum.wrapping_add(handle.await.unwrap());
    }
    let ms = harness::ms_since(start);
    harness::check("idle", sum, want);

    let before = harness::process_cpu_ms();
    std::thread::sleep(sleep);
    let idle_cpu_ms = harness::process_cpu_ms() - before;

    harness::print("idle", burst, ms, &format!(" cpu_ms={:.3}", idle_cpu_ms));
}
