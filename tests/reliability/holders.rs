//! One socket, many holders: `dup`, `fork`, `try_clone` and hand-over share one open file
//! description (its `SO_RCVTIMEO`, its file mode), and every wait stays exact whoever else
//! holds it. Each fork runs in a child process of this test binary, killed if it outlives
//! its limit, so a wait that hangs fails the test instead of stalling the run.

use std::io::{ErrorKind, Read};
use std::time::Duration;

use crate::support::trials::{Test, trial};
use crate::support::{
    PATIENCE, SLACK, assert_waited, duration_of_timeval, is_child, is_nonblocking, listener, loopbacks, pair,
    run_in_child, timed, timeval_bytes,
};
use chapel_socket::{
    INDEFINITE_TIMEOUT, IPFamily, SO_RCVTIMEO, SOL_SOCKET, TcpConn, TcpListener, UdpSocket, bind, get_sock_opt_bytes,
    set_sock_opt,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(pre_fork_accept_keeps_its_timeout),
    trial!(pre_fork_accept_race_keeps_the_loser_timed),
    trial!(udp_dup_handles_keep_their_own_timeouts),
    trial!(fork_keeps_the_parents_timed_receive),
    trial!(the_forked_child_waits_exactly),
    trial!(a_timed_receive_leaves_another_handles_indefinite_read_waiting),
    trial!(clones_share_and_stay_exact),
    trial!(hand_over_gives_the_socket_back_as_the_user_left_it),
    trial!(a_refused_timeout_is_refused_while_a_call_waits),
    trial!(an_adopted_listener_keeps_its_mode_until_a_timed_accept),
    trial!(a_value_set_behind_the_crates_back_costs_one_late_receive),
    trial!(a_cloned_tcp_socket_connects_on_time_after_the_other_is_handed_over),
    trial!(an_outside_timeout_does_not_end_an_indefinite_accept),
    trial!(an_adopted_socket_waiting_first_stays_exact),
];

/// A forked process: runs `child` in it (killed by `SIGALRM` after `limit` seconds, so it
/// never outlives the test), and returns its pid.
fn fork_running(limit: u32, child: impl FnOnce()) -> libc::pid_t {
    // SAFETY: the test's child process has one thread doing work; the forked process runs
    // `child`, which uses only the crate, then leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: alarm only sets a timer; its default action ends the process.
        unsafe { libc::alarm(limit) };
        child();
        // SAFETY: ends the forked process without running the parent's exit handlers.
        unsafe { libc::_exit(0) };
    }
    pid
}

/// Ends a forked process and reaps it.
fn end(pid: libc::pid_t) {
    // SAFETY: `pid` is a child of this process; signalling and reaping it touches nothing else.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}

/// Another holder's `setsockopt(SO_RCVTIMEO, value)` on `fd`, made straight to the kernel so
/// the crate cannot see it.
fn set_behind_the_crates_back(fd: std::os::fd::BorrowedFd<'_>, value: libc::timeval) {
    use std::os::fd::AsRawFd;
    // SAFETY: a live timeval of the size passed, on a descriptor the caller keeps open.
    let set = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw const value).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    assert_eq!(set, 0, "{}", std::io::Error::last_os_error());
}

fn timed_out(e: &chapel_socket::Error) -> bool {
    e.kind() == ErrorKind::TimedOut
}

/// A pre-fork server: a timed accept armed the listener and made it blocking, then the
/// process forked; the child accepts with no timeout (which would put the user's value,
/// none, back in the kernel) and the parent's timed accept still ends at its timeout.
fn pre_fork_accept_keeps_its_timeout() {
    const NAME: &str = "holders::pre_fork_accept_keeps_its_timeout";
    if !is_child(NAME) {
        return run_in_child(NAME);
    }
    for any in loopbacks() {
        let server = listener(&any);
        let (first, _) = timed(|| server.accept(1.0));
        assert!(first.is_err_and(|e| timed_out(&e)));
        let child = fork_running(10, || {
            let _ = server.accept(INDEFINITE_TIMEOUT);
        });
        std::thread::sleep(Duration::from_millis(200));
        let (again, took) = timed(|| server.accept(1.0));
        end(child);
        assert!(again.is_err_and(|e| timed_out(&e)), "{any}");
        assert_waited(took, Duration::from_secs(1), "the parent's accept after the fork");
    }
}

