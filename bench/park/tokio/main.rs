//! park on tokio: n tasks each wait for one watch channel to change; one send resumes them all. ms is the time from
//! the send until the last task has resumed; kib_per_task is the resident memory the parked tasks added.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 100_000);
    let want = harness::arg(2, 0);
    let settle = Duration::from_millis(harness::arg(3, 10));
    tokio::spawn(async {}).await.unwrap();

    let (gate, watched) = tokio::sync::watch::channel(false);
    let waiting = Arc::new(AtomicU64::new(0));
    let left = Arc::new(AtomicU64::new(n));
    let sum = Arc::new(AtomicU64::new(0));
    let all_resumed = Arc::new(tokio::sync::Notify::new());
    let before = harness::resident_kib();
    for i in 0..n {
        // A clone made before the send sees the send as a change, whenever its task first waits.
        let mut watched = watched.clone();
        let (waiting, left, sum, all_resumed) = (waiting.clone(), left.clone(), sum.clone(), all_resumed.clone());
        tokio::spawn(async move {
            waiting.fetch_add(1, Ordering::Relaxed);
            watched.changed().await.unwrap();
            sum.fetch_add(i, Ordering::Relaxed);
            if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                all_resumed.notify_one();
            }
        });
    }
    while waiting.load(Ordering::Relaxed) < n {
        std::thread::sleep(Duration::from_millis(1));
    }
    // The last tasks to say they are about to wait get a moment to reach the wait.
    std::thread::sleep(settle);
    let parked = harness::resident_kib();

    let start = Instant::now();
    gate.send(true).unwrap();
    all_resumed.notified().await;
    let ms = harness::ms_since(start);

    harness::check("park", sum.load(Ordering::Relaxed), want);
    harness::print("park", n, ms, &format!(" kib_per_task={:.3}", (parked - before) / n as f64));
}
