//! Load: a threaded echo server on the crate holding 2,000 TCP connections open at once, each
//! making several round trips; and 100,000 UDP datagrams through one socket pair, every one
//! either received intact or counted by the kernel as dropped for a full receive buffer (and,
//! paced so the buffer never fills, every one received).

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::PATIENCE;
use crate::support::trials::{Test, note, trial};
use chapel_socket::{IPFamily, IpAddr, SOL_SOCKET, TcpConn, UdpSocket, bind, connect, get_sock_opt_bytes, listen};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(echo_server_holds_two_thousand_connections),
    trial!(every_datagram_is_received_or_counted_as_dropped),
    trial!(paced_datagrams_all_arrive),
];

const CONNECTIONS: usize = 2000;
const ROUNDS: usize = 5;
const CLIENT_THREADS: usize = 4;
const DATAGRAMS: u32 = 100_000;

/// Raises the soft descriptor limit to `want` (within the hard limit) if it is lower.
fn ensure_fd_limit(want: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a live rlimit the call fills in.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
    if limit.rlim_cur < want {
        assert!(limit.rlim_max >= want, "RLIMIT_NOFILE hard limit {} is below {want}", limit.rlim_max);
        limit.rlim_cur = want;
        // SAFETY: `limit` is a valid rlimit within the hard limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    }
}

/// The message connection `id` sends in `round`: 32 bytes no other connection or round
/// sends.
fn message(id: usize, round: usize) -> [u8; 32] {
    let mut m = [0u8; 32];
    m[..8].copy_from_slice(&(id as u64).to_le_bytes());
    m[8..16].copy_from_slice(&(round as u64).to_le_bytes());
    for (i, b) in m[16..].iter_mut().enumerate() {
        *b = (id * 31 + round * 7 + i) as u8;
    }
    m
}

/// Echoes until end of stream; `active` counts the connections being served.
fn echo(conn: TcpConn, active: &AtomicUsize) {
    let mut buf = [0u8; 256];
    loop {
        match (&conn).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => (&conn).write_all(&buf[..n]).expect("echo write"),
            Err(e) => panic!("echo read: {e}"),
        }
    }
    active.fetch_sub(1, Ordering::SeqCst);
}

fn echo_server_holds_two_thousand_connections() {
    ensure_fd_limit(2 * CONNECTIONS as u64 + 256);
    let started = Instant::now();
    let server = listen(&IpAddr::create("127.0.0.6", 0, IPFamily::IPv4).unwrap(), true, 4096).unwrap();
    let at = server.addr().unwrap();
    let active = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&active);
    let acceptor = thread::spawn(move || {
        (0..CONNECTIONS)
            .map(|_| {
                let conn = server.accept(PATIENCE).expect("accept");
                counter.fetch_add(1, Ordering::SeqCst);
                let counter = Arc::clone(&counter);
                thread::Builder::new().stack_size(64 * 1024).spawn(move || echo(conn, &counter)).unwrap()
            })
            .collect::<Vec<_>>()
    });
    let clients: Vec<TcpConn> = (0..CONNECTIONS).map(|_| connect(&at, PATIENCE).expect("connect")).collect();
    let handlers = acceptor.join().unwrap();
    assert_eq!(active.load(Ordering::SeqCst), CONNECTIONS, "not every connection is being served");

    // Every connection is open while the round trips run: each client thread pipelines one
    // message on each of its connections, then reads every echo back.
    let per_thread = CONNECTIONS / CLIENT_THREADS;
    let mut clients = clients.into_iter();
    let workers: Vec<_> = (0..CLIENT_THREADS)
        .map(|t| {
            let mine: Vec<TcpConn> = clients.by_ref().take(per_thread).collect();
            thread::spawn(move || {
                for round in 0..ROUNDS {
                    for (i, conn) in mine.iter().enumerate() {
                        conn.send(&message(t * per_thread + i, round), PATIENCE).map(|n| assert_eq!(n, 32)).unwrap();
                    }
                    for (i, mut conn) in mine.iter().enumerate() {
                        let mut echoed = [0u8; 32];
                        conn.read_exact(&mut echoed).unwrap();
                        assert_eq!(echoed, message(t * per_thread + i, round));
                    }
                }
                mine
            })
        })
        .collect();
    let clients: Vec<Vec<TcpConn>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(active.load(Ordering::SeqCst), CONNECTIONS, "a connection ended early");
    drop(clients);
    for h in handlers {
        h.join().unwrap();
    }
    assert_eq!(active.load(Ordering::SeqCst), 0);
    note!(
        "load: {CONNECTIONS} concurrent TCP connections, {} echo round trips, {:?}",
        CONNECTIONS * ROUNDS,
        started.elapsed()
    );
}

/// Datagrams the kernel dropped at `socket` (its receive buffer was full): the
/// `SK_MEMINFO_DROPS` word of `SO_MEMINFO`.
fn kernel_drops(socket: &UdpSocket) -> u32 {
    let info = get_sock_opt_bytes(socket, SOL_SOCKET, libc::SO_MEMINFO, 64).unwrap();
    let at = libc::SK_MEMINFO_DROPS as usize * 4;
    u32::from_ne_bytes(info[at..at + 4].try_into().unwrap())
}

