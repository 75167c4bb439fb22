//! How cost grows: three workloads whose question is not one op's cost but
//! how it changes with the number of connections, of accepting threads, and what each open
//! connection holds. chapel-socket, std::net and (for the two timed ones) the C floor, side by
//! side in one process run, interleaved round by round as the other workloads are.
//!
//! - `scale_conns`: N client threads, each with one TCP connection, doing 1-byte
//!   request/response against a server thread of its own (N = 1, 4, 16, 64, 256): round
//!   trips/s of all N together, and each round trip's latency (median, p99). chapel-socket
//!   uses `recv`/`send` with the bench's 2 s timeout on both ends, as a server would, which
//!   exercises each socket's `SO_RCVTIMEO` record (`RecvTimer`); std sets `set_read_timeout`
//!   once per stream and then `read`/`write`s; C sets `SO_RCVTIMEO` once.
//! - `scale_accept`: one listener, 1, 2, 4 or 8 threads accepting on it (chapel-socket
//!   `TcpListener::accept(2 s)`, which all share the listener's `Acceptor`; std `accept()`; C
//!   blocking `accept4`), each closing what it accepts; `CLIENTS` client threads, the same
//!   std code for both Rust implementations (C: the same syscalls), connect, read the EOF and
//!   close, 500 connections a set: connections/s, one sample per set.
//! - `scale_memory`: 10,000 connected pairs (fewer when `RLIMIT_NOFILE`'s hard limit does not
//!   allow 20,000 descriptors; the run says how many) opened in a child process per
//!   implementation: resident bytes (`VmRSS`) and malloc'd bytes (`mallinfo2`) per socket, and
//!   the `size_of` of each type.
//!
//! The timed workloads run where the rest of the bench runs: pinned to one CPU by default
//! (see `pin`), so what grows with N is the CPU work per op (and the scheduler's), not the
//! VM's cross-CPU wake-ups; `--no-pin` runs them on every CPU.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, ExitCode};
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use chapel_socket::{IPFamily, IpAddr, TcpConn, TcpListener, connect, listen};

use crate::Imp;
use crate::cbase::Baseline;
use crate::stats::quantile;
use crate::workload::TIMEOUT;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Conns,
    Accept,
    Memory,
}

impl Scale {
    pub const ALL: [Scale; 3] = [Scale::Conns, Scale::Accept, Scale::Memory];

    pub fn name(self) -> &'static str {
        match self {
            Scale::Conns => "scale_conns",
            Scale::Accept => "scale_accept",
            Scale::Memory => "scale_memory",
        }
    }

    pub fn parse(name: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What the table calls it.
    fn label(self) -> &'static str {
        match self {
            Scale::Conns => "TCP req/resp 1 B, N connections, a client and a server thread each",
            Scale::Accept => "connect+accept+close, one listener, K accepting threads",
            Scale::Memory => "memory per open connection",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Scale::Conns => "round trips/s",
            Scale::Accept => "connections/s",
            Scale::Memory => "bytes",
        }
    }
}

/// Client threads of `scale_accept`, whatever the number of accepting threads.
pub const CLIENTS: usize = 4;
/// Stack of every thread these workloads start: 512 threads at `scale_conns`' N = 256.
const STACK: usize = 128 * 1024;
/// Descriptors left for everything else when `scale_memory` picks its pair count.
const SPARE_FDS: u64 = 64;

/// A run's sizes.
pub struct Sizes {
    /// `scale_conns`' N.
    pub conns: &'static [usize],
    /// `scale_conns`: timed round trips per batch, all connections together (each at least
    /// `MIN_PER_CONN`), after an eighth as many untimed.
    pub round_trips: usize,
    /// `scale_accept`'s accepting threads.
    pub accepters: &'static [usize],
    /// `scale_accept`: timed sets per batch (after one untimed), and connections per set.
    pub sets: usize,
    pub set: usize,
    /// `scale_memory`: connected pairs wanted.
    pub pairs: usize,
    /// Rounds: each implementation runs one batch of each size per round.
    pub rounds: usize,
}

