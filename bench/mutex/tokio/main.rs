//! mutex on tokio: `tasks` tasks each lock one tokio::sync::Mutex n times around `*counter += 1`.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 1_000_000);
    let want = harness::arg(2, 0);
    let tasks = harness::arg(3, 4);
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let counter = Arc::new(tokio::sync::Mutex::new(0u64));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let counter = counter.clone();
            tokio::spawn(async move {
                for _ in 0..n {
                    *counter.lock().await += 1;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    let result = *counter.lock().await;
    let ms = harness::ms_since(start);

    harness::check("mutex", result, want);
    harness::print("mutex", n, ms, &format!(" ns_per_op={:.1}", ms * 1e6 / (n * tasks) as f64));
}
