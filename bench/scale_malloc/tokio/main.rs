//! scale_malloc on tokio: each task returns its i*i in a Box; the awaiter reads it and drops the Box.

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
        handles.push(tokio::spawn(async move { Box::new(i.wrapping_mul(i)) }));
    }
    let mut sum = 0u64;
    for handle in handles {
        let boxed: Box<u64> = handle.await.unwrap();
        sum = sum.wrapping_add(*boxed);
    }
    let ms = harness::ms_since(start);

    harness::check("scale_malloc", sum, want);
    harness::print("scale_malloc", n, ms, "");
}
