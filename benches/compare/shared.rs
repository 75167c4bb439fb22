//! The workloads' shapes, the same for every Rust implementation: the peer thread, the loops,
//! what is sent and when the clock ticks. Each implementation passes its own calls in as
//! closures; the functions are generic, so each implementation's loops are compiled for its own
//! calls (no `dyn`) and make exactly those.

use std::io::{self, Read, Write};
use std::thread;

use crate::clock::Clock;
use crate::workload::{BATCH, BURST, GO_EVERY, SHARED_RECEIVERS, UDP_SIZE, WINDOW, WRITE_SIZE, Workload, datagram};

/// An implementation's workloads: each builds its sockets and passes its own calls to the
/// function of the same name below.
pub trait Workloads {
    /// Request/response (`TcpRr1`, `TcpRr1k`) or bulk (`TcpBulk`) over one connection.
    fn tcp(w: Workload, n: usize) -> io::Result<Vec<f64>>;
    /// `UdpRrPerCall`, `UdpRrFixed` or `UdpRrAdopted` (for std::net, socket2 and C the same
    /// code as `UdpRrFixed`; this crate's sockets adopted from std's).
    fn udp_rr(w: Workload, n: usize) -> io::Result<Vec<f64>>;
    /// `UdpRrShared`: `udp_rr` with per-call timeouts, served by two threads on one socket.
    fn udp_rr_shared(n: usize) -> io::Result<Vec<f64>>;
    fn udp_oneway(n: usize) -> io::Result<Vec<f64>>;
    /// UDP one-way pipeline where the implementation can batch: without batch calls
    /// (std::net, socket2), the same one-at-a-time code as `udp_oneway`.
    fn udp_pipeline_batch(n: usize) -> io::Result<Vec<f64>> {
        Self::udp_oneway(n)
    }
    /// UDP one-way where the implementation has segmentation/receive offload; otherwise
    /// `udp_oneway`.
    fn udp_oneway_gso(n: usize) -> io::Result<Vec<f64>> {
        Self::udp_oneway(n)
    }
    fn udp_burst(n: usize) -> io::Result<Vec<f64>>;
    /// `UdpBatchRecv`: queued datagrams received with batch calls where the implementation
    /// has them, one at a time where it has not.
    fn udp_batch_recv(n: usize) -> io::Result<Vec<f64>>;
    fn connect_accept_close(n: usize) -> io::Result<Vec<f64>>;
    /// Request/response (`UnixRr1`) or bulk (`UnixBulk`) over one Unix stream connection.
    fn unix(w: Workload, n: usize) -> io::Result<Vec<f64>>;

    /// One batch of `n` ops of `w`: its samples (ns/op).
    fn run(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        match w {
            Workload::TcpRr1 | Workload::TcpRr1k | Workload::TcpBulk => Self::tcp(w, n),
            Workload::UdpRrPerCall | Workload::UdpRrFixed | Workload::UdpRrAdopted => Self::udp_rr(w, n),
            Workload::UdpRrShared => Self::udp_rr_shared(n),
            Workload::UdpOneWay => Self::udp_oneway(n),
            Workload::UdpPipelineBatch => Self::udp_pipeline_batch(n),
            Workload::UdpOneWayGso => Self::udp_oneway_gso(n),
            Workload::UdpBurst => Self::udp_burst(n),
            Workload::UdpBatchRecv => Self::udp_batch_recv(n),
            Workload::Connect => Self::connect_accept_close(n),
            Workload::UnixRr1 | Workload::UnixBulk => Self::unix(w, n),
        }
    }
}

/// A Unix socket name no other batch of this run (or other run) uses.
pub fn unix_name(imp: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static BATCH: AtomicUsize = AtomicUsize::new(0);
    format!("chapel-bench-{imp}-{}-{}", std::process::id(), BATCH.fetch_add(1, Ordering::Relaxed))
}

/// What the one-way and burst senders send.
const DGRAM: [u8; UDP_SIZE] = [0; UDP_SIZE];

/// A UDP send of the given bytes to the address the closure holds: the bytes sent.
pub trait SendOp: FnMut(&[u8]) -> io::Result<usize> {}
impl<F: FnMut(&[u8]) -> io::Result<usize>> SendOp for F {}