/// After a fork, parent and child both accept on the shared listener; one client connects:
/// exactly one of them gets it, and the parent's timed accept that lost ends at its timeout.
fn pre_fork_accept_race_keeps_the_loser_timed() {
    const NAME: &str = "holders::pre_fork_accept_race_keeps_the_loser_timed";
    if !is_child(NAME) {
        return run_in_child(NAME);
    }
    let any = &loopbacks()[0];
    let server = listener(any);
    assert!(server.accept(0.3).is_err());
    let child = fork_running(10, || {
        // The child takes the one connection, then stays until killed.
        let _conn = server.accept(INDEFINITE_TIMEOUT);
        std::thread::sleep(Duration::from_secs(30));
    });
    std::thread::sleep(Duration::from_millis(200));
    let addr = server.addr().unwrap();
    let client = std::thread::spawn(move || chapel_socket::connect(&addr, PATIENCE).map(drop));
    let (accepted, took) = timed(|| server.accept(1.5));
    client.join().unwrap().unwrap();
    let second = accepted.is_err().then(|| timed(|| server.accept(0.2)));
    end(child);
    match (accepted, second) {
        // The parent won: fine, and nothing hung.
        (Ok(_), _) => {}
        (Err(e), Some((again, again_took))) => {
            assert!(timed_out(&e), "{e}");
            assert_waited(took, Duration::from_millis(1500), "the accept that lost the connection");
            assert!(again.is_err());
            assert_waited(again_took, Duration::from_millis(200), "a second timed accept");
        }
        (Err(_), None) => unreachable!(),
    }
}

/// Two handles of one UDP socket, the second adopted from a `dup` of the first: a longer
/// timed receive on the second does not stretch the first's.
fn udp_dup_handles_keep_their_own_timeouts() {
    for any in loopbacks() {
        let a = UdpSocket::new(any.family()).unwrap();
        bind(&a, &any, false).unwrap();
        let b = UdpSocket::try_from(a.try_as_fd().unwrap().try_clone_to_owned().unwrap()).unwrap();
        let (r, took) = timed(|| a.recv(16, 0.5));
        assert!(r.is_err_and(|e| timed_out(&e)));
        assert_waited(took, Duration::from_millis(500), "a's first receive");
        let (r, took) = timed(|| b.recv(16, 5.0));
        assert!(r.is_err_and(|e| timed_out(&e)));
        assert_waited(took, Duration::from_secs(5), "b's receive");
        let (r, took) = timed(|| a.recv(16, 0.5));
        assert!(r.is_err_and(|e| timed_out(&e)));
        assert!(took < Duration::from_millis(500) + SLACK / 2, "a's second receive took {took:?}");
        assert_waited(took, Duration::from_millis(500), "a's second receive");
    }
}

/// A fork after a timed receive armed the socket: the child's indefinite receive (which
/// would put the user's value, none, back in the kernel) leaves the parent's timed receive
/// exact.
fn fork_keeps_the_parents_timed_receive() {
    const NAME: &str = "holders::fork_keeps_the_parents_timed_receive";
    if !is_child(NAME) {
        return run_in_child(NAME);
    }
    let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&socket, &"127.0.0.1:0".parse().unwrap(), false).unwrap();
    assert!(socket.recv(16, 0.05).is_err());
    let child = fork_running(10, || {
        let _ = socket.recv(16, INDEFINITE_TIMEOUT);
    });
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..3 {
        let (r, took) = timed(|| socket.recv(16, 0.05));
        assert!(r.is_err_and(|e| timed_out(&e)));
        assert_waited(took, Duration::from_millis(50), "the parent's receive after the fork");
    }
    end(child);
}

/// A socket made before a fork, used only by the child: it waits exactly too (it cannot
/// know what the parent does with it).
fn the_forked_child_waits_exactly() {
    const NAME: &str = "holders::the_forked_child_waits_exactly";
    if !is_child(NAME) {
        return run_in_child(NAME);
    }
    let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&socket, &"127.0.0.1:0".parse().unwrap(), false).unwrap();
    assert!(socket.recv(16, 0.05).is_err());
    let mut pipe = [0; 2];
    // SAFETY: pipe writes two descriptors into a live array.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    let child = fork_running(10, || {
        let ok = (0..3).all(|_| {
            let (r, took) = timed(|| socket.recv(16, 0.2));
            r.is_err() && took >= Duration::from_millis(200) && took < Duration::from_millis(200) + SLACK
        });
        // SAFETY: writes one byte from a live local to the pipe's write end.
        unsafe { libc::write(pipe[1], [u8::from(ok)].as_ptr().cast(), 1) };
    });
    // The parent re-arms for a different timeout meanwhile.
    assert!(socket.recv(16, 1.0).is_err());
    let mut answer = [0u8];
    // SAFETY: reads one byte into a live local from the pipe's read end.
    let n = unsafe { libc::read(pipe[0], answer.as_mut_ptr().cast(), 1) };
    end(child);
    assert_eq!((n, answer[0]), (1, 1), "the child's timed receives were not exact");
}

