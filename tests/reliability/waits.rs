//! The waits of receives and accepts timed by the socket's `SO_RCVTIMEO` (`src/wait/recv_timer.rs`,
//! `src/wait/accept.rs`): threads sharing one socket each keep their own deadline; an indefinite
//! call after timed ones waits for ever (or as long as the user's own `SO_RCVTIMEO` says);
//! readiness a call cannot use costs no CPU; an `EINTR` on every try still ends on time; and
//! the precision of timeouts from 0.1 ms to 1 s (run with `--nocapture` to see the table).
//!
//! Timing assertions are strict below ("never earlier than asked") and generous above
//! ([`SLACK`]), as these binaries share the machine with each other.

use std::io::ErrorKind;
use std::thread;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::trials::{STRACE, Test, trial};
use crate::support::{PATIENCE, SLACK, assert_waited, timed};
use chapel_socket::{
    AnySocket, IPFamily, SO_RCVTIMEO, SOL_SOCKET, Timeout, UdpSocket, bind, connect, get_sock_opt_bytes, set_sock_opt,
};

/// The tests, each with what it needs beyond the crate (`support::trials`): without it, a
/// test is ignored, with the reason, or fails under `CI=true`.
pub const TESTS: &[Test] = &[
    trial!(threads_sharing_a_udp_socket_each_keep_their_deadline),
    trial!(threads_sharing_a_tcp_connection_each_keep_their_deadline),
    trial!(threads_sharing_a_listener_each_keep_their_deadline),
    trial!(threads_accepting_with_one_timeout_take_every_connection_and_keep_their_deadline),
    trial!(indefinite_udp_recv_after_a_timed_one_waits_for_ever),
    trial!(indefinite_recvs_beside_timed_ones_that_rearm_never_fail),
    trial!(indefinite_tcp_recv_and_read_after_a_timed_one_wait_for_ever),
    trial!(indefinite_accept_after_a_timed_one_waits_for_ever),
    trial!(users_rcvtimeo_bounds_indefinite_udp_recv),
    trial!(users_rcvtimeo_bounds_indefinite_tcp_recv),
    trial!(users_rcvtimeo_set_during_an_indefinite_recv_takes_effect),
    #[cfg(has_msg_errqueue)]
    trial!(error_queue_receive_beside_a_datagram_does_not_spin),
    #[cfg(has_msg_errqueue)]
    trial!(pending_error_queue_does_not_make_recv_spin),
    trial!(every_recvfrom_interrupted, STRACE),
    trial!(precision_fresh_socket),
    trial!(precision_steady_state),
];

