//! pipeline with crossbeam-channel: a source OS thread sends 0..n-1, `stages` threads in a chain each receive, add
//! one and send on, a sink thread sums what reaches it; stages+1 `bounded(capacity)` channels. The sum must be
//! n(n-1)/2 + stages*n.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Instant;

fn main() {
    let n = harness::arg(1, 1_000_000);
    let want = harness::arg(2, 0);
    let stages = harness::arg(3, 8);
    let capacity = harness::arg(4, 64) as usize;

    let start = Instant::now();
    let (source_tx, mut rx) = crossbeam_channel::bounded::<u64>(capacity);
    let mut running = vec![std::thread::spawn(move || {
        for v in 0..n {
            source_tx.send(v).unwrap();
        }
    })];
    for _ in 0..stages {
        let (tx, next_rx) = crossbeam_channel::bounded::<u64>(capacity);
        let input = rx;
        running.push(std::thread::spawn(move || {
            for v in input.iter() {
                tx.send(v + 1).unwrap();
            }
        }));
        rx = next_rx;
    }
    let sink = std::thread::spawn(move || rx.iter().sum::<u64>());
    let result = sink.join().unwrap();
    for handle in running {
        handle.join().unwrap();
    }
    let ms = harness::ms_since(start);

    harness::check_as("crossbeam", "pipeline", result, want);
    harness::print_as("crossbeam", "pipeline", n, ms, &format!(" ns_per_op={:.1}", ms * 1e6 / n as f64));
}
