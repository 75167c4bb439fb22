//! The in-process record (`chapel_socket::audit`, feature `audit`), used exactly as its
//! documentation shows: the calls of listen, connect with a timeout, accept (queued and
//! waiting), timed receives (ready and waiting) and a batch receive are the contract's
//! (docs/SYSCALLS.md rows `listen`, `connect/timeout`, `accept/queued`, `accept/wait`,
//! `conn.recv/ready`, `conn.recv/wait`, `udp.recv_batch/ready`, which `tests/syscalls` checks
//! against strace too); records nest and keep only their thread's calls; a sink sees every
//! thread's; a failed call carries its errno.

use std::io::ErrorKind;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use chapel_socket::{INDEFINITE_TIMEOUT, IPFamily, IpAddr, RecvBatch, TcpConn, UdpSocket, audit, connect, listen};

use crate::support::trials::{Test, trial};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(each_operation_records_the_contracts_calls),
    trial!(a_trace_prints_as_strace_does),
    trial!(records_nest),
    trial!(another_threads_calls_are_not_in_the_trace),
    trial!(the_sink_sees_every_thread),
    trial!(a_failed_call_carries_its_errno),
];

fn lo() -> IpAddr {
    IpAddr::create("127.0.0.1", 0, IPFamily::IPv4).unwrap()
}

/// After `delay`, in another thread, `act`.
fn later<T: Send + 'static>(delay: Duration, act: impl FnOnce() -> T + Send + 'static) -> thread::JoinHandle<T> {
    thread::spawn(move || {
        thread::sleep(delay);
        act()
    })
}

fn each_operation_records_the_contracts_calls() {
    let (server, trace) = audit::record(|| listen(&lo(), true, 16));
    let server = server.unwrap();
    assert_eq!(trace.names(), ["socket", "setsockopt", "bind", "listen"]);
    let addr = server.addr().unwrap();

    let (conn, trace) = audit::record(|| connect(&addr, 2.0));
    let conn = conn.unwrap();
    assert_eq!(trace.names(), ["socket", "connect", "ppoll", "ioctl"]);

    let (accepted, trace) = audit::record(|| server.accept(1.0));
    let accepted = accepted.unwrap();
    assert_eq!(trace.names(), ["accept4"], "queued");

    let fresh = listen(&lo(), true, 16).unwrap();
    let at = fresh.addr().unwrap();
    let peer = later(Duration::from_millis(100), move || connect(&at, INDEFINITE_TIMEOUT).unwrap());
    let (waited, trace) = audit::record(|| fresh.accept(4.0));
    waited.unwrap();
    drop(peer.join().unwrap());
    assert_eq!(trace.names(), ["accept4", "ioctl", "setsockopt", "accept4"], "waiting:\n{trace}");

    accepted.send(b"hello", 1.0).unwrap();
    let mut buf = [0; 16];
    let (n, trace) = audit::record(|| conn.recv(&mut buf, 1.0));
    assert_eq!(n.unwrap(), 5);
    assert_eq!(trace.names(), ["recvfrom"], "ready");

    let sender = accepted;
    let send = later(Duration::from_millis(100), move || sender.send(b"hello", 1.0).map(|_| sender));
    let (n, trace) = audit::record(|| conn.recv(&mut buf, 4.0));
    assert_eq!(n.unwrap(), 5);
    let _sender: TcpConn = send.join().unwrap().unwrap();
    assert_eq!(trace.names(), ["recvfrom", "setsockopt", "recvfrom"], "waiting:\n{trace}");

    let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    chapel_socket::bind(&socket, &lo(), true).unwrap();
    let me = socket.addr().unwrap();
    for _ in 0..3 {
        socket.send(b"a", &me, 1.0).unwrap();
    }
    let mut batch = RecvBatch::new(32, 40).unwrap();
    let (n, trace) = audit::record(|| socket.recv_batch(&mut batch, 1.0));
    assert_eq!(n.unwrap(), 3);
    assert_eq!(trace.names(), ["recvmmsg"]);
}