/// A UDP socket bound to `host`, port 0.
fn bound_udp(host: &str) -> UdpSocket {
    let family = if host.contains(':') { IPFamily::IPv6 } else { IPFamily::IPv4 };
    let socket = UdpSocket::new(family).unwrap();
    bind(&socket, &chapel_socket::IpAddr::create(host, 0, family).unwrap(), true).unwrap();
    socket
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The timeouts of the threads that share one socket.
const SHARED: [Duration; 3] = [Duration::from_millis(50), Duration::from_millis(400), Duration::from_millis(1200)];

/// Runs `wait(timeout)` on one thread per [`SHARED`] timeout, all on one socket, three
/// times: in round `k` the thread of timeout `k` starts first (and so holds the socket's
/// `SO_RCVTIMEO`) and the others 20 ms later. Each must end `TimedOut` on its own deadline.
fn each_keeps_its_deadline(what: &str, wait: impl Fn(Duration) -> chapel_socket::Result<()> + Sync) {
    for (first, first_timeout) in SHARED.iter().enumerate() {
        let ends = thread::scope(|s| {
            let wait = &wait;
            let handles: Vec<_> = SHARED
                .iter()
                .enumerate()
                .map(|(k, &timeout)| {
                    s.spawn(move || {
                        if k != first {
                            thread::sleep(Duration::from_millis(20));
                        }
                        let (result, elapsed) = timed(|| wait(timeout));
                        (timeout, result, elapsed)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
        });
        for (timeout, result, elapsed) in ends {
            let label = format!("{what}, {timeout:?} of {SHARED:?}, {first_timeout:?} first");
            match result {
                Ok(()) => panic!("{label}: nothing was sent, yet the call succeeded"),
                Err(e) => assert_eq!(e.kind(), ErrorKind::TimedOut, "{label}: {e}"),
            }
            assert_waited(elapsed, timeout, &label);
        }
    }
}

fn threads_sharing_a_udp_socket_each_keep_their_deadline() {
    // recv on IPv4, recv_from_into on IPv6: every receive form shares the same wait.
    for host in ["127.0.0.1", "::1"] {
        let socket = bound_udp(host);
        each_keeps_its_deadline(&format!("udp receive on {host}"), |t| match host {
            "127.0.0.1" => socket.recv(64, t).map(drop),
            _ => socket.recv_from_into(&mut [0; 64], t, 0).map(drop),
        });
        // The socket still works afterwards, whoever held its timer.
        socket.send(b"after", &socket.addr().unwrap(), PATIENCE).unwrap();
        assert_eq!(socket.recv(64, PATIENCE).unwrap(), b"after");
    }
}

fn threads_sharing_a_tcp_connection_each_keep_their_deadline() {
    let (_server, client, accepted) = support::pair(&"127.0.0.1:0".parse().unwrap());
    each_keeps_its_deadline("tcp recv", |t| accepted.recv(&mut [0; 64], t).map(drop));
    assert_eq!(client.send(b"after", PATIENCE).unwrap(), 5);
    let mut buf = [0; 8];
    assert_eq!(accepted.recv(&mut buf, PATIENCE).unwrap(), 5);
}

fn threads_sharing_a_listener_each_keep_their_deadline() {
    for any in support::loopbacks() {
        let server = support::listener(&any);
        each_keeps_its_deadline(&format!("accept on {any}"), |t| server.accept(t).map(drop));
        // The listener still accepts, in whichever mode the last caller left it.
        let _client = connect(&server.addr().unwrap(), PATIENCE).unwrap();
        server.accept(PATIENCE).unwrap();
    }
}

/// Four threads accept in a loop with one timeout, so they block side by side in `accept4`
/// under one armed `SO_RCVTIMEO` (the kernel hands each connection to one of them): every
/// connection of a burst is taken exactly once, and when the connections stop each thread's
/// last accept times out, never before its timeout, within a generous bound after it.
fn threads_accepting_with_one_timeout_take_every_connection_and_keep_their_deadline() {
    const CONNECTIONS: usize = 200;
    let timeout = Duration::from_millis(400);
    for any in support::loopbacks() {
        // A backlog that holds the whole burst: beyond it Linux drops the handshake's last
        // ACK, and the connection reaches the queue only on a retransmission a second later.
        let server = chapel_socket::listen(&any, true, 2 * CONNECTIONS as u16).unwrap();
        let at = server.addr().unwrap();
        let taken: usize = thread::scope(|s| {
            let acceptors: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let mut taken = 0;
                        loop {
                            let (result, elapsed) = timed(|| server.accept(timeout));
                            match result {
                                Ok(_conn) => taken += 1,
                                Err(e) => {
                                    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
                                    assert_waited(elapsed, timeout, "an accept beside others");
                                    return taken;
                                }
                            }
                        }
                    })
                })
                .collect();
            let clients: Vec<_> = (0..CONNECTIONS).map(|_| connect(&at, PATIENCE).unwrap()).collect();
            let taken = acceptors.into_iter().map(|a| a.join().unwrap()).sum();
            drop(clients);
            taken
        });
        assert_eq!(taken, CONNECTIONS, "connections taken on {any}");
    }
}

/// How long after the timed call the event of an indefinite one comes: longer than anything
/// the crate armed for the timed call before it.
const LATE: Duration = Duration::from_millis(1500);

/// A timed receive arms the crate's `SO_RCVTIMEO`; an indefinite one after it must still
/// wait for ever (here: until a datagram comes 1.5 s later), not end at the armed value.
fn indefinite_udp_recv_after_a_timed_one_waits_for_ever() {
    // 200 ms arms about 175 ms, 1 s about 875 ms: both well short of the datagram's 1.5 s.
    for (host, timed_first) in [("127.0.0.1", 0.2), ("::1", 1.0)] {
        let socket = bound_udp(host);
        let peer = bound_udp(host);
        let to = socket.addr().unwrap();
        let (result, elapsed) = timed(|| socket.recv(64, timed_first));
        assert_eq!(result.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(elapsed, Duration::from_secs_f64(timed_first), "udp recv");
        thread::scope(|s| {
            s.spawn(|| {
                thread::sleep(LATE);
                peer.send(b"late", &to, PATIENCE).unwrap();
            });
            let (got, elapsed) = timed(|| socket.recv(64, Timeout::INDEFINITE));
            assert_eq!(got.unwrap(), b"late", "{host}, after a {timed_first} s recv");
            assert!(elapsed >= LATE - Duration::from_millis(5), "{elapsed:?}");
        });
    }
}

/// Indefinite receives on one thread while another re-arms the socket's `SO_RCVTIMEO` for
/// its own timed receives (20 ms and 45 ms in turn, so every one re-arms): an indefinite
/// receive on a socket that holds no timeout blocks without taking the timer, so a value
/// armed between its check and its `recvfrom` can end that call with `EAGAIN`. It must
/// never come out as an error: every indefinite receive returns a datagram, and the timed
/// ones end with a datagram or `TimedOut`.
fn indefinite_recvs_beside_timed_ones_that_rearm_never_fail() {
    const WANTED: usize = 10;
    let socket = bound_udp("127.0.0.1");
    let to = socket.addr().unwrap();
    let peer = bound_udp("127.0.0.1");
    let got = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicBool::new(false);
    let timed_results = thread::scope(|s| {
        let indefinite = s.spawn(|| {
            for _ in 0..WANTED {
                let datagram = socket.recv(64, Timeout::INDEFINITE);
                assert_eq!(datagram.as_deref().map_err(|e| e.kind()), Ok(&b"datagram"[..]));
                got.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let timed = s.spawn(|| {
            let mut results = Vec::new();
            for round in 0.. {
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let timeout = if round % 2 == 0 { 0.02 } else { 0.045 };
                results.push(socket.recv(64, timeout).map(drop).map_err(|e| e.kind()));
            }
            results
        });
        // A datagram every 10 ms until the indefinite thread has its share (bounded: 2000).
        for _ in 0..2000 {
            if got.load(std::sync::atomic::Ordering::SeqCst) >= WANTED {
                break;
            }
            peer.send(b"datagram", &to, PATIENCE).unwrap();
            thread::sleep(Duration::from_millis(10));
        }
        // Wakes the indefinite thread if it is still short (its assertion then fails).
        for _ in 0..500 {
            if indefinite.is_finished() {
                break;
            }
            peer.send(b"datagram", &to, PATIENCE).unwrap();
            thread::sleep(Duration::from_millis(10));
        }
        assert!(indefinite.is_finished(), "the indefinite receives did not end");
        indefinite.join().unwrap();
        timed.join().unwrap()
    });
    assert_eq!(got.into_inner(), WANTED);
    assert!(!timed_results.is_empty());
    for result in timed_results {
        assert!(matches!(result, Ok(()) | Err(ErrorKind::TimedOut)), "a timed recv ended with {result:?}");
    }
}

fn indefinite_tcp_recv_and_read_after_a_timed_one_wait_for_ever() {
    use std::io::Read;
    let (_server, client, mut accepted) = support::pair(&"127.0.0.1:0".parse().unwrap());
    for indefinite_read in [false, true] {
        let (result, elapsed) = timed(|| accepted.recv(&mut [0; 16], 0.2));
        assert_eq!(result.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(elapsed, Duration::from_millis(200), "tcp recv");
        thread::scope(|s| {
            s.spawn(|| {
                thread::sleep(LATE);
                client.send(b"late", PATIENCE).unwrap();
            });
            let mut buf = [0; 16];
            let (got, elapsed) = timed(|| match indefinite_read {
                false => accepted.recv(&mut buf, Timeout::INDEFINITE).map_err(std::io::Error::from),
                true => accepted.read(&mut buf),
            });
            assert_eq!(got.unwrap(), 4, "read: {indefinite_read}");
            assert_eq!(&buf[..4], b"late");
            assert!(elapsed >= LATE - Duration::from_millis(5), "{elapsed:?}");
        });
    }
}

fn indefinite_accept_after_a_timed_one_waits_for_ever() {
    for any in support::loopbacks() {
        let server = support::listener(&any);
        let addr = server.addr().unwrap();
        let (result, elapsed) = timed(|| server.accept(0.2));
        assert_eq!(result.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(elapsed, Duration::from_millis(200), "accept");
        thread::scope(|s| {
            let client = s.spawn(|| {
                thread::sleep(LATE);
                connect(&addr, PATIENCE).unwrap()
            });
            let (got, elapsed) = timed(|| server.accept(Timeout::INDEFINITE));
            let conn = got.unwrap();
            assert!(elapsed >= LATE - Duration::from_millis(5), "{elapsed:?}");
            assert_eq!(chapel_socket::get_sock_name(&conn).unwrap(), addr);
            drop(client.join().unwrap());
        });
    }
}

/// The user's own `SO_RCVTIMEO` in these tests: a multiple of every common tick length, so
/// the kernel reports it back exactly or within a tick.
const USERS: Duration = Duration::from_millis(200);

/// Checks that `socket` reports `USERS` for `SO_RCVTIMEO` (exactly, or rounded up to the
/// kernel's tick when the kernel is asked).
fn reports_users_value<S: AnySocket>(socket: &S, when: &str) {
    let bytes = get_sock_opt_bytes(socket, SOL_SOCKET, SO_RCVTIMEO, 64).unwrap();
    let reported = support::duration_of_timeval(&bytes);
    assert!(
        (USERS..USERS + Duration::from_millis(11)).contains(&reported),
        "{when}: SO_RCVTIMEO reads {reported:?}, not the user's {USERS:?}"
    );
}

/// The user's `SO_RCVTIMEO` bounds indefinite receives (`WouldBlock`, as in C), also after
/// timed calls armed the crate's own value; `get_sock_opt_bytes` reports the user's value
/// throughout; a timed call ends on its own timeout, shorter or longer than the user's.
fn users_rcvtimeo_is_kept_apart<S: AnySocket>(socket: &S, recv: impl Fn(Timeout) -> chapel_socket::Result<usize>) {
    set_sock_opt(socket, SOL_SOCKET, SO_RCVTIMEO, &support::timeval_bytes(USERS)[..]).unwrap();
    reports_users_value(socket, "just set");
    let indefinite = |when: &str| {
        let (result, elapsed) = timed(|| recv(Timeout::INDEFINITE));
        let e = result.unwrap_err();
        assert_eq!((e.kind(), e.raw_os_error()), (ErrorKind::WouldBlock, Some(libc::EAGAIN)), "{when}: {e}");
        assert_waited(elapsed, USERS, when);
    };
    indefinite("indefinite, first");
    for timeout in [0.05, 0.5, 1.0, 0.05] {
        let (result, elapsed) = timed(|| recv(Timeout::from(timeout)));
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{timeout} s under the user's {USERS:?}: {e}");
        assert_waited(elapsed, Duration::from_secs_f64(timeout), "timed under the user's SO_RCVTIMEO");
        reports_users_value(socket, &format!("after a {timeout} s recv"));
        indefinite(&format!("indefinite after a {timeout} s recv"));
        reports_users_value(socket, &format!("after an indefinite recv after a {timeout} s one"));
    }
}

fn users_rcvtimeo_bounds_indefinite_udp_recv() {
    let socket = bound_udp("127.0.0.1");
    users_rcvtimeo_is_kept_apart(&socket, |t| socket.recv_into(&mut [0; 64], t));
    // Set back to none, an indefinite receive waits for ever again.
    set_sock_opt(&socket, SOL_SOCKET, SO_RCVTIMEO, &support::timeval_bytes(Duration::ZERO)[..]).unwrap();
    let to = socket.addr().unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(600));
            bound_udp("127.0.0.1").send(b"late", &to, PATIENCE).unwrap();
        });
        let (got, elapsed) = timed(|| socket.recv(64, Timeout::INDEFINITE));
        assert_eq!(got.unwrap(), b"late");
        assert!(elapsed >= Duration::from_millis(590), "{elapsed:?}");
    });
}

fn users_rcvtimeo_bounds_indefinite_tcp_recv() {
    let (_server, _client, accepted) = support::pair(&"[::1]:0".parse().unwrap());
    users_rcvtimeo_is_kept_apart(&accepted, |t| accepted.recv(&mut [0; 64], t));
}

/// The user sets `SO_RCVTIMEO` while another thread waits in an indefinite receive on the
/// same socket (so holds its timer, with the user's old value in the kernel). The new value
/// must still reach the kernel: `get_sock_opt_bytes` reports it, and the next indefinite
/// receive ends after it (`set_user` defers the `setsockopt` while the timer is claimed,
/// and the next call that needs the user's value applies it).
fn users_rcvtimeo_set_during_an_indefinite_recv_takes_effect() {
    let socket = bound_udp("127.0.0.1");
    let to = socket.addr().unwrap();
    thread::scope(|s| {
        let waiter = s.spawn(|| socket.recv(64, Timeout::INDEFINITE));
        // Let the waiter block in its recvfrom (holding the socket's timer).
        thread::sleep(Duration::from_millis(200));
        set_sock_opt(&socket, SOL_SOCKET, SO_RCVTIMEO, &support::timeval_bytes(USERS)[..]).unwrap();
        bound_udp("127.0.0.1").send(b"wake", &to, PATIENCE).unwrap();
        assert_eq!(waiter.join().unwrap().unwrap(), b"wake");
    });
    reports_users_value(&socket, "set while an indefinite recv waited");
    let (tx, rx) = std::sync::mpsc::channel();
    thread::scope(|s| {
        s.spawn(|| tx.send(timed(|| socket.recv(64, Timeout::INDEFINITE).map_err(|e| e.kind()))).unwrap());
        match rx.recv_timeout(USERS + SLACK) {
            Ok((result, elapsed)) => {
                assert_eq!(result.unwrap_err(), ErrorKind::WouldBlock);
                assert_waited(elapsed, USERS, "indefinite recv under the user's SO_RCVTIMEO");
            }
            Err(_) => {
                // Free the waiter, then fail.
                bound_udp("127.0.0.1").send(b"free", &to, PATIENCE).unwrap();
                panic!("the indefinite recv ignored the user's {USERS:?} SO_RCVTIMEO");
            }
        }
    });
}

/// CPU time (user + system) this thread has used so far.
#[cfg(has_msg_errqueue)]
fn thread_cpu() -> Duration {
    // SAFETY: an all-zero rusage is a valid value for getrusage to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a live rusage the call writes.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) }, 0);
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The most CPU a wait may use, as a share of its wall time.
#[cfg(has_msg_errqueue)]
const MAX_CPU: f64 = 0.05;

/// Runs `wait` (which must time out) on this thread and checks it took at least `timeout`,
/// at most [`SLACK`] more, and no more than [`MAX_CPU`] of a CPU.
#[cfg(has_msg_errqueue)]
fn times_out_without_spinning(what: &str, timeout: Duration, wait: impl FnOnce() -> chapel_socket::Result<()>) {
    let cpu = thread_cpu();
    let (result, elapsed) = timed(wait);
    let used = thread_cpu() - cpu;
    let e = result.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{what}: {e}");
    assert_waited(elapsed, timeout, what);
    let share = secs(used) / secs(elapsed);
    support::trials::note!("waits: {what}: {elapsed:?}, CPU {used:?} ({:.2} %)", share * 100.0);
    assert!(share <= MAX_CPU, "{what}: used {used:?} of CPU in {elapsed:?} ({:.1} %)", share * 100.0);
}

/// `MSG_ERRQUEUE` with an ordinary datagram queued: the datagram's readiness is of no use to
/// the call, which must sleep until its timeout rather than spin.
#[cfg(has_msg_errqueue)]
fn error_queue_receive_beside_a_datagram_does_not_spin() {
    let socket = bound_udp("127.0.0.1");
    socket.send(b"ordinary", &socket.addr().unwrap(), PATIENCE).unwrap();
    for timeout in [1.0, 0.3] {
        times_out_without_spinning(
            &format!("recvfrom({timeout} s, MSG_ERRQUEUE)"),
            Duration::from_secs_f64(timeout),
            || socket.recvfrom(64, timeout, libc::MSG_ERRQUEUE).map(drop),
        );
    }
    assert_eq!(socket.recv(64, 0.0).unwrap(), b"ordinary", "the datagram is still there");
}

/// A UDP socket with `IP_RECVERR` that sent to a closed port has an entry in its error
/// queue, so it polls `POLLERR` at once, for ever, while a plain receive finds nothing:
/// after the first receive reports the refusal, later ones must sleep until their timeout
/// rather than spin — alone, steady (same timeout again), and beside another thread that
/// holds the socket's `SO_RCVTIMEO`.
#[cfg(has_msg_errqueue)]
fn pending_error_queue_does_not_make_recv_spin() {
    let socket = bound_udp("127.0.0.1");
    set_sock_opt(&socket, libc::IPPROTO_IP, libc::IP_RECVERR, 1).unwrap();
    let closed = bound_udp("127.0.0.1").addr().unwrap(); // dropped at once: nobody listens there
    socket.send(b"nobody", &closed, PATIENCE).unwrap();
    let e = socket.recv(64, 1.0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "the ICMP port unreachable: {e}");
    for (what, timeout) in [("recv", 1.0), ("recv again, same timeout", 1.0), ("recv, short", 0.2)] {
        times_out_without_spinning(what, Duration::from_secs_f64(timeout), || socket.recv(64, timeout).map(drop));
    }
    thread::scope(|s| {
        let holder = s.spawn(|| timed(|| socket.recv(64, 1.6)));
        thread::sleep(Duration::from_millis(50));
        times_out_without_spinning("recv beside a thread holding the timer", Duration::from_secs(1), || {
            socket.recv(64, 1.0).map(drop)
        });
        let (result, elapsed) = holder.join().unwrap();
        assert_eq!(result.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(elapsed, Duration::from_millis(1600), "the holder");
    });
    // The entry is still there to read.
    let (entry, _) = socket.recvfrom(64, 0.0, libc::MSG_ERRQUEUE).unwrap();
    assert_eq!(entry, b"nobody");
}

/// The child's half of [`every_recvfrom_interrupted`]: timed receives whose every
/// `recvfrom` strace fails with `EINTR`, with nothing queued and with a datagram queued.
/// Prints one `eintr: <case> <kind> <seconds>` line per case.
const EINTR_TEST: &str = "waits::every_recvfrom_interrupted";
const EINTR_TIMEOUT: Duration = Duration::from_millis(300);

fn interrupted_receives() {
    let socket = bound_udp("127.0.0.1");
    for case in ["empty", "queued"] {
        if case == "queued" {
            socket.send(b"queued", &socket.addr().unwrap(), PATIENCE).unwrap();
        }
        let (result, elapsed) = timed(|| socket.recv(64, EINTR_TIMEOUT));
        let kind = result.map_or_else(|e| format!("{:?}", e.kind()), |d| format!("Ok({} bytes)", d.len()));
        eprintln!("eintr: {case} {kind} {:.6}", secs(elapsed));
    }
}

/// `EINTR` on every try (strace injects it into every `recvfrom`): a timed receive still
/// ends `TimedOut`, no earlier than asked, whether a datagram is queued or not, and with
/// one queued (its readiness wakes every wait) it backs off instead of retrying flat out.
fn every_recvfrom_interrupted() {
    if support::is_child(EINTR_TEST) {
        interrupted_receives();
        return;
    }
    // --seccomp-bpf: only recvfrom stops the child, so the other calls keep their timing.
    let wrapper = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=recvfrom", "-e", "inject=recvfrom:error=EINTR"];
    let out = support::run_in_child_under(&wrapper, EINTR_TEST);
    let injected = out
        .lines()
        .filter(|l| l.contains("recvfrom(") && l.contains("= -1 EINTR") && l.ends_with("(INJECTED)"))
        .count();
    let ended: Vec<(&str, &str, f64)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("eintr: "))
        .map(|l| {
            let mut words = l.split(' ');
            let (case, kind, secs) = (words.next().unwrap(), words.next().unwrap(), words.next().unwrap());
            (case, kind, secs.parse().unwrap())
        })
        .collect();
    assert_eq!(ended.len(), 2, "{out}");
    for (case, kind, elapsed) in ended {
        assert_eq!(kind, "TimedOut", "{case}:\n{out}");
        let elapsed = Duration::from_secs_f64(elapsed);
        assert_waited(elapsed, EINTR_TIMEOUT, &format!("recv with every recvfrom interrupted, {case}"));
    }
    // Each case tries at least twice; with the datagram's readiness waking every wait, the
    // loop backs off to 10 ms sleeps: some 40 tries in 300 ms, not thousands.
    assert!((4..400).contains(&injected), "{injected} injected EINTRs:\n{out}");
    support::trials::note!("waits: every recvfrom interrupted: {injected} tries in two 300 ms receives");
}

/// The timeouts of the precision table, with repetitions (fewer for the long ones).
const PRECISION: [(&str, Duration, usize); 7] = [
    ("0.1 ms", Duration::from_micros(100), 200),
    ("0.5 ms", Duration::from_micros(500), 200),
    ("1 ms", Duration::from_millis(1), 100),
    ("5 ms", Duration::from_millis(5), 50),
    ("20 ms", Duration::from_millis(20), 30),
    ("100 ms", Duration::from_millis(100), 10),
    ("1 s", Duration::from_secs(1), 3),
];

/// Times `recv(timeout)` `reps` times, on a socket of its own each time (`fresh`) or on one
/// socket throughout, asserting each ends `TimedOut` and never earlier than asked; prints
/// the overshoot's median, p99 and maximum.
fn precision(fresh: bool) {
    let mode = if fresh { "fresh" } else { "steady" };
    let steady = bound_udp("127.0.0.1");
    for (label, timeout, reps) in PRECISION {
        let mut over = Vec::with_capacity(reps);
        for _ in 0..reps {
            let own = fresh.then(|| bound_udp("127.0.0.1"));
            let socket = own.as_ref().unwrap_or(&steady);
            let start = Instant::now();
            let result = socket.recv(64, timeout);
            let elapsed = start.elapsed();
            let e = result.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{mode} {label}: {e}");
            assert!(elapsed >= timeout, "{mode} {label}: ended after {elapsed:?}, earlier than asked");
            assert!(elapsed < timeout + SLACK, "{mode} {label}: ended after {elapsed:?}");
            over.push(elapsed - timeout);
        }
        over.sort();
        let p99 = over[(over.len() * 99).div_ceil(100) - 1];
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        support::trials::note!(
            "precision: {mode:<6} {label:<7} n={reps:<4} overshoot median {:>8.1} µs, p99 {:>8.1} µs, max {:>8.1} µs",
            us(over[over.len() / 2]),
            us(p99),
            us(over[over.len() - 1])
        );
    }
}

/// Every receive on a socket of its own: the call arms `SO_RCVTIMEO` first.
fn precision_fresh_socket() {
    precision(true);
}

/// Every receive on the same socket, each timeout repeated: after the first, the armed
/// value suits, so a call is one blocking `recvfrom` and a `ppoll` for the remainder.
fn precision_steady_state() {
    precision(false);
}
