//! mpmc with crossbeam-channel: `senders` OS threads send 0..n-1 between them over one channel (`bounded(capacity)`,
//! or `unbounded()` for capacity 2^64-1), `receivers` threads receive until every sender is gone; the sum of what
//! they received must be n(n-1)/2.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Instant;

fn main() {
    let n = harness::arg(1, 10_000_000);
    let want = harness::arg(2, 0);
    let capacity = harness::arg(3, 64);
    let senders = harness::arg(4, 4);
    let receivers = harness::arg(5, 4);

    let start = Instant::now();
    let (tx, rx) = if capacity == u64::MAX {
        crossbeam_channel::unbounded::<u64>()
    } else {
        crossbeam_channel::bounded::<u64>(capacity as usize)
    };
    let receiving: Vec<_> = (0..receivers)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || {
                let (mut sum, mut count) = (0u64, 0u64);
                for v in rx.iter() {
                    sum += v;
                    count += 1;
                }
                (sum, count)
            })
        })
        .collect();
    let sending: Vec<_> = (0..senders)
        .map(|s| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut v = s;
                while v < n {
                    tx.send(v).unwrap();
                    v += senders;
                }
            })
        })
        .collect();
    // The channel disconnects once every Sender is gone: the threads' clones and this one.
    drop(tx);
    for handle in sending {
        handle.join().unwrap();
    }
    let (mut sum, mut count) = (0u64, 0u64);
    for handle in receiving {
        let (s, c) = handle.join().unwrap();
        sum += s;
        count += c;
    }
    let ms = harness::ms_since(start);

    harness::check_as("crossbeam", "mpmc", count, n);
    harness::check_as("crossbeam", "mpmc", sum, want);
    harness::print_as("crossbeam", "mpmc", n, ms, &format!(" ns_per_op={:.1}", ms * 1e6 / n as f64));
}