/// The same count from `/proc/net/udp` (last column of the socket's line), as a cross-check.
fn proc_drops(addr: IpAddr) -> u32 {
    let std::net::SocketAddr::V4(v4) = addr.into() else { panic!("{addr} is not IPv4") };
    let ip = u32::from_ne_bytes(v4.ip().octets());
    let local = format!("{ip:08X}:{:04X}", addr.port());
    let table = std::fs::read_to_string("/proc/net/udp").unwrap();
    let line = table.lines().find(|l| l.split_whitespace().nth(1) == Some(&local)).expect("socket in /proc/net/udp");
    line.split_whitespace().last().unwrap().parse().unwrap()
}

/// Packets the kernel dropped before any socket saw them, because a CPU's input backlog was
/// full (second column of `/proc/net/softnet_stat`, summed over CPUs). Loopback traffic
/// passes that backlog; it is system-wide, so it can only bound the loss from above.
fn backlog_drops() -> u64 {
    let stat = std::fs::read_to_string("/proc/net/softnet_stat").unwrap();
    stat.lines().map(|l| u64::from_str_radix(l.split_whitespace().nth(1).unwrap(), 16).unwrap()).sum()
}

fn datagram(seq: u32) -> [u8; 64] {
    let mut d = [0u8; 64];
    d[..4].copy_from_slice(&seq.to_le_bytes());
    for (i, b) in d[4..].iter_mut().enumerate() {
        *b = seq.wrapping_mul(13).wrapping_add(i as u32) as u8;
    }
    d
}

/// Sends `DATAGRAMS` numbered datagrams from one socket to another, at full speed or at most
/// `window` ahead of the receiver, and accounts for every one: received intact exactly once,
/// or dropped by the kernel. Returns (received, dropped).
fn datagram_run(window: Option<u32>) -> (u32, u32) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    let rx = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&rx, &"127.0.0.7:0".parse().unwrap(), true).unwrap();
    let to = rx.addr().unwrap();
    let backlog_before = backlog_drops();
    let received = Arc::new(AtomicU32::new(0));
    let progress = Arc::clone(&received);
    let sender = thread::spawn(move || {
        let tx = UdpSocket::new(IPFamily::IPv4).unwrap();
        bind(&tx, &"127.0.0.7:0".parse().unwrap(), true).unwrap();
        for seq in 0..DATAGRAMS {
            while window.is_some_and(|w| seq - progress.load(Ordering::Relaxed) >= w) {
                assert!(Instant::now() < deadline, "the receiver stopped making progress");
                thread::yield_now();
            }
            assert_eq!(tx.send(&datagram(seq), &to, 5.0).unwrap(), 64);
        }
        tx.addr().unwrap()
    });
    let mut seen = vec![false; DATAGRAMS as usize];
    let mut buf = [0u8; 128];
    // Until the sender is done and nothing more arrives for 500 ms.
    loop {
        match rx.recv_from_into(&mut buf, Duration::from_millis(500), 0) {
            Ok((len, _)) => {
                assert_eq!(len, 64, "a datagram changed length");
                let seq = u32::from_le_bytes(buf[..4].try_into().unwrap());
                assert!(seq < DATAGRAMS, "unknown datagram {seq}");
                assert_eq!(buf[..64], datagram(seq), "datagram {seq} corrupted");
                assert!(!std::mem::replace(&mut seen[seq as usize], true), "datagram {seq} received twice");
                received.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut && sender.is_finished() => break,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("recv: {e}"),
        }
        assert!(Instant::now() < deadline, "the run takes too long");
    }
    let from = sender.join().unwrap();
    assert_eq!(from.host(), "127.0.0.7");
    let received = received.load(Ordering::Relaxed);
    let dropped = kernel_drops(&rx);
    assert_eq!(dropped, proc_drops(to), "SO_MEMINFO and /proc/net/udp disagree");
    let in_backlog = backlog_drops() - backlog_before;
    assert!(received > 0);
    // Every datagram missing is one the kernel counted as dropped: at the socket, or (rarely,
    // when softirqs are deferred) in the input backlog.
    let accounted = u64::from(received + dropped);
    assert!(
        accounted <= u64::from(DATAGRAMS) && u64::from(DATAGRAMS) <= accounted + in_backlog,
        "{received} received + {dropped} dropped at the socket + {in_backlog} in the backlog != {DATAGRAMS} sent"
    );
    let pace = window.map_or("full speed".to_string(), |w| format!("window {w}"));
    note!(
        "load: {DATAGRAMS} UDP datagrams at {pace}: {received} received intact, {dropped} dropped by the kernel \
         (full receive buffer), {in_backlog} input-backlog drops system-wide, {:?}",
        started.elapsed()
    );
    (received, dropped)
}

fn every_datagram_is_received_or_counted_as_dropped() {
    datagram_run(None);
}

/// With the sender never more than 64 datagrams ahead, the receive buffer never fills, so
/// nothing may be missing at all.
fn paced_datagrams_all_arrive() {
    assert_eq!(datagram_run(Some(64)), (DATAGRAMS, 0));
}