/// A UDP receive into the buffer the closure holds, with the implementation's timeout: the
/// datagram's length.
pub trait RecvOp: FnMut() -> io::Result<usize> {}
impl<F: FnMut() -> io::Result<usize>> RecvOp for F {}

/// Runs `peer` on a thread of its own while `timed` runs on this one, and returns the samples of
/// the clock `timed` made once both have finished. `timed` starts its clock after its own set-up.
fn beside(
    peer: impl FnOnce() -> io::Result<()> + Send,
    timed: impl FnOnce() -> io::Result<Clock>,
) -> io::Result<Vec<f64>> {
    thread::scope(|s| {
        let peer = s.spawn(peer);
        let clock = timed()?;
        peer.join().expect("peer thread")?;
        Ok(clock.samples())
    })
}

/// `op` `n` times, up to the first error.
fn times<T>(n: usize, mut op: impl FnMut() -> io::Result<T>) -> io::Result<()> {
    (0..n).try_for_each(|_| op().map(drop))
}

/// Stream request/response, 1-byte messages for `TcpRr1` and `UnixRr1`, 1 KiB for `TcpRr1k`:
/// the peer `accept`s and sends every message back; one op is a message written and its echo
/// read. Both ends turn Nagle's algorithm off with `no_delay` (a no-op for Unix streams).
pub fn tcp_rr<S: Read + Write>(
    w: Workload,
    n: usize,
    accept: impl FnOnce() -> io::Result<S> + Send,
    connect: impl FnOnce() -> io::Result<S> + Send,
    no_delay: impl Fn(&S) -> io::Result<()> + Sync,
) -> io::Result<Vec<f64>> {
    let msg = if matches!(w, Workload::TcpRr1 | Workload::UnixRr1) { 1 } else { 1024 };
    beside(
        || {
            let mut conn = accept()?;
            no_delay(&conn)?;
            let mut buf = vec![0; msg];
            for _ in 0..n {
                conn.read_exact(&mut buf)?;
                conn.write_all(&buf)?;
            }
            Ok(())
        },
        || {
            let mut conn = connect()?;
            no_delay(&conn)?;
            let (req, mut buf) = (vec![7; msg], vec![0; msg]);
            let mut clock = Clock::new(w, n);
            for _ in 0..n {
                conn.write_all(&req)?;
                conn.read_exact(&mut buf)?;
                clock.tick();
            }
            Ok(clock)
        },
    )
}

/// Stream bulk (`TcpBulk`, `UnixBulk`): the peer `connect`s, writes `n` chunks of `WRITE_SIZE`
/// and waits for a byte back (so it closes only after all is read); one op is `WRITE_SIZE`
/// bytes read, in reads of up to that size.
pub fn tcp_bulk<S: Read + Write>(
    w: Workload,
    n: usize,
    accept: impl FnOnce() -> io::Result<S> + Send,
    connect: impl FnOnce() -> io::Result<S> + Send,
) -> io::Result<Vec<f64>> {
    beside(
        || {
            let mut conn = connect()?;
            let chunk = vec![0; WRITE_SIZE];
            for _ in 0..n {
                conn.write_all(&chunk)?;
            }
            conn.read_exact(&mut [0])
        },
        || {
            let mut conn = accept()?;
            let mut buf = vec![0; WRITE_SIZE];
            let mut clock = Clock::new(w, n);
            let (total, mut got) = (n * WRITE_SIZE, 0);
            while got < total {
                let r = conn.read(&mut buf)?;
                if r == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                for _ in got / WRITE_SIZE..(got + r) / WRITE_SIZE {
                    clock.tick();
                }
                got += r;
            }
            conn.write_all(b"k")?;
            Ok(clock)
        },
    )
}

/// UDP request/response (per-call or fixed timeouts: the closures set them as the
/// implementation does): the peer's `echo` receives a request and sends it back; one op is a
/// request `send` and the echo's `recv`.
pub fn udp_rr(
    w: Workload,
    n: usize,
    echo: impl FnMut() -> io::Result<usize> + Send,
    mut send: impl SendOp,
    mut recv: impl RecvOp,
) -> io::Result<Vec<f64>> {
    beside(
        || times(n, echo),
        || {
            let req = [7; UDP_SIZE];
            let mut clock = Clock::new(w, n);
            for _ in 0..n {
                send(&req)?;
                datagram(recv()?)?;
                clock.tick();
            }
            Ok(clock)
        },
    )
}

