//! wake on tokio: after an idle gap, the time from tokio::spawn (read on the main thread) to the task starting.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let samples = harness::arg(1, 10_000);
    let gap = Duration::from_micros(harness::arg(2, 1_000));
    tokio::spawn(async {}).await.unwrap();

    let mut latencies_us = Vec::with_capacity(samples as usize);
    // The sum of the sample indices the tasks return: proof that every task ran.
    let mut ran = 0u64;
    let start = Instant::now();
    for s in 0..samples {
        // The main thread only drives block_on, so sleeping it leaves the workers alone to park.
        std::thread::sleep(gap);
        let spawned = Instant::now();
        let (started, index) = tokio::spawn(async move { (Instant::now(), s) }).await.unwrap();
        ran += index;
        latencies_us.push(started.duration_since(spawned).as_secs_f64() * 1e6);
    }
    let ms = harness::ms_since(start);

    harness::check("wake", ran, samples * samples.saturating_sub(1) / 2);
    harness::print("wake", samples, ms, &harness::percentiles_us(latencies_us));
}