const MIN_PER_CONN: usize = 16;

pub const FULL: Sizes = Sizes {
    conns: &[1, 4, 16, 64, 256],
    round_trips: 32_768,
    accepters: &[1, 2, 4, 8],
    sets: 8,
    set: 500,
    pairs: 10_000,
    rounds: 7,
};

pub const QUICK: Sizes =
    Sizes { conns: &[1, 4], round_trips: 64, accepters: &[1, 2], sets: 1, set: 100, pairs: 200, rounds: 1 };

/// One batch: rate samples (units/s) and, for `scale_conns`, every timed round trip's ns.
#[derive(Default)]
pub struct Batch {
    pub rates: Vec<f64>,
    pub latencies: Vec<f64>,
}

/// One implementation at one size of a timed scale workload.
pub struct Row {
    pub workload: Scale,
    pub param: usize,
    pub imp: Imp,
    /// Each round's rate (the median of its batch's samples), `None` when the batch failed.
    pub round_rates: Vec<Option<f64>>,
    /// Latency quantiles over every round trip of every round (ns): median, p99.
    pub latency: Option<(f64, f64)>,
}

impl Row {
    fn rate(&self) -> Option<f64> {
        let mut rates: Vec<f64> = self.round_rates.iter().flatten().copied().collect();
        rates.sort_by(f64::total_cmp);
        (!rates.is_empty()).then(|| quantile(&rates, 0.5))
    }

    /// Median and interquartile range of the per-round ratios `self / other` (above 1 is
    /// faster), as the main table's.
    fn ratio(&self, other: Option<&Row>) -> Option<(f64, f64, f64)> {
        let pairs = self.round_rates.iter().zip(&other?.round_rates);
        let mut ratios: Vec<f64> = pairs.filter_map(|(mine, theirs)| Some((*mine)? / (*theirs)?)).collect();
        ratios.sort_by(f64::total_cmp);
        (!ratios.is_empty()).then(|| (quantile(&ratios, 0.5), quantile(&ratios, 0.25), quantile(&ratios, 0.75)))
    }
}

/// One implementation's `scale_memory` result.
pub struct Memory {
    pub imp: Imp,
    pub pairs: usize,
    pub rss: i64,
    pub heap: i64,
}

/// What the scale workloads found: the timed rows, the memory rows, notes for the header.
#[derive(Default)]
pub struct Results {
    pub rows: Vec<Row>,
    pub memory: Vec<Memory>,
    pub ok: bool,
}

/// Runs the scale workloads `which` lets through, for `imps` (socket2 is left out: it adds
/// nothing here that std does not show).
pub fn run(which: impl Fn(Scale) -> bool, imps: &[Imp], sizes: &Sizes, c: Option<&Baseline>) -> Results {
    let imps: Vec<Imp> = imps.iter().copied().filter(|&i| i != Imp::Socket2).collect();
    let mut results = Results { ok: true, ..Results::default() };
    for (w, params) in [(Scale::Conns, sizes.conns), (Scale::Accept, sizes.accepters)] {
        if !which(w) {
            continue;
        }
        for &param in params {
            eprintln!("compare: {} {param} — {} rounds", w.name(), sizes.rounds);
            let mut batches: Vec<Vec<Option<Batch>>> = (0..imps.len()).map(|_| Vec::new()).collect();
            for round in 0..sizes.rounds {
                for k in 0..imps.len() {
                    let at = (round + k) % imps.len();
                    if batches[at].iter().any(Option::is_none) {
                        batches[at].push(None);
                        continue;
                    }
                    match batch(imps[at], w, param, sizes, c) {
                        Ok(b) => batches[at].push(Some(b)),
                        Err(e) => {
                            eprintln!("compare: {} {} {param} failed: {e}", imps[at].name(), w.name());
                            batches[at].push(None);
                            results.ok = false;
                        }
                    }
                }
            }
            for (imp, batches) in imps.iter().zip(batches) {
                let round_rates = batches.iter().map(|b| b.as_ref().and_then(|b| median(b.rates.clone()))).collect();
                let mut all: Vec<f64> = batches.into_iter().flatten().flat_map(|b| b.latencies).collect();
                all.sort_by(f64::total_cmp);
                let latency = (!all.is_empty()).then(|| (quantile(&all, 0.5), quantile(&all, 0.99)));
                results.rows.push(Row { workload: w, param, imp: *imp, round_rates, latency });
            }
        }
    }
    if which(Scale::Memory) {
        eprintln!("compare: {} — {} pairs wanted", Scale::Memory.name(), sizes.pairs);
        for imp in imps.iter().filter(|&&i| i != Imp::C) {
            match memory(*imp, sizes.pairs) {
                Ok(m) => results.memory.push(m),
                Err(e) => {
                    eprintln!("compare: {} {} failed: {e}", imp.name(), Scale::Memory.name());
                    results.ok = false;
                }
            }
        }
    }
    results
}

