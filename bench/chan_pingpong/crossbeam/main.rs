//! chan_pingpong with crossbeam-channel: two OS threads hand a counter back and forth through two channels of the
//! given capacity (`bounded(0)` is a rendezvous channel), n round trips; the counter ends at 2n.

#[path = "../../common/rsharness.rs"]
mod harness;

use std::time::Instant;

fn main() {
    let n = harness::arg(1, 1_000_000);
    let want = harness::arg(2, 0);
    let capacity = harness::arg(3, 0) as usize;

    let start = Instant::now();
    let (ping_tx, ping_rx) = crossbeam_channel::bounded::<u64>(capacity);
    let (pong_tx, pong_rx) = crossbeam_channel::bounded::<u64>(capacity);
    let echo = std::thread::spawn(move || {
        for v in ping_rx.iter() {
            pong_tx.send(v + 1).unwrap();
        }
    });
    let server = std::thread::spawn(move || {
        let mut v = 0u64;
        for _ in 0..n {
            ping_tx.send(v).unwrap();
            v = pong_rx.recv().unwrap() + 1;
        }
        v
    });
    let result = server.join().unwrap();
    echo.join().unwrap();
    let ms = harness::ms_since(start);

    harness::check_as("crossbeam", "chan_pingpong", result, want);
    harness::print_as("crossbeam", "chan_pingpong", n, ms, &format!(" ns_per_op={:.1}", ms * 1e6 / n as f64));
}
