//! pipeline on tokio: a source task sends 0..n-1, `stages` tasks in a chain each receive, add one and send on, a
//! sink task sums what reaches it; stages+1 tokio::sync::mpsc channels of the given capacity. The sum must be
//! n(n-1)/2 + stages*n.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Instant;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 1_000_000);
    let want = harness::arg(2, 0);
    let stages = harness::arg(3, 8);
    let capacity = harness::arg(4, 64).max(1) as usize;
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let (source_tx, mut rx) = mpsc::channel::<u64>(capacity);
    let mut running = vec![tokio::spawn(async move {
        for v in 0..n {
            source_tx.send(v).await.unwrap();
        }
    })];
    for _ in 0..stages {
        let (tx, next_rx) = mpsc::channel::<u64>(capacity);
        let mut input = rx;
        running.push(tokio::spawn(async move {
            while let Some(v) = input.recv().await {
                tx.send(v + 1).await.unwrap();
            }
        }));
        rx = next_rx;
    }
    let sink = tokio::spawn(async move {
        let mut sum = 0u64;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        sum
    });
    let result = sink.await.unwrap();
    for handle in running {
        handle.await.unwrap();
    }
    let ms = harness::ms_since(start);

    harness::check("pipeline", result, want);
    harness::print("pipeline", n, ms, &format!(" ns_per_op={:.1}", ms * 1e6 / n as f64));
}
