//! skynet on tokio: each node tokio::spawns its 10 children and sums their JoinHandles.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

const FANOUT: u64 = 10;

fn skynet(offset: u64, size: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move {
        if size == 1 {
            return offset;
        }
        let child = size / FANOUT;
        let handles: Vec<_> = (0..FANOUT).map(|i| tokio::spawn(skynet(offset + i * child, child))).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        sum
    })
}

#[tokio::main]
async fn main() {
    let leaves = harness::arg(1, 1_000_000);
    let want = harness::arg(2, 499_999_500_000);
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let result = tokio::spawn(skynet(0, leaves)).await.unwrap();
    let ms = harness::ms_since(start);

    harness::check("skynet", result, want);
    harness::print("skynet", leaves, ms, "");
}