fn a_trace_prints_as_strace_does() {
    let server = listen(&lo(), true, 16).unwrap();
    let addr = server.addr().unwrap();
    let (conn, trace) = audit::record(|| connect(&addr, 2.0));
    let fd = conn.unwrap().socket_fd();
    let port = addr.port();
    let lines: Vec<String> = trace.calls().iter().map(ToString::to_string).collect();
    assert_eq!(lines[0], format!("socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = {fd}"));
    assert_eq!(
        lines[1],
        format!(
            "connect({fd}, {{sa_family=AF_INET, sin_port=htons({port}), sin_addr=inet_addr(\"127.0.0.1\")}}, 16) = -1 EINPROGRESS (Operation now in progress)"
        )
    );
    assert!(lines[2].starts_with(&format!("ppoll([{{fd={fd}, events=POLLOUT}}], 1, {{tv_sec=")), "{}", lines[2]);
    assert!(lines[2].ends_with(&format!("NULL, 8) = 1 ([{{fd={fd}, revents=POLLOUT}}])")), "{}", lines[2]);
    assert_eq!(lines[3], format!("ioctl({fd}, FIONBIO, [0]) = 0"));
    assert_eq!(trace.to_string(), lines.iter().map(|l| format!("{l}\n")).collect::<String>());
    let results: Vec<_> = trace.calls().iter().map(audit::Call::result).collect();
    assert_eq!(results, [Ok(i64::from(fd)), Err(libc::EINPROGRESS), Ok(1), Ok(0)]);
}

fn records_nest() {
    let ((inner, socket), outer) = audit::record(|| {
        let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
        let ((), inner) = audit::record(|| chapel_socket::bind(&socket, &lo(), true).unwrap());
        (inner, socket)
    });
    assert_eq!(inner.names(), ["setsockopt", "bind"]);
    assert_eq!(outer.names(), ["socket", "setsockopt", "bind"]);
    assert_eq!(&outer.calls()[1..], inner.calls());
    let ((), after) = audit::record(|| drop(socket));
    assert_eq!(after.names(), ["close"], "a new record starts empty");
}

fn another_threads_calls_are_not_in_the_trace() {
    let (socket, trace) = audit::record(|| {
        // The other thread makes a socket and closes it; a socket it handed over would be
        // closed here, by this thread.
        let other = thread::spawn(|| UdpSocket::new(IPFamily::IPv6).unwrap().socket_fd());
        let mine = UdpSocket::new(IPFamily::IPv4).unwrap();
        other.join().unwrap();
        mine
    });
    assert_eq!(trace.names(), ["socket"], "{trace}");
    assert!(trace.calls()[0].args().starts_with("AF_INET,"), "{trace}");
    drop(socket);
}

fn the_sink_sees_every_thread() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    audit::set_sink(Some(move |call: &audit::Call| {
        log.lock().unwrap().push((thread::current().id(), call.to_string()))
    }));
    let worker = thread::spawn(|| {
        let socket = UdpSocket::new(IPFamily::IPv6).unwrap();
        (thread::current().id(), socket.socket_fd())
    });
    let (id, fd) = worker.join().unwrap();
    audit::set_sink(None::<fn(&audit::Call)>);
    let seen = seen.lock().unwrap();
    let mine: Vec<&str> = seen.iter().filter(|(t, _)| *t == id).map(|(_, line)| line.as_str()).collect();
    assert_eq!(
        mine,
        [format!("socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = {fd}"), format!("close({fd}) = 0")],
        "the worker's calls, as they happened"
    );
}

fn a_failed_call_carries_its_errno() {
    let addr = listen(&lo(), true, 16).unwrap().addr().unwrap();
    let (result, trace) = audit::record(|| connect(&addr, INDEFINITE_TIMEOUT));
    assert_eq!(result.unwrap_err().kind(), ErrorKind::ConnectionRefused);
    let refused = trace.calls().iter().find(|c| c.name() == "connect").expect("a connect");
    assert_eq!(refused.result(), Err(libc::ECONNREFUSED));
    assert!(refused.to_string().ends_with(" = -1 ECONNREFUSED (Connection refused)"), "{refused}");
}
