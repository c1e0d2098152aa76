//! fib on tokio: each call tokio::spawns a boxed fib(n-1), awaits fib(n-2) inline, then awaits the JoinHandle.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

fn fib(n: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move {
        if n < 2 {
            return n;
        }
        let a = tokio::spawn(fib(n - 1));
        let b = fib(n - 2).await;
        b + a.await.unwrap()
    })
}

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 30);
    let want = harness::arg(2, 832_040);
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let result = tokio::spawn(fib(n)).await.unwrap();
    let ms = harness::ms_since(start);

    harness::check("fib", result, want);
    harness::print("fib", n, ms, "");
}