/// UDP request/response on a server socket that `SHARED_RECEIVERS` threads share
/// (`UdpRrShared`): each runs `echo` in a loop, which receives one datagram with the
/// implementation's per-call timeout and sends a request back to whoever sent it (so each
/// thread serves whichever request it gets), or returns `false` at a stop (a datagram of
/// another size than `UDP_SIZE`). One op is a request `send` and the echo's `recv`, as in
/// `udp_rr`; after the last the client sends one `stop` per server thread (outside the clock).
pub fn udp_rr_shared(
    n: usize,
    echo: impl Fn() -> io::Result<bool> + Sync,
    mut send: impl SendOp,
    mut recv: impl RecvOp,
    mut stop: impl SendOp,
) -> io::Result<Vec<f64>> {
    thread::scope(|s| {
        let servers: Vec<_> = (0..SHARED_RECEIVERS)
            .map(|_| {
                s.spawn(|| {
                    while echo()? {}
                    io::Result::Ok(())
                })
            })
            .collect();
        let mut timed = || {
            let req = [7; UDP_SIZE];
            let mut clock = Clock::new(Workload::UdpRrShared, n);
            for _ in 0..n {
                send(&req)?;
                datagram(recv()?)?;
                clock.tick();
            }
            for _ in 0..SHARED_RECEIVERS {
                stop(b"s")?;
            }
            io::Result::Ok(clock)
        };
        // On a client error the servers end at their receive timeout.
        let clock = timed();
        let served: io::Result<()> = servers.into_iter().try_for_each(|t| t.join().expect("server thread"));
        let clock = clock?;
        served?;
        Ok(clock.samples())
    })
}

/// UDP one-way: the peer `send`s `n` datagrams and stays at most two windows ahead of the acks
/// it waits for (`wait_ack`); one op is a datagram `recv`ed, and every `WINDOW`th gets an `ack`.
pub fn udp_oneway(
    n: usize,
    mut send: impl SendOp + Send,
    mut wait_ack: impl RecvOp + Send,
    mut recv: impl RecvOp,
    mut ack: impl SendOp,
) -> io::Result<Vec<f64>> {
    beside(
        || {
            let mut acked = 0;
            for i in 0..n {
                while i - acked * WINDOW >= 2 * WINDOW {
                    wait_ack()?;
                    acked += 1;
                }
                send(&DGRAM)?;
            }
            Ok(())
        },
        || {
            let mut clock = Clock::new(Workload::UdpOneWay, n);
            for i in 0..n {
                datagram(recv()?)?;
                clock.tick();
                if (i + 1) % WINDOW == 0 {
                    ack(b"a")?;
                }
            }
            Ok(clock)
        },
    )
}

/// UDP one-way pipeline in batches (`UdpPipelineBatch`): `udp_oneway`'s window and acks, but
/// the peer's `send` sends up to `BATCH` datagrams in one call (it is given how many; it
/// returns how many it sent) and the receiver's `recv` takes whatever one batch call returns
/// (it returns how many, each already checked to be `UDP_SIZE` bytes). One op is still one
/// datagram received, and the clock runs through the sender's work too: on one CPU the
/// receiver wakes at a batch's first datagram and takes what is queued by then. (`UdpOneWayGso`
/// has the same shape: one send of up to `BATCH` segments, receives of coalesced buffers.)
pub fn udp_pipeline_batch(
    w: Workload,
    n: usize,
    mut send: impl FnMut(usize) -> io::Result<usize> + Send,
    mut wait_ack: impl RecvOp + Send,
    mut recv: impl FnMut() -> io::Result<usize>,
    mut ack: impl SendOp,
) -> io::Result<Vec<f64>> {
    beside(
        || {
            let (mut sent, mut acked) = (0, 0);
            while sent < n {
                let want = BATCH.min(n - sent);
                while sent + want > (acked + 2) * WINDOW {
                    wait_ack()?;
                    acked += 1;
                }
                match send(want)? {
                    0 => return Err(io::Error::other("a batch send sent nothing")),
                    k => sent += k,
                }
            }
            Ok(())
        },
        || {
            let mut clock = Clock::new(w, n);
            let mut got = 0;
            while got < n {
                let k = recv()?;
                for _ in 0..k {
                    clock.tick();
                }
                for _ in got / WINDOW..(got + k) / WINDOW {
                    ack(b"a")?;
                }
                got += k;
            }
            Ok(clock)
        },
    )
}