fn median(mut samples: Vec<f64>) -> Option<f64> {
    samples.sort_by(f64::total_cmp);
    (!samples.is_empty()).then(|| quantile(&samples, 0.5))
}

/// One batch of `w` at size `param` (N connections, K accepting threads).
fn batch(imp: Imp, w: Scale, param: usize, sizes: &Sizes, c: Option<&Baseline>) -> io::Result<Batch> {
    match (w, imp) {
        (Scale::Conns, Imp::Ours) => ours_conns(param, per_conn(param, sizes)),
        (Scale::Conns, Imp::Std) => std_conns(param, per_conn(param, sizes)),
        (Scale::Accept, Imp::Ours) => ours_accept(param, sizes),
        (Scale::Accept, Imp::Std) => std_accept(param, sizes),
        (_, Imp::C) => {
            let c = c.ok_or_else(|| io::Error::other("no C baseline (cc failed)"))?;
            let args = match w {
                Scale::Conns => vec![param, per_conn(param, sizes)],
                _ => vec![param, sizes.sets, sizes.set, CLIENTS],
            };
            c_batch(c, w, &args)
        }
        _ => Err(io::Error::other(format!("{} has no {}", imp.name(), w.name()))),
    }
}

/// `scale_conns`: timed round trips per connection.
fn per_conn(n: usize, sizes: &Sizes) -> usize {
    (sizes.round_trips / n).max(MIN_PER_CONN)
}

