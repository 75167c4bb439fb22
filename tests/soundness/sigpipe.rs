//! No SIGPIPE: with SIGPIPE at its default action (which kills the process), writes to a
//! closed peer through `Write` (IPv4 and IPv6), through `TcpConn::send` and through
//! `UdpSocket::send` are errors, and the process lives on.
//!
//! Rust's runtime ignores SIGPIPE, which would hide the bug, so each case runs in a child:
//! this test binary run again for that one test (`support::run_in_child`), which first puts
//! SIGPIPE back to `SIG_DFL`. A control case writes with a plain `send(2)` and must be killed by the signal,
//! proving the children really run with the default action.

use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use crate::support;
use crate::support::trials::{Test, note, trial};
use chapel_socket::{
    INDEFINITE_TIMEOUT, IpAddr, SO_LINGER, SOL_SOCKET, TcpConn, UdpSocket, connect, listen, set_sock_opt,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(write_to_a_closed_peer_fails_without_sigpipe),
    trial!(send_to_a_closed_peer_fails_without_sigpipe),
    trial!(udp_send_to_a_closed_peer_fails_without_sigpipe),
    trial!(a_plain_send_to_a_closed_peer_is_killed_by_sigpipe),
];

/// Writes tried before giving up on seeing the error (each a few milliseconds apart).
const MAX_WRITES: usize = 200;

/// A connection on `any` whose peer has been closed with an RST, so the next write fails.
fn reset_connection(any: &IpAddr) -> TcpConn {
    let server = listen(any, true, 1).unwrap();
    let client = connect(&server.addr().unwrap(), 2.0).unwrap();
    let mut peer = server.accept(2.0).unwrap();
    let linger = [1i32.to_ne_bytes(), 0i32.to_ne_bytes()].concat();
    set_sock_opt(&peer, SOL_SOCKET, SO_LINGER, &linger).unwrap();
    peer.close().unwrap();
    client
}

/// Writes with `write` until it fails with `EPIPE` (the error that comes with SIGPIPE);
/// the errors seen on the way must be `ECONNRESET`.
fn until_broken_pipe(mut write: impl FnMut() -> std::io::Result<usize>) -> String {
    for _ in 0..MAX_WRITES {
        match write() {
            Ok(_) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => return e.to_string(),
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
        }
    }
    panic!("{MAX_WRITES} writes to a reset peer and no EPIPE");
}

/// What a child does: `case`, with SIGPIPE at its default action.
fn child(case: &str) {
    support::default_sigpipe();
    let ipv4 = "127.0.0.1:0".parse().unwrap();
    let outcome = match case {
        "write" => {
            let outcomes = support::loopbacks().map(|any| {
                let mut conn = reset_connection(&any);
                until_broken_pipe(|| conn.write(b"data"))
            });
            outcomes.join("; ")
        }
        "send" => {
            let conn = reset_connection(&ipv4);
            let bounded = until_broken_pipe(|| conn.send(b"data", 1.0).map_err(Into::into));
            let indefinite = conn.send(b"data", INDEFINITE_TIMEOUT).unwrap_err();
            assert_eq!(indefinite.kind(), ErrorKind::BrokenPipe, "{indefinite}");
            format!("{bounded}; {indefinite}")
        }
        "udp" => udp_case(),
        "control" => {
            let conn = reset_connection(&ipv4);
            until_broken_pipe(|| {
                // SAFETY: `conn` is open and the buffer is a live 4-byte array; no
                // MSG_NOSIGNAL, on purpose.
                let n = unsafe { libc::send(conn.as_raw_fd(), b"data".as_ptr().cast(), 4, 0) };
                if n < 0 { Err(std::io::Error::last_os_error()) } else { Ok(n as usize) }
            })
        }
        other => panic!("unknown case {other}"),
    };
    note!("survived {case}: {outcome}");
}

/// UDP: a send to a connected peer that has gone (ICMP port unreachable comes back as
/// `ECONNREFUSED`) and a send after `shutdown(SHUT_WR)` (`EPIPE`).
fn udp_case() -> String {
    let gone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer = gone.local_addr().unwrap();
    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    std_socket.connect(peer).unwrap();
    drop(gone);
    let socket = UdpSocket::try_from(std_socket).unwrap();
    let to = peer.into();
    let refused = (0..MAX_WRITES)
        .find_map(|_| match socket.send(b"data", &to, 1.0) {
            Ok(_) => {
                std::thread::sleep(Duration::from_millis(2));
                None
            }
            Err(e) => Some(e),
        })
        .expect("no error from sends to a closed UDP port");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused, "{refused}");
    // SAFETY: shuts down the sending side of a descriptor `socket` holds open.
    assert_eq!(unsafe { libc::shutdown(socket.as_raw_fd(), libc::SHUT_WR) }, 0);
    let broken = socket.send(b"data", &to, INDEFINITE_TIMEOUT).unwrap_err();
    assert_eq!(broken.kind(), ErrorKind::BrokenPipe, "{broken}");
    format!("{refused}; {broken}")
}

/// In the child: runs `case`. In the parent: runs `test` in a child, which must survive it.
fn survives(test: &str, case: &str) {
    if support::is_child(test) {
        return child(case);
    }
    support::run_in_child(test);
}

fn write_to_a_closed_peer_fails_without_sigpipe() {
    survives("sigpipe::write_to_a_closed_peer_fails_without_sigpipe", "write");
}

fn send_to_a_closed_peer_fails_without_sigpipe() {
    survives("sigpipe::send_to_a_closed_peer_fails_without_sigpipe", "send");
}

fn udp_send_to_a_closed_peer_fails_without_sigpipe() {
    survives("sigpipe::udp_send_to_a_closed_peer_fails_without_sigpipe", "udp");
}

fn a_plain_send_to_a_closed_peer_is_killed_by_sigpipe() {
    const TEST: &str = "sigpipe::a_plain_send_to_a_closed_peer_is_killed_by_sigpipe";
    if support::is_child(TEST) {
        return child("control");
    }
    let (status, output) = support::child_outcome(TEST);
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "the control child was not killed by SIGPIPE:\n{output}");
}