/// UDP burst: the peer `send`s a burst of `BURST` datagrams, then says so with `go` (to the
/// receiver's second socket) and waits for the `ack`; the receiver waits for the go
/// (`wait_go`), and only its `recv`s of the queued burst are timed.
pub fn udp_burst(
    n: usize,
    mut send: impl SendOp + Send,
    mut go: impl SendOp + Send,
    mut wait_ack: impl RecvOp + Send,
    mut wait_go: impl RecvOp,
    mut recv: impl RecvOp,
    mut ack: impl SendOp,
) -> io::Result<Vec<f64>> {
    beside(
        || {
            for _ in 0..n / BURST {
                for _ in 0..BURST {
                    send(&DGRAM)?;
                }
                go(b"g")?;
                wait_ack()?;
            }
            Ok(())
        },
        || {
            let mut clock = Clock::new(Workload::UdpBurst, n);
            for _ in 0..n / BURST {
                wait_go()?;
                clock.restart();
                for _ in 0..BURST {
                    datagram(recv()?)?;
                    clock.tick();
                }
                ack(b"a")?;
            }
            Ok(clock)
        },
    )
}

/// UDP batch receive (`UdpBatchRecv`): `udp_burst`'s hand-off with `GO_EVERY` datagrams
/// queued per go. The peer's `send` sends up to `BATCH` datagrams (it is given how many and
/// returns how many it sent: a batch implementation makes one call, a one-at-a-time one that
/// many sends), until `GO_EVERY` are queued; then the `go` (to the receiver's second socket)
/// and it waits for the `ack`. The receiver waits for the go (`wait_go`), and only its `recv`s
/// of the queued datagrams are timed: each takes what one call returns (a batch call up to
/// `BATCH`, a one-at-a-time call 1) and returns how many, each already checked to be
/// `UDP_SIZE` bytes. One op is one datagram received; one sample is one hand-off's
/// `GO_EVERY`.
pub fn udp_batch_recv(
    n: usize,
    mut send: impl FnMut(usize) -> io::Result<usize> + Send,
    mut go: impl SendOp + Send,
    mut wait_ack: impl RecvOp + Send,
    mut wait_go: impl RecvOp,
    mut recv: impl FnMut() -> io::Result<usize>,
    mut ack: impl SendOp,
) -> io::Result<Vec<f64>> {
    beside(
        || {
            for _ in 0..n / GO_EVERY {
                let mut sent = 0;
                while sent < GO_EVERY {
                    match send(BATCH.min(GO_EVERY - sent))? {
                        0 => return Err(io::Error::other("a batch send sent nothing")),
                        k => sent += k,
                    }
                }
                go(b"g")?;
                wait_ack()?;
            }
            Ok(())
        },
        || {
            let mut clock = Clock::new(Workload::UdpBatchRecv, n);
            for _ in 0..n / GO_EVERY {
                wait_go()?;
                clock.restart();
                let mut got = 0;
                while got < GO_EVERY {
                    let k = recv()?;
                    if k == 0 || got + k > GO_EVERY {
                        return Err(io::Error::other(format!("a receive of {k} after {got} of {GO_EVERY}")));
                    }
                    for _ in 0..k {
                        clock.tick();
                    }
                    got += k;
                }
                ack(b"a")?;
            }
            Ok(clock)
        },
    )
}

/// Connect: the peer accepts and closes `n` connections (`accept_close`); one op is a
/// `connect`, a read that sees the peer's close, and `close`.
pub fn connect_accept_close<S: Read>(
    n: usize,
    accept_close: impl FnMut() -> io::Result<()> + Send,
    mut connect: impl FnMut() -> io::Result<S>,
    mut close: impl FnMut(S) -> io::Result<()>,
) -> io::Result<Vec<f64>> {
    beside(
        || times(n, accept_close),
        || {
            let mut clock = Clock::new(Workload::Connect, n);
            for _ in 0..n {
                let mut conn = connect()?;
                if conn.read(&mut [0])? != 0 {
                    return Err(io::Error::other("expected end of stream"));
                }
                close(conn)?;
                clock.tick();
            }
            Ok(clock)
        },
    )
}
