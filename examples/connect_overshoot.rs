//! How much later than its timeout a connect to a full accept queue gives up: TCP's
//! `connect` (a `ppoll` to the deadline) beside `UnixStream::connect` (the kernel's
//! `SO_SNDTIMEO` wait, then non-blocking tries to the deadline), for timeouts from 0.1 ms to
//! 1 s. Prints the median and the worst overshoot of each; run it with `--release`:
//! `cargo run --release --example connect_overshoot [repetitions]`.

use std::time::{Duration, Instant};

use chapel_socket::{Timeout, UnixAddr, UnixListener, UnixStream, connect, listen};

type Failure = Box<dyn std::error::Error>;

/// The timeouts measured.
const TIMEOUTS_US: [u64; 5] = [100, 1_000, 10_000, 100_000, 1_000_000];

fn main() -> Result<(), Failure> {
    let reps: usize = std::env::args().nth(1).map_or(Ok(20), |n| n.parse())?;

    let tcp = listen(&"127.0.0.1:0".parse()?, true, 0)?;
    let tcp_at = tcp.addr()?;
    let _tcp_queued = fill(|t| connect(&tcp_at, t))?;

    let name = UnixAddr::from_abstract(format!("chapel-overshoot-{}", std::process::id()))?;
    let _unix = UnixListener::bind(&name, 0)?;
    let _unix_queued = fill(|t| UnixStream::connect(&name, t))?;

    for micros in TIMEOUTS_US {
        let timeout = Duration::from_micros(micros);
        // Fewer repetitions of the long waits, to bound the run.
        let n = if micros >= 100_000 { reps.div_ceil(4) } else { reps };
        let tcp = overshoot(n, timeout, |t| connect(&tcp_at, t).map(drop))?;
        let unix = overshoot(n, timeout, |t| UnixStream::connect(&name, t).map(drop))?;
        println!("{:>9.1} ms  n={n:<3}  tcp {tcp}  unix {unix}", timeout.as_secs_f64() * 1e3);
    }
    Ok(())
}

/// Connects with 200 ms until one connect times out: the queue is full; the connections
/// that got in are kept.
fn fill<C>(mut connect: impl FnMut(Timeout) -> chapel_socket::Result<C>) -> Result<Vec<C>, Failure> {
    let mut queued = Vec::new();
    for _ in 0..64 {
        match connect(Timeout::from(0.2)) {
            Ok(conn) => queued.push(conn),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Ok(queued),
            Err(e) => return Err(e.into()),
        }
    }
    Err("64 connects and the queue is still not full".into())
}

/// `n` timed-out connects of `timeout`: "median M ms, max X ms" of how much later than
/// `timeout` each returned. A connect that ends early or does not time out is an error.
fn overshoot(
    n: usize,
    timeout: Duration,
    mut connect: impl FnMut(Timeout) -> chapel_socket::Result<()>,
) -> Result<String, Failure> {
    let mut over = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let result = connect(Timeout::from(timeout));
        let elapsed = start.elapsed();
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            other => return Err(format!("a connect to a full queue did not time out: {other:?}").into()),
        }
        if elapsed < timeout {
            return Err(format!("a connect of {timeout:?} ended after {elapsed:?}, early").into());
        }
        over.push(elapsed - timeout);
    }
    over.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok(format!("median {:.3} ms, max {:.3} ms", ms(over[over.len() / 2]), ms(over[over.len() - 1])))
}
