//! scale_inside on tokio: one spawned task runs the scale loop (tokio::spawn N tasks computing i*i, keep the
//! JoinHandles, await them in order) on a worker, so every spawn comes from inside the runtime.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Instant;

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 10_000);
    let want = harness::arg(2, 0);
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let sum = tokio::spawn(async move {
        let mut handles = Vec::with_capacity(n as usize);
        for i in 0..n {
            handles.push(tokio::spawn(async move { i.wrapping_mul(i) }));
        }
        let mut sum = 0u64;
        for handle in handles {
            sum = sum.wrapping_add(handle.await.unwrap());
        }
        sum
    })
    .await
    .unwrap();
    let ms = harness::ms_since(start);

    harness::check("scale_inside", sum, want);
    harness::print("scale_inside", n, ms, "");
}