/// `--scale-count IMPL WORKLOAD PARAM`: one batch of a timed scale workload at full size and
/// nothing else, for strace or callgrind to count.
pub fn count_mode(args: &[String]) -> ExitCode {
    let parsed = match args {
        [imp, w, param] => Imp::parse(imp).zip(Scale::parse(w)).zip(param.parse::<usize>().ok()),
        _ => None,
    };
    let Some(((imp, w), param)) = parsed.filter(|((i, w), _)| *i != Imp::C && *w != Scale::Memory) else {
        eprintln!("compare: --scale-count takes IMPL (chapel-socket, std::net) scale_conns|scale_accept PARAM");
        return ExitCode::from(2);
    };
    match batch(imp, w, param, &FULL, None) {
        Ok(b) => {
            println!("{:.0} {}/s", median(b.rates).unwrap_or(0.0), w.unit());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("compare: {} {}: {e}", imp.name(), w.name());
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// scale_conns

fn spawn<'scope, T: Send + 'scope>(
    s: &'scope thread::Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> thread::ScopedJoinHandle<'scope, T> {
    thread::Builder::new().stack_size(STACK).spawn_scoped(s, f).expect("a thread (raise ulimit -u?)")
}

/// The shape of `scale_conns`, the same for every Rust implementation: `n` client threads,
/// each `connect`s, makes `ops / 8` untimed `round_trip`s and waits for the others; then the
/// clock starts and each makes `ops` timed ones (each one's latency a sample) and closes.
/// This thread `accept`s each client's connection as it comes (one queued at a time: no
/// backlog limit matters) and starts a thread that `serve`s it until the client closes. The
/// rate is all `n × ops` round trips over the time from the start to the last one's end.
fn conns_shape<S: Send>(
    n: usize,
    ops: usize,
    accept: impl Fn() -> io::Result<S>,
    connect: impl Fn() -> io::Result<S> + Sync,
    serve: impl Fn(S) -> io::Result<()> + Sync,
    round_trip: impl Fn(&mut S) -> io::Result<()> + Sync,
) -> io::Result<Batch> {
    let barrier = Barrier::new(n + 1);
    let (barrier, connect, serve, round_trip) = (&barrier, &connect, &serve, &round_trip);
    thread::scope(|s| {
        let mut clients = Vec::with_capacity(n);
        let mut servers = Vec::with_capacity(n);
        let mut accepted = Ok(());
        for _ in 0..n {
            clients.push(spawn(s, move || {
                let ready: io::Result<S> = (|| {
                    let mut conn = connect()?;
                    (0..ops / 8).try_for_each(|_| round_trip(&mut conn))?;
                    Ok(conn)
                })();
                barrier.wait();
                let mut conn = ready?;
                let mut latencies = Vec::with_capacity(ops);
                let mut last = Instant::now();
                for _ in 0..ops {
                    round_trip(&mut conn)?;
                    let now = Instant::now();
                    latencies.push((now - last).as_nanos() as f64);
                    last = now;
                }
                io::Result::Ok((latencies, last))
            }));
            // After a failed accept every client still reaches the barrier (its own round
            // trips end at their timeout), so nothing waits for ever.
            if accepted.is_ok() {
                match accept() {
                    Ok(conn) => servers.push(spawn(s, move || serve(conn))),
                    Err(e) => accepted = Err(e),
                }
            }
        }
        barrier.wait();
        let start = Instant::now();
        let mut batch = Batch::default();
        let mut end = start;
        let mut failed = accepted.err();
        for client in clients {
            match client.join().expect("client thread") {
                Ok((latencies, last)) => {
                    batch.latencies.extend(latencies);
                    end = end.max(last);
                }
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        for server in servers {
            if let Err(e) = server.join().expect("server thread") {
                failed = failed.or(Some(e));
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        batch.rates.push((n * ops) as f64 / (end - start).as_secs_f64());
        Ok(batch)
    })
}

fn loopback() -> IpAddr {
    IpAddr::create("127.0.0.1", 0, IPFamily::IPv4).expect("a numeric address")
}

const LOOPBACK: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// chapel-socket: every receive and send with the 2 s timeout, on both ends.
fn ours_conns(n: usize, ops: usize) -> io::Result<Batch> {
    let server = listen(&loopback(), true, 128)?;
    let to = server.addr()?;
    conns_shape(
        n,
        ops,
        || {
            let conn = server.accept(TIMEOUT)?;
            conn.set_nagle(false)?;
            Ok(conn)
        },
        || {
            let conn = connect(&to, TIMEOUT)?;
            conn.set_nagle(false)?;
            Ok(conn)
        },
        |conn: TcpConn| {
            let mut buf = [0; 1];
            while conn.recv(&mut buf, TIMEOUT)? == 1 {
                conn.send(&buf, TIMEOUT)?;
            }
            Ok(())
        },
        |conn| {
            let mut buf = [7; 1];
            conn.send(&buf, TIMEOUT)?;
            match conn.recv(&mut buf, TIMEOUT)? {
                1 => Ok(()),
                _ => Err(io::ErrorKind::UnexpectedEof.into()),
            }
        },
    )
}

/// std::net: `set_read_timeout` once per stream (both ends), then `read`/`write`.
fn std_conns(n: usize, ops: usize) -> io::Result<Batch> {
    let server = std::net::TcpListener::bind(LOOPBACK)?;
    let to = server.local_addr()?;
    let setup = |conn: TcpStream| {
        conn.set_nodelay(true)?;
        conn.set_read_timeout(Some(TIMEOUT))?;
        Ok(conn)
    };
    conns_shape(
        n,
        ops,
        || setup(server.accept()?.0),
        || setup(TcpStream::connect(to)?),
        |mut conn: TcpStream| {
            let mut buf = [0; 1];
            while conn.read(&mut buf)? == 1 {
                conn.write_all(&buf)?;
            }
            Ok(())
        },
        |conn| {
            let mut buf = [7; 1];
            conn.write_all(&buf)?;
            match conn.read(&mut buf)? {
                1 => Ok(()),
                _ => Err(io::ErrorKind::UnexpectedEof.into()),
            }
        },
    )
}

// ---------------------------------------------------------------------------------------------
// scale_accept

/// The shape of `scale_accept`: `k` threads run `accept_close` (accept one connection and
/// close it; a timeout is only tried again, as a server loop would) until each has taken one
/// of the `k` stop connections made after the last set; `CLIENTS` threads make the sets'
/// connections (std: `connect`, a `read` that sees the close, drop), each a share of every
/// set, all starting a set together. One untimed set, then `sets` timed ones: one sample each.
fn accept_shape(
    k: usize,
    sizes: &Sizes,
    to: SocketAddr,
    accept_close: impl Fn() -> io::Result<()> + Sync,
) -> io::Result<Batch> {
    let share = sizes.set / CLIENTS;
    let total = (sizes.sets + 1) * share * CLIENTS;
    let accepted = AtomicUsize::new(0);
    let barrier = Barrier::new(CLIENTS + 1);
    let (accepted, barrier, accept_close) = (&accepted, &barrier, &accept_close);
    thread::scope(|s| {
        let accepters: Vec<_> = (0..k)
            .map(|_| {
                spawn(s, move || {
                    loop {
                        match accept_close() {
                            Ok(()) if accepted.fetch_add(1, Ordering::Relaxed) >= total => return io::Result::Ok(()),
                            Ok(()) => {}
                            Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                            Err(e) => return Err(e),
                        }
                    }
                })
            })
            .collect();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                spawn(s, move || {
                    let mut result = Ok(());
                    for _ in 0..=sizes.sets {
                        barrier.wait();
                        if result.is_ok() {
                            result = (0..share).try_for_each(|_| connect_read_close(to));
                        }
                        barrier.wait();
                    }
                    result
                })
            })
            .collect();
        let mut batch = Batch::default();
        for set in 0..=sizes.sets {
            barrier.wait();
            let start = Instant::now();
            barrier.wait();
            if set > 0 {
                batch.rates.push((share * CLIENTS) as f64 / start.elapsed().as_secs_f64());
            }
        }
        let mut failed = None;
        for client in clients {
            if let Err(e) = client.join().expect("client thread") {
                failed = failed.or(Some(e));
            }
        }
        // The stops; after a client's failure the accepted count falls short, and the
        // accepting threads end at the process's watchdog.
        for _ in 0..k {
            drop(TcpStream::connect(to)?);
        }
        for accepter in accepters {
            if let Err(e) = accepter.join().expect("accepting thread") {
                failed = failed.or(Some(e));
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(batch),
        }
    })
}

/// A client's connection in `scale_accept`, whoever accepts: std's calls.
fn connect_read_close(to: SocketAddr) -> io::Result<()> {
    let mut conn = TcpStream::connect(to)?;
    match conn.read(&mut [0])? {
        0 => Ok(()),
        _ => Err(io::Error::other("expected end of stream")),
    }
}

/// chapel-socket: every thread calls `accept(2 s)` on the one listener.
fn ours_accept(k: usize, sizes: &Sizes) -> io::Result<Batch> {
    let server: TcpListener = listen(&loopback(), true, 128)?;
    let to = SocketAddr::from(server.addr()?);
    accept_shape(k, sizes, to, || {
        server.accept(TIMEOUT)?;
        Ok(())
    })
}

/// std::net: every thread calls `accept()` on the one listener.
fn std_accept(k: usize, sizes: &Sizes) -> io::Result<Batch> {
    let server = std::net::TcpListener::bind(LOOPBACK)?;
    let to = server.local_addr()?;
    accept_shape(k, sizes, to, || server.accept().map(drop))
}

// ---------------------------------------------------------------------------------------------
// The C floor

/// benches/c/baseline.c's `scale_conns N OPS` or `scale_accept K SETS SET CLIENTS`: it prints
/// its rate samples on the first line and its latencies (ns), if any, on the second.
fn c_batch(c: &Baseline, w: Scale, args: &[usize]) -> io::Result<Batch> {
    let out = Command::new(c.exe()).arg(w.name()).args(args.iter().map(usize::to_string)).output()?;
    if !out.status.success() {
        return Err(io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let numbers = |line: Option<&str>| -> io::Result<Vec<f64>> {
        line.unwrap_or_default()
            .split_whitespace()
            .map(|s| s.parse().map_err(|_| io::Error::other(format!("baseline printed {s:?}"))))
            .collect()
    };
    Ok(Batch { rates: numbers(lines.next())?, latencies: numbers(lines.next())? })
}

// ---------------------------------------------------------------------------------------------
// scale_memory

/// Raises `RLIMIT_NOFILE`'s soft limit to the hard one; the limit now.
fn raise_nofile() -> io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a valid `rlimit` for the kernel to fill in and to read.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(limit.rlim_cur)
}

/// Resident bytes of this process (`VmRSS`).
fn rss() -> io::Result<i64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().strip_suffix("kB"));
    kib.and_then(|k| k.trim().parse::<i64>().ok()).map(|k| k * 1024).ok_or_else(|| io::Error::other("no VmRSS"))
}

/// Bytes malloc has handed out and not had back (glibc's `mallinfo2().uordblks`).
fn heap() -> i64 {
    // SAFETY: mallinfo2 takes nothing and returns a plain struct.
    unsafe { libc::mallinfo2().uordblks as i64 }
}

/// `--scale-memory IMPL PAIRS`, in a child of its own: opens `PAIRS` connected pairs on
/// loopback (or as many as the descriptor limit allows) and prints the pair count and the
/// growth of `VmRSS` and of malloc'd bytes: `pairs rss heap`. The vectors that hold the
/// sockets are allocated before the first reading, so the malloc'd bytes are what each socket
/// keeps beside its inline size, and `VmRSS` counts those and the vectors' pages as they fill.
pub fn memory_child(args: &[String]) -> ExitCode {
    let parsed = match args {
        [imp, pairs] => Imp::parse(imp).zip(pairs.parse::<usize>().ok()),
        _ => None,
    };
    let Some((imp, want)) = parsed else {
        eprintln!("compare: --scale-memory takes IMPL PAIRS");
        return ExitCode::from(2);
    };
    let result = raise_nofile().and_then(|limit| {
        let pairs = want.min(usize::try_from(limit.saturating_sub(SPARE_FDS) / 2).unwrap_or(usize::MAX));
        match imp {
            Imp::Ours => ours_memory(pairs),
            Imp::Std => std_memory(pairs),
            _ => Err(io::Error::other("chapel-socket and std::net only")),
        }
        .map(|(rss, heap)| (pairs, rss, heap))
    });
    match result {
        Ok((pairs, rss, heap)) => {
            println!("{pairs} {rss} {heap}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("compare: {} {}: {e}", imp.name(), Scale::Memory.name());
            ExitCode::FAILURE
        }
    }
}

/// Opens `pairs` pairs with `pair` after a few untimed ones (which set up what the first
/// connection of a process sets up); the growth of `VmRSS` and of the heap.
fn open_pairs<S>(pairs: usize, mut pair: impl FnMut() -> io::Result<(S, S)>) -> io::Result<(i64, i64)> {
    for _ in 0..16 {
        drop(pair()?);
    }
    let (mut clients, mut servers) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
    let (rss0, heap0) = (rss()?, heap());
    for _ in 0..pairs {
        let (client, server) = pair()?;
        clients.push(client);
        servers.push(server);
    }
    let (rss1, heap1) = (rss()?, heap());
    std::hint::black_box((&clients, &servers));
    Ok((rss1 - rss0, heap1 - heap0))
}

fn ours_memory(pairs: usize) -> io::Result<(i64, i64)> {
    let server = listen(&loopback(), true, 128)?;
    let to = server.addr()?;
    open_pairs(pairs, || {
        let client = connect(&to, TIMEOUT)?;
        Ok((client, server.accept(TIMEOUT)?))
    })
}

fn std_memory(pairs: usize) -> io::Result<(i64, i64)> {
    let server = std::net::TcpListener::bind(LOOPBACK)?;
    let to = server.local_addr()?;
    open_pairs(pairs, || {
        let client = TcpStream::connect(to)?;
        Ok((client, server.accept()?.0))
    })
}

/// Runs `--scale-memory` for `imp` in a child.
fn memory(imp: Imp, pairs: usize) -> io::Result<Memory> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe).args(["--scale-memory", imp.name(), &pairs.to_string()]).output()?;
    if !out.status.success() {
        return Err(io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<i64> = text.split_whitespace().filter_map(|s| s.parse().ok()).collect();
    match v[..] {
        [pairs, rss, heap] => Ok(Memory { imp, pairs: pairs as usize, rss, heap }),
        _ => Err(io::Error::other(format!("the child printed {text:?}"))),
    }
}

/// `size_of` of each type this crate has and std's counterpart.
fn sizes_of() -> Vec<(&'static str, usize, &'static str, usize)> {
    use std::mem::size_of;
    vec![
        ("TcpConn", size_of::<TcpConn>(), "net::TcpStream", size_of::<TcpStream>()),
        ("TcpListener", size_of::<TcpListener>(), "net::TcpListener", size_of::<std::net::TcpListener>()),
        ("UdpSocket", size_of::<chapel_socket::UdpSocket>(), "net::UdpSocket", size_of::<std::net::UdpSocket>()),
        (
            "UnixStream",
            size_of::<chapel_socket::UnixStream>(),
            "os::unix::net::UnixStream",
            size_of::<std::os::unix::net::UnixStream>(),
        ),
        (
            "UnixListener",
            size_of::<chapel_socket::UnixListener>(),
            "os::unix::net::UnixListener",
            size_of::<std::os::unix::net::UnixListener>(),
        ),
        (
            "UnixDatagram",
            size_of::<chapel_socket::UnixDatagram>(),
            "os::unix::net::UnixDatagram",
            size_of::<std::os::unix::net::UnixDatagram>(),
        ),
        ("IpAddr", size_of::<IpAddr>(), "net::SocketAddr", size_of::<SocketAddr>()),
    ]
}

// ---------------------------------------------------------------------------------------------
// Output

fn find(rows: &[Row], w: Scale, param: usize, imp: Imp) -> Option<&Row> {
    rows.iter().find(|r| r.workload == w && r.param == param && r.imp == imp)
}

fn rate_text(rate: f64) -> String {
    match rate {
        r if r >= 1e6 => format!("{:.2} M", r / 1e6),
        r if r >= 1e4 => format!("{:.1} k", r / 1e3),
        r => format!("{r:.0}"),
    }
}

fn or_na(v: Option<String>) -> String {
    v.unwrap_or_else(|| "n/a".into())
}

/// The tables: one per timed workload, then memory and sizes.
pub fn tables(results: &Results, sizes: &Sizes) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (w, param) in [(Scale::Conns, "N"), (Scale::Accept, "K")] {
        let rows: Vec<&Row> = results.rows.iter().filter(|r| r.workload == w).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{} [{}], {} round(s)", w.label(), w.unit(), sizes.rounds);
        let lat = w == Scale::Conns;
        let _ =
            write!(out, "{param:>4} {:<14} {:>10} {:>7} {:>11} {:>7}", "impl", "median", "vs std", "round IQR", "vs C");
        if lat {
            let _ = write!(out, " {:>12} {:>12}", "median µs", "p99 µs");
        }
        out.push('\n');
        for r in &rows {
            let vs_std = r.ratio(find(&results.rows, w, r.param, Imp::Std));
            let vs_c = r.ratio(find(&results.rows, w, r.param, Imp::C));
            let _ = write!(
                out,
                "{:>4} {:<14} {:>10} {:>7} {:>11} {:>7}",
                r.param,
                r.imp.name(),
                or_na(r.rate().map(rate_text)),
                or_na(vs_std.map(|v| format!("{:.2}x", v.0))),
                or_na(vs_std.map(|v| format!("{:.2}-{:.2}", v.1, v.2))),
                or_na(vs_c.map(|v| format!("{:.2}x", v.0))),
            );
            if lat {
                let _ = write!(
                    out,
                    " {:>12} {:>12}",
                    or_na(r.latency.map(|l| format!("{:.1}", l.0 / 1e3))),
                    or_na(r.latency.map(|l| format!("{:.1}", l.1 / 1e3))),
                );
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if !results.memory.is_empty() {
        let _ = writeln!(out, "{} (a child process each; per socket = per connected pair / 2)", Scale::Memory.label());
        let _ = writeln!(
            out,
            "{:<14} {:>7} {:>14} {:>14} {:>16} {:>16}",
            "impl", "pairs", "VmRSS/socket", "malloc/socket", "VmRSS growth", "malloc growth"
        );
        for m in &results.memory {
            let sockets = (2 * m.pairs).max(1) as f64;
            let _ = writeln!(
                out,
                "{:<14} {:>7} {:>14.1} {:>14.1} {:>16} {:>16}",
                m.imp.name(),
                m.pairs,
                m.rss as f64 / sockets,
                m.heap as f64 / sockets,
                m.rss,
                m.heap
            );
        }
        out.push('\n');
        let _ = writeln!(out, "size_of (bytes)");
        for (ours, n, std_name, m) in sizes_of() {
            let _ = writeln!(out, "  chapel_socket::{ours:<14} {n:>4}    std::{std_name:<28} {m:>4}");
        }
    }
    out
}

/// The rows as CSV (long form: one value a line) for scripts/plot_scale.py.
pub fn write_csv(results: &Results, path: &std::path::Path) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut out = String::from("workload,param,impl,metric,unit,value,vs_std,vs_std_q1,vs_std_q3\n");
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for r in &results.rows {
        let vs_std = r.ratio(find(&results.rows, r.workload, r.param, Imp::Std));
        let (w, p, i) = (r.workload.name(), r.param, r.imp.name());
        let _ = writeln!(
            out,
            "{w},{p},{i},rate,{},{},{},{},{}",
            r.workload.unit(),
            num(r.rate()),
            num(vs_std.map(|v| v.0)),
            num(vs_std.map(|v| v.1)),
            num(vs_std.map(|v| v.2))
        );
        if let Some((median, p99)) = r.latency {
            let _ = writeln!(out, "{w},{p},{i},latency_median,us,{},,,", num(Some(median / 1e3)));
            let _ = writeln!(out, "{w},{p},{i},latency_p99,us,{},,,", num(Some(p99 / 1e3)));
        }
    }
    for m in &results.memory {
        let (w, p, i, sockets) = (Scale::Memory.name(), m.pairs, m.imp.name(), (2 * m.pairs).max(1) as f64);
        let _ = writeln!(out, "{w},{p},{i},rss_per_socket,bytes,{},,,", num(Some(m.rss as f64 / sockets)));
        let _ = writeln!(out, "{w},{p},{i},malloc_per_socket,bytes,{},,,", num(Some(m.heap as f64 / sockets)));
    }
    if !results.memory.is_empty() {
        for (ours, n, std_name, m) in sizes_of() {
            let _ = writeln!(out, "size_of,,chapel-socket,{ours},bytes,{n},,,");
            let _ = writeln!(out, "size_of,,std::net,{std_name},bytes,{m},,,");
        }
    }
    std::fs::write(path, out)
}