/// std's `tcp_clone_two_read` shape: a timed receive on one handle, then an indefinite read
/// on another of the same connection, waits for the data instead of ending `WouldBlock`.
fn a_timed_receive_leaves_another_handles_indefinite_read_waiting() {
    for any in loopbacks() {
        let (_server, client, peer) = pair(&any);
        let dup = TcpConn::try_from(client.try_as_fd().unwrap().try_clone_to_owned().unwrap()).unwrap();
        for mut other in [client.try_clone().unwrap(), dup] {
            assert!(client.recv(&mut [0; 8], 0.25).is_err_and(|e| timed_out(&e)));
            let writer = std::thread::spawn({
                let peer = peer.try_clone().unwrap();
                move || {
                    std::thread::sleep(Duration::from_millis(600));
                    peer.send(b"late", PATIENCE).unwrap();
                }
            });
            let mut got = [0; 4];
            other.read_exact(&mut got).unwrap();
            assert_eq!(&got, b"late");
            writer.join().unwrap();
        }
    }
}

/// Clones made by `try_clone` share what the crate remembers, so they keep the kernel-timed
/// path and both stay exact with different timeouts.
fn clones_share_and_stay_exact() {
    let a = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&a, &"127.0.0.1:0".parse().unwrap(), false).unwrap();
    let b = a.try_clone().unwrap();
    for (socket, timeout) in [(&a, 0.3), (&b, 0.6), (&a, 0.3), (&b, 0.1)] {
        let (r, took) = timed(|| socket.recv(16, timeout));
        assert!(r.is_err_and(|e| timed_out(&e)));
        assert_waited(took, Duration::from_secs_f64(timeout), "a clone's receive");
    }
    let sender = UdpSocket::new(IPFamily::IPv4).unwrap();
    sender.send(b"one", &a.addr().unwrap(), PATIENCE).unwrap();
    assert_eq!(b.recv(16, PATIENCE).unwrap(), b"one");
    let server = listener(&"127.0.0.1:0".parse().unwrap());
    let twin = server.try_clone().unwrap();
    assert_eq!(twin.addr().unwrap(), server.addr().unwrap());
    let (r, took) = timed(|| twin.accept(0.2));
    assert!(r.is_err());
    assert_waited(took, Duration::from_millis(200), "a listener clone's accept");
}

/// Hand-over after a timed wait armed the crate's value: std gets no read timeout and a
/// blocking socket, and taking it back in reports the user's value (none).
fn hand_over_gives_the_socket_back_as_the_user_left_it() {
    let any: chapel_socket::IpAddr = "127.0.0.1:0".parse().unwrap();
    // UDP.
    let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&socket, &any, false).unwrap();
    assert!(socket.recv(16, 0.05).is_err());
    let std_socket = std::net::UdpSocket::try_from(socket).unwrap();
    assert_eq!(std_socket.read_timeout().unwrap(), None);
    let to = std_socket.local_addr().unwrap();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        std::net::UdpSocket::bind("127.0.0.1:0").unwrap().send_to(b"hi", to).unwrap();
    });
    let mut buf = [0; 8];
    assert_eq!(std_socket.recv(&mut buf).unwrap(), 2, "std's blocking receive waits");
    sender.join().unwrap();
    let back = UdpSocket::try_from(std_socket).unwrap();
    let value = get_sock_opt_bytes(&back, SOL_SOCKET, SO_RCVTIMEO, 64).unwrap();
    assert_eq!(duration_of_timeval(&value), Duration::ZERO);
    // TCP stream: the user's own value comes back, not the crate's.
    let (_server, client, peer) = pair(&any);
    set_sock_opt(&client, SOL_SOCKET, SO_RCVTIMEO, timeval_bytes(Duration::from_secs(7)).as_slice()).unwrap();
    assert!(client.recv(&mut [0; 4], 0.05).is_err());
    let mut stream = std::net::TcpStream::try_from(client).unwrap();
    assert_eq!(stream.read_timeout().unwrap(), Some(Duration::from_secs(7)));
    stream.set_read_timeout(None).unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        peer.send(b"late", PATIENCE).unwrap();
    });
    let mut got = [0; 4];
    stream.read_exact(&mut got).unwrap();
    writer.join().unwrap();
    // Listener: blocking, no timeout.
    let server: TcpListener = listener(&any);
    assert!(server.accept(0.05).is_err());
    let std_listener = std::net::TcpListener::try_from(server).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        std::net::TcpStream::connect(addr).unwrap()
    });
    let (accepted, _) = std_listener.accept().expect("std's blocking accept waits");
    drop((accepted, client.join().unwrap()));
}

