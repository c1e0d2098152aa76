//! pingpong on tokio: two tasks hand a counter back and forth through two mpsc channels of capacity 1, n round
//! trips; each hop adds one, so the counter ends at 2n.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Instant;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 1_000_000);
    let want = harness::arg(2, 0);
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let (ping_tx, mut ping_rx) = mpsc::channel::<u64>(1);
    let (pong_tx, mut pong_rx) = mpsc::channel::<u64>(1);
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

    harness::check("pingpong", result, want);
    harness::print("pingpong", n, ms, &format!(" ns_per_op={:.1}", ms * 1e6 / n as f64));
}
