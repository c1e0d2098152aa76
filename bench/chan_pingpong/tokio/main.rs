//! chan_pingpong on tokio: two tasks hand a counter back and forth through two tokio::sync::mpsc channels, n round
//! trips; each hop adds one, so the counter ends at 2n. tokio's mpsc has no capacity 0 (no rendezvous channel):
//! the rendezvous case runs with capacity 1, as the capacity-1 case does.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Instant;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 1_000_000);
    let want = harness::arg(2, 0);
    let capacity = harness::arg(3, 0).max(1) as usize;
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(capacity);
    let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(capacity);
    let echo = tokio::spawn(async move {
        while let Some(v) = ping_rx.recv().await {
            pong_tx.send(v + 1).await.unwrap();
        }
    });
    let server = tokio::spawn(async move {
        let mut v = 0u64;
        for _ in 0..n {
            ping_tx.send(v).await.unwrap();
            v = pong_rx.recv().await.unwrap() + 1;
        }
        v
    });
    let result = server.await.unwrap();
    echo.await.unwrap();
    let ms = harness::ms_since(start);

    harness::check("chan_pingpong", result, want);
    harness::print("chan_pingpong", n, ms, &format!(" ns_per_op={:.1}", ms * 1e6 / n as f64));
}