/// A `SO_RCVTIMEO` the kernel refuses (a microsecond field past a second) is refused the same
/// way whether or not a timed receive is waiting on the socket.
fn a_refused_timeout_is_refused_while_a_call_waits() {
    let socket = std::sync::Arc::new(UdpSocket::new(IPFamily::IPv4).unwrap());
    bind(&*socket, &"127.0.0.1:0".parse().unwrap(), false).unwrap();
    let tv = [0i64.to_ne_bytes(), 2_000_000i64.to_ne_bytes()].concat();
    let idle = set_sock_opt(&*socket, SOL_SOCKET, SO_RCVTIMEO, tv.as_slice()).unwrap_err();
    assert_eq!(idle.raw_os_error(), Some(libc::EDOM), "{idle}");
    let waiter = std::thread::spawn({
        let socket = std::sync::Arc::clone(&socket);
        move || socket.recv(16, 1.0)
    });
    std::thread::sleep(Duration::from_millis(300));
    let busy = set_sock_opt(&*socket, SOL_SOCKET, SO_RCVTIMEO, tv.as_slice()).unwrap_err();
    assert_eq!(busy.raw_os_error(), Some(libc::EDOM), "{busy}");
    assert!(waiter.join().unwrap().is_err());
    let value = get_sock_opt_bytes(&*socket, SOL_SOCKET, SO_RCVTIMEO, 64).unwrap();
    assert_eq!(duration_of_timeval(&value), Duration::ZERO, "the refused value was never applied");
}

/// Adopting a listener leaves its mode alone; only a timed accept makes it non-blocking (the
/// one change the crate makes to a shared socket), and the hand-over back to std undoes it.
fn an_adopted_listener_keeps_its_mode_until_a_timed_accept() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let server = TcpListener::try_from(std_listener).unwrap();
    assert!(!is_nonblocking(server.try_as_fd().unwrap()), "adoption changed the mode");
    let client = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        std::net::TcpStream::connect(addr).unwrap()
    });
    let _conn = server.accept(INDEFINITE_TIMEOUT).unwrap();
    let _client = client.join().unwrap();
    assert!(!is_nonblocking(server.try_as_fd().unwrap()), "an indefinite accept changed the mode");
    let (r, took) = timed(|| server.accept(0.1));
    assert!(r.is_err_and(|e| timed_out(&e)));
    assert_waited(took, Duration::from_millis(100), "a timed accept on an adopted listener");
    assert!(is_nonblocking(server.try_as_fd().unwrap()));
    let back = std::net::TcpListener::try_from(server).unwrap();
    assert!(!is_nonblocking(std::os::fd::AsFd::as_fd(&back)), "std got a non-blocking listener");
}

/// The one case the crate cannot see coming: another holder writes a longer `SO_RCVTIMEO`
/// over the one the crate armed. The receive that is already relying on it ends late, but
/// its late `EAGAIN` shows another holder, so the socket is trusted no more and the next
/// receive keeps its timeout.
fn a_value_set_behind_the_crates_back_costs_one_late_receive() {
    let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&socket, &"127.0.0.1:0".parse().unwrap(), false).unwrap();
    assert!(socket.recv(16, 0.3).is_err());
    set_behind_the_crates_back(socket.try_as_fd().unwrap(), libc::timeval { tv_sec: 1, tv_usec: 500_000 });
    let (r, took) = timed(|| socket.recv(16, 0.3));
    assert!(r.is_err_and(|e| timed_out(&e)));
    assert!(took >= Duration::from_secs(1), "the crate saw the other value coming ({took:?})");
    for _ in 0..2 {
        let (r, took) = timed(|| socket.recv(16, 0.3));
        assert!(r.is_err_and(|e| timed_out(&e)));
        assert_waited(took, Duration::from_millis(300), "a receive after the late one");
        assert!(took < Duration::from_secs(1), "still relying on the other value ({took:?})");
    }
}

