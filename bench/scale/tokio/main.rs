//! scale on tokio: tokio::spawn N tasks computing i*i from the main thread, keep the JoinHandles, await in order.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Instant;

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 10_000);
    let want = harness::arg(2, 0);
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let mut handles = Vec::with_capacity(n as usize);
    for i in 0..n {
        handles.push(tokio::spawn(async move { i.wrapping_mul(i) }));
    }
    let mut sum = 0u64;
    for handle in handles {
        sum = sum.wrapping_add(handle.await.unwrap());
    }
    let ms = harness::ms_since(start);

    harness::check("scale", sum, want);
    harness::print("scale", n, ms, "");
}
