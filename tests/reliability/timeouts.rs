//! Timeouts are never shorter than asked, on accept, connect, TCP recv and UDP recv, for
//! zero, sub-millisecond-rounded, millisecond and second values in every form a timeout can
//! take; signals arriving during a wait neither shorten nor cancel it.
//!
//! Each case prints how much later than asked the call returned (median and p99 over its
//! repetitions): run with `--nocapture` to see them. Only a generous upper bound is asserted.

use std::io::{ErrorKind, Write};
use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::trials::{Test, note, trial};
use crate::support::{FullQueue, SLACK};
use chapel_socket::{
    INDEFINITE_TIMEOUT, IPFamily, IpAddr, TcpConn, Timeout, UdpSocket, bind, connect, listen, struct_timeval,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(accept_never_times_out_early),
    trial!(connect_never_times_out_early),
    trial!(tcp_recv_never_times_out_early),
    trial!(udp_recv_never_times_out_early),
    trial!(signals_never_shorten_a_bounded_wait),
    trial!(signals_never_cancel_an_indefinite_wait),
];

/// The timeouts measured, in the forms callers write them, with repetitions (few for long
/// ones, to bound the run time).
fn cases() -> Vec<(&'static str, Timeout, usize)> {
    vec![
        ("0 (f64 0.0)", Timeout::from(0.0), 50),
        ("1 ms (Duration)", Timeout::from(Duration::from_millis(1)), 50),
        ("2.5 ms (f64 0.0025)", Timeout::from(0.0025), 30),
        ("10 ms (timeval 0 s 10000 us)", Timeout::from(struct_timeval { tv_sec: 0, tv_usec: 10_000 }), 30),
        ("33.3 ms (f64 0.0333)", Timeout::from(0.0333), 10),
        ("100 ms (f64 0.1)", Timeout::from(0.1), 5),
        ("1 s (timeval 1 s)", Timeout::from(struct_timeval { tv_sec: 1, tv_usec: 0 }), 2),
    ]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `wait` for every case, asserting a timeout never earlier than asked, and prints the
/// overshoot distribution.
fn measure<T: std::fmt::Debug>(op: &str, mut wait: impl FnMut(Timeout) -> chapel_socket::Result<T>) {
    for (label, timeout, reps) in cases() {
        let asked = timeout.duration().unwrap();
        let mut over = Vec::with_capacity(reps);
        for _ in 0..reps {
            let start = Instant::now();
            let result = wait(timeout);
            let elapsed = start.elapsed();
            let err = result.expect_err("the call should time out");
            assert_eq!(err.kind(), ErrorKind::TimedOut, "{op} {label}: {err}");
            assert!(elapsed >= asked, "{op} {label}: returned after {elapsed:?}, earlier than asked");
            assert!(elapsed < asked + SLACK, "{op} {label}: returned after {elapsed:?}");
            over.push(elapsed - asked);
        }
        over.sort();
        let p99 = over[(over.len() * 99).div_ceil(100) - 1];
        note!(
            "timeouts: {op:<10} {label:<30} n={reps:<3} overshoot median {:.3} ms, p99 {:.3} ms",
            ms(over[over.len() / 2]),
            ms(p99)
        );
    }
}

/// A listener on `host` (IPv4, port 0) whose accept queue is full, so the kernel drops new
/// SYNs and connects to it wait. Each test has a host of its own.
fn full_listener(host: &str) -> FullQueue {
    support::full_queue(&IpAddr::create(host, 0, IPFamily::IPv4).unwrap())
}

fn connected_pair() -> (TcpConn, TcpConn) {
    let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap();
    let client = connect(&server.addr().unwrap(), 2.0).unwrap();
    (client, server.accept(2.0).unwrap())
}

fn bound_udp() -> UdpSocket {
    let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&socket, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
    socket
}

fn accept_never_times_out_early() {
    let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap();
    measure("accept", |t| server.accept(t));
}

fn connect_never_times_out_early() {
    let full = full_listener("127.0.0.3");
    measure("connect", |t| connect(&full.addr(), t));
}

fn tcp_recv_never_times_out_early() {
    let (client, _peer) = connected_pair();
    let mut buf = [0; 16];
    measure("tcp recv", |t| client.recv(&mut buf, t));
}

fn udp_recv_never_times_out_early() {
    let socket = bound_udp();
    measure("udp recv", |t| socket.recv(16, t));
    let mut buf = [0; 16];
    measure("udp recvfrom", |t| socket.recv_from_into(&mut buf, t, 0));
}

/// Signals delivered to the no-op handler.
static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_signal(_: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::Relaxed);
}

/// Installs the SIGUSR1 handler without `SA_RESTART`, so every signal makes a blocking
/// syscall of the receiving thread fail with `EINTR`.
fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed sigaction is valid; the handler only touches an atomic, which is
        // async-signal-safe; sa_flags 0 leaves SA_RESTART off.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = count_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()), 0);
        }
    });
}