/// Two handles of one unconnected `TcpSocket`: handing one over makes the file blocking, and
/// the other's timed connect (to a full queue, so it must wait) still ends at its timeout.
fn a_cloned_tcp_socket_connects_on_time_after_the_other_is_handed_over() {
    let any: chapel_socket::IpAddr = "127.0.0.1:0".parse().unwrap();
    let full = crate::support::full_queue(&any);
    let socket = chapel_socket::TcpSocket::v4().unwrap();
    let clone = socket.try_clone().unwrap();
    let handed = std::os::fd::OwnedFd::try_from(socket).unwrap();
    assert!(!is_nonblocking(std::os::fd::AsFd::as_fd(&handed)), "the hand-over left it non-blocking");
    let (r, took) = timed(|| clone.connect(&full.addr(), 0.5));
    assert!(r.is_err_and(|e| timed_out(&e)));
    assert_waited(took, Duration::from_millis(500), "the clone's connect");
}

/// A listener in the indefinite accept loop's steady state (made blocking by a first accept
/// that waited), whose `SO_RCVTIMEO` another holder then sets behind the crate's back: the
/// next indefinite accept's one blocking `accept4` ends with that value's `EAGAIN`, which is
/// not this call's answer, so it waits on and takes the connection that comes later.
fn an_outside_timeout_does_not_end_an_indefinite_accept() {
    let server = listener(&"127.0.0.1:0".parse().unwrap());
    let addr = server.addr().unwrap();
    let later = |ms| {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            chapel_socket::connect(&addr, PATIENCE).unwrap()
        })
    };
    // A first accept that has to wait leaves the listener blocking, the loop's steady state.
    let first = later(100);
    server.accept(INDEFINITE_TIMEOUT).unwrap();
    first.join().unwrap();
    assert!(!is_nonblocking(server.try_as_fd().unwrap()));
    set_behind_the_crates_back(server.try_as_fd().unwrap(), libc::timeval { tv_sec: 0, tv_usec: 100_000 });
    let client = later(500);
    let (accepted, took) = timed(|| server.accept(INDEFINITE_TIMEOUT));
    let _client = client.join().unwrap();
    assert!(accepted.is_ok(), "the other holder's timeout ended the accept: {:?}", accepted.err());
    assert!(took >= Duration::from_millis(400), "accepted after {took:?}, before the connection came");
}

/// An adopted socket's timed receives wait first once one found nothing when it tried: that
/// order keeps every promise of the other. Data already queued is taken, with a zero timeout
/// too; a receive with nothing coming ends at its timeout, never before; and one whose data
/// comes later gets it.
fn an_adopted_socket_waiting_first_stays_exact() {
    let socket = UdpSocket::try_from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
    let me = socket.addr().unwrap();
    let sender = UdpSocket::new(IPFamily::IPv4).unwrap();
    for round in 0..3 {
        // Nothing comes: the try finds nothing (or, waiting first, the wait does).
        let (r, took) = timed(|| socket.recv(16, 0.1));
        assert!(r.is_err_and(|e| timed_out(&e)), "round {round}");
        assert_waited(took, Duration::from_millis(100), "an adopted socket's receive");
        // Queued before the receive: taken, with no timeout to spare.
        sender.send(b"queued", &me, PATIENCE).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(socket.recv(16, 0.0).unwrap(), b"queued", "round {round}");
        // Nothing again, then a datagram 100 ms into a long wait.
        assert!(socket.recv(16, 0.0).is_err_and(|e| timed_out(&e)), "round {round}");
        let later = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            UdpSocket::new(IPFamily::IPv4).unwrap().send(b"later", &me, PATIENCE).unwrap();
        });
        let (got, took) = timed(|| socket.recv(16, PATIENCE));
        later.join().unwrap();
        assert_eq!(got.unwrap(), b"later", "round {round}");
        assert!(took >= Duration::from_millis(90) && took.as_secs_f64() < PATIENCE, "round {round}: {took:?}");
    }
}
