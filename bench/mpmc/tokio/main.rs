//! mpmc on tokio: `senders` tasks send 0..n-1 between them over one tokio::sync::mpsc channel of the given capacity
//! (2^64-1: `unbounded_channel`), `receivers` tasks receive until every sender is gone; the sum of what they received
//! must be n(n-1)/2. tokio's mpsc has a single receiver: the receiving tasks share it behind a tokio::sync::Mutex,
//! each taking the lock for one receive.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

// The receiving end the receivers share, bounded or not.
enum Rx {
    Bounded(mpsc::Receiver<u64>),
    Unbounded(mpsc::UnboundedReceiver<u64>),
}

impl Rx {
    async fn recv(&mut self) -> Option<u64> {
        match self {
            Rx::Bounded(rx) => rx.recv().await,
            Rx::Unbounded(rx) => rx.recv().await,
        }
    }
}

fn receive(rx: Arc<Mutex<Rx>>) -> JoinHandle<(u64, u64)> {
    tokio::spawn(async move {
        let (mut sum, mut count) = (0u64, 0u64);
        loop {
            let next = rx.lock().await.recv().await;
            match next {
                Some(v) => {
                    sum += v;
                    count += 1;
                }
                None => return (sum, count),
            }
        }
    })
}

#[tokio::main]
async fn main() {
    let n = harness::arg(1, 10_000_000);
    let want = harness::arg(2, 0);
    let capacity = harness::arg(3, 64);
    let senders = harness::arg(4, 4);
    let receivers = harness::arg(5, 4);
    tokio::spawn(async {}).await.unwrap();

    let start = Instant::now();
    let mut sending = Vec::new();
    let rx = if capacity == u64::MAX {
        let (tx, rx) = mpsc::unbounded_channel::<u64>();
        for s in 0..senders {
            let tx = tx.clone();
            sending.push(tokio::spawn(async move {
                let mut v = s;
                while v < n {
                    tx.send(v).unwrap();
                    v += senders;
                }
            }));
        }
        Rx::Unbounded(rx)
    } else {
        let (tx, rx) = mpsc::channel::<u64>(capacity as usize);
        for s in 0..senders {
            let tx = tx.clone();
            sending.push(tokio::spawn(async move {
                let mut v = s;
                while v < n {
                    tx.send(v).await.unwrap();
                    v += senders;
                }
            }));
        }
        Rx::Bounded(rx)
    };
    // The channel closes once the last sender's clone is dropped, when its task ends.
    let rx = Arc::new(Mutex::new(rx));
    let receiving: Vec<_> = (0..receivers).map(|_| receive(rx.clone())).collect();
    for handle in sending {
        handle.await.unwrap();
    }
    let (mut sum, mut count) = (0u64, 0u64);
    for handle in receiving {
        let (s, c) = handle.await.unwrap();
        sum += s;
        count += c;
    }
    let ms = harness::ms_since(start);

    harness::check("mpmc", count, n);
    harness::check("mpmc", sum, want);
    harness::print("mpmc", n, ms, &format!(" ns_per_op={:.1}", ms * 1e6 / n as f64));
}