/// Runs `wait` on a thread of its own while this thread sends it SIGUSR1 every 2 ms; returns
/// what `wait` returned, how long it took, and how many signals the handler saw meanwhile.
fn under_signals<T: Send + 'static>(wait: impl FnOnce() -> T + Send + 'static) -> (T, Duration, usize) {
    install_handler();
    let done = Arc::new(AtomicBool::new(false));
    let finished = Arc::clone(&done);
    let start = Instant::now();
    let waiter = thread::spawn(move || {
        let out = wait();
        finished.store(true, Ordering::SeqCst);
        (out, start.elapsed())
    });
    let target = waiter.as_pthread_t();
    let before = SIGNALS.load(Ordering::Relaxed);
    let give_up = start + Duration::from_secs(20);
    while !done.load(Ordering::SeqCst) && Instant::now() < give_up {
        // SAFETY: `target` is a thread not yet joined, so its id is valid; SIGUSR1 has a
        // handler installed.
        assert_eq!(unsafe { libc::pthread_kill(target, libc::SIGUSR1) }, 0);
        thread::sleep(Duration::from_millis(2));
    }
    let signals = SIGNALS.load(Ordering::Relaxed) - before;
    let (out, elapsed) = waiter.join().unwrap();
    (out, elapsed, signals)
}

/// A bounded wait under a storm of signals still lasts its full timeout and times out.
fn assert_full_timeout<T>(op: &str, (result, elapsed, signals): (chapel_socket::Result<T>, Duration, usize)) {
    let asked = Duration::from_millis(200);
    let err = result.err().unwrap_or_else(|| panic!("{op} under signals: no timeout"));
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{op} under signals: {err}");
    assert!(elapsed >= asked, "{op} under signals returned after {elapsed:?}");
    assert!(elapsed < asked + SLACK, "{op} under signals returned after {elapsed:?}");
    assert!(signals >= 10, "{op}: only {signals} signals arrived during the wait");
    note!("timeouts: {op:<10} 200 ms under {signals} signals: returned after {:.3} ms", ms(elapsed));
}

fn signals_never_shorten_a_bounded_wait() {
    let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap();
    assert_full_timeout("accept", under_signals(move || server.accept(0.2).map(drop)));

    let full = full_listener("127.0.0.4");
    let at = full.addr();
    assert_full_timeout("connect", under_signals(move || connect(&at, 0.2).map(drop)));
    drop(full);

    let (client, peer) = connected_pair();
    assert_full_timeout("tcp recv", under_signals(move || client.recv(&mut [0; 8], 0.2)));
    drop(peer);

    let socket = bound_udp();
    assert_full_timeout("udp recv", under_signals(move || socket.recv(16, 0.2)));
}

/// An indefinite wait under a storm of signals goes on until its event comes, 300 ms later.
fn assert_not_cancelled<T>(op: &str, (result, elapsed, signals): (chapel_socket::Result<T>, Duration, usize)) {
    let err = result.err();
    assert!(err.is_none(), "{op} under signals failed: {}", err.unwrap());
    assert!(elapsed >= Duration::from_millis(300), "{op} returned after {elapsed:?}, before its event");
    assert!(signals >= 10, "{op}: only {signals} signals arrived during the wait");
    note!("timeouts: {op:<10} indefinite under {signals} signals: completed after {:.3} ms", ms(elapsed));
}

/// Runs `event` 300 ms from now on a thread of its own.
fn later<R: Send + 'static>(event: impl FnOnce() -> R + Send + 'static) -> thread::JoinHandle<R> {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        event()
    })
}

fn signals_never_cancel_an_indefinite_wait() {
    let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap();
    let at = server.addr().unwrap();
    let event = later(move || drop(connect(&at, 2.0).unwrap()));
    assert_not_cancelled("accept", under_signals(move || server.accept(INDEFINITE_TIMEOUT)));
    event.join().unwrap();

    let (client, peer) = connected_pair();
    let event = later(move || (&peer).write_all(b"late").unwrap());
    assert_not_cancelled("tcp recv", under_signals(move || client.recv(&mut [0; 8], INDEFINITE_TIMEOUT)));
    event.join().unwrap();

    let socket = bound_udp();
    let at = socket.addr().unwrap();
    let event = later(move || assert_eq!(UdpSocket::new(IPFamily::IPv4).unwrap().send(b"late", &at, 1.0).unwrap(), 4));
    assert_not_cancelled("udp recv", under_signals(move || socket.recv(16, INDEFINITE_TIMEOUT)));
    event.join().unwrap();

    // A blocking connect to a full queue: making room lets the SYN retransmitted after about
    // a second through, and the interrupted connect completes.
    let full = full_listener("127.0.0.5");
    let at = full.addr();
    let event = later(move || (full.listener.accept(1.0).unwrap(), full));
    assert_not_cancelled("connect", under_signals(move || connect(&at, INDEFINITE_TIMEOUT)));
    drop(event.join().unwrap());
}
