//! UDP over loopback, IPv4 and IPv6: send/recv and send/recvfrom with every
//! timeout form, timeouts with no sender, `MSG_PEEK`, truncation, close and conversions.

use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::time::Duration;

use crate::support::trials::{Test, trial};
use crate::support::{PATIENCE, assert_waited, loopbacks, timed};
use chapel_socket::{INDEFINITE_TIMEOUT, IPFamily, IpAddr, Timeout, UdpSocket, bind, get_sock_name, struct_timeval};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(send_then_recv_and_recvfrom_with_every_timeout_form),
    trial!(an_unbound_sender_is_given_a_port_by_its_first_send),
    trial!(sending_to_a_port_nobody_reads_still_counts_the_bytes),
    trial!(recv_and_recvfrom_time_out_never_early),
    trial!(msg_peek_leaves_the_datagram_queued),
    trial!(an_oversized_datagram_is_reported_by_every_receive),
    trial!(recv_into_fills_the_callers_buffer),
    trial!(a_udp_socket_needs_a_family),
    trial!(a_closed_udp_socket_refuses_every_call),
    trial!(std_udp_sockets_convert_both_ways),
    trial!(peek_and_peek_from_leave_the_datagram_and_count_what_was_copied),
    trial!(vectored_sends_and_receives_are_one_datagram_each),
];

/// A UDP socket bound to `any` (port 0), so its address is known.
fn bound(any: &IpAddr) -> UdpSocket {
    let socket = UdpSocket::new(any.family()).unwrap();
    bind(&socket, any, false).unwrap();
    socket
}

/// The timeout forms a receive accepts: indefinite, `struct_timeval`, seconds, `Duration`.
fn timeouts() -> [Timeout; 4] {
    [
        INDEFINITE_TIMEOUT.into(),
        struct_timeval { tv_sec: 5, tv_usec: 0 }.into(),
        PATIENCE.into(),
        Duration::from_secs(5).into(),
    ]
}

fn send_then_recv_and_recvfrom_with_every_timeout_form() {
    for any in loopbacks() {
        let receiver = bound(&any);
        let to = receiver.addr().unwrap();
        let sender = bound(&any);
        for (i, timeout) in timeouts().into_iter().enumerate() {
            let message = format!("datagram {i} to {to}");
            assert_eq!(sender.send(message.as_bytes(), &to, timeout).unwrap(), message.len());
            assert_eq!(receiver.recv(100, timeout).unwrap(), message.as_bytes());

            assert_eq!(sender.send(message.as_bytes(), &to, timeout).unwrap(), message.len());
            let (data, from) = receiver.recvfrom(100, timeout, 0).unwrap();
            assert_eq!(data, message.as_bytes());
            assert_eq!(from, get_sock_name(&sender).unwrap(), "the sender is the bound socket");
        }
    }
}

fn an_unbound_sender_is_given_a_port_by_its_first_send() {
    for any in loopbacks() {
        let receiver = bound(&any);
        let sender = UdpSocket::new(any.family()).unwrap();
        assert_eq!(sender.addr().unwrap().port(), 0);
        assert_eq!(sender.send(b"hello world!", &receiver.addr().unwrap(), PATIENCE).unwrap(), 12);
        let port = get_sock_name(&sender).unwrap().port();
        assert_ne!(port, 0);
        let (data, from) = receiver.recvfrom(64, PATIENCE, 0).unwrap();
        assert_eq!((data.as_slice(), from.port(), from.host()), (&b"hello world!"[..], port, any.host()));
    }
}

fn sending_to_a_port_nobody_reads_still_counts_the_bytes() {
    for any in loopbacks() {
        let never_reads = bound(&any);
        let mut closed = bound(&any);
        let nobody = closed.addr().unwrap();
        closed.close().unwrap();
        let sender = UdpSocket::new(any.family()).unwrap();
        for to in [never_reads.addr().unwrap(), nobody] {
            // Twice: the port-unreachable answer to the first must not fail the second.
            for _ in 0..2 {
                assert_eq!(sender.send(&[0; 300], &to, PATIENCE).unwrap(), 300);
                assert_eq!(sender.send(b"", &to, 0.0).unwrap(), 0, "an empty datagram is a datagram");
            }
        }
    }
}

fn recv_and_recvfrom_time_out_never_early() {
    for any in loopbacks() {
        let socket = bound(&any);
        let cases: [(Timeout, Duration); 4] = [
            (0.1.into(), Duration::from_millis(100)),
            (struct_timeval { tv_sec: 0, tv_usec: 120_000 }.into(), Duration::from_millis(120)),
            (Duration::from_millis(60).into(), Duration::from_millis(60)),
            (0.0.into(), Duration::ZERO),
        ];
        for (timeout, expected) in cases {
            let (result, elapsed) = timed(|| socket.recv(16, timeout));
            let err = result.expect_err("recv with no sender returned a datagram");
            assert_eq!((err.kind(), err.op()), (ErrorKind::TimedOut, "recv"), "{err}");
            assert_waited(elapsed, expected, "recv");

            let (result, elapsed) = timed(|| socket.recvfrom(16, timeout, 0));
            let err = result.expect_err("recvfrom with no sender returned a datagram");
            assert_eq!((err.kind(), err.op()), (ErrorKind::TimedOut, "recvfrom"), "{err}");
            assert!(err.to_string().contains("timed out"), "{err}");
            assert_waited(elapsed, expected, "recvfrom");
        }
    }
}

fn msg_peek_leaves_the_datagram_queued() {
    for any in loopbacks() {
        let socket = bound(&any);
        let me = socket.addr().unwrap();
        socket.send(b"first", &me, PATIENCE).unwrap();
        socket.send(b"second", &me, PATIENCE).unwrap();
        for _ in 0..2 {
            assert_eq!(socket.recvfrom(64, PATIENCE, libc::MSG_PEEK).unwrap(), (b"first".to_vec(), me));
        }
        assert_eq!(socket.recvfrom(64, PATIENCE, 0).unwrap(), (b"first".to_vec(), me));
        assert_eq!(socket.recvfrom(64, PATIENCE, 0).unwrap(), (b"second".to_vec(), me));
        assert_eq!(socket.recvfrom(64, 0.0, libc::MSG_PEEK).unwrap_err().kind(), ErrorKind::TimedOut);
    }
}

fn an_oversized_datagram_is_reported_by_every_receive() {
    let message: Vec<u8> = (0..100).collect();
    for any in loopbacks() {
        let socket = bound(&any);
        let me = socket.addr().unwrap();
        // The receives into a caller's buffer learn the full length (`MSG_TRUNC`); the ones
        // that allocate learn only that it was longer (their count must be of bytes written).
        let check = |err: chapel_socket::Error, op: &str, length: &str| {
            assert_eq!((err.kind(), err.op()), (ErrorKind::InvalidData, op), "{err}");
            let text = err.to_string();
            assert!(text.ends_with(&format!("datagram of {length} bytes truncated to the 10-byte buffer")), "{text}");
        };

        socket.send(&message, &me, PATIENCE).unwrap();
        check(socket.recv(10, PATIENCE).unwrap_err(), "recv", "more than 10");

        socket.send(&message, &me, PATIENCE).unwrap();
        let err = socket.recvfrom(10, PATIENCE, 0).unwrap_err();
        assert_eq!(err.address(), Some(me), "the error names the sender");
        check(err, "recvfrom", "more than 10");

        let mut buf = [0; 10];
        socket.send(&message, &me, PATIENCE).unwrap();
        check(socket.recv_into(&mut buf, PATIENCE).unwrap_err(), "recv", "100");
        assert_eq!(buf, message[..10], "the datagram's start is kept");

        let mut buf = [0; 10];
        socket.send(&message, &me, PATIENCE).unwrap();
        check(socket.recv_from_into(&mut buf, PATIENCE, 0).unwrap_err(), "recvfrom", "100");
        assert_eq!(buf, message[..10]);

        // A datagram that fits exactly is no error, and the truncated ones were consumed.
        socket.send(&message[..10], &me, PATIENCE).unwrap();
        assert_eq!(socket.recv_from_into(&mut buf, PATIENCE, 0).unwrap(), (10, me));
        assert_eq!(socket.recv(100, 0.0).unwrap_err().kind(), ErrorKind::TimedOut);
    }
}

fn recv_into_fills_the_callers_buffer() {
    for any in loopbacks() {
        let socket = bound(&any);
        let me = socket.addr().unwrap();
        let mut buf = [0; 32];
        socket.send(b"into", &me, PATIENCE).unwrap();
        assert_eq!(socket.recv_into(&mut buf, INDEFINITE_TIMEOUT).unwrap(), 4);
        assert_eq!(&buf[..4], b"into");
        socket.send(b"from into", &me, PATIENCE).unwrap();
        assert_eq!(socket.recv_from_into(&mut buf, INDEFINITE_TIMEOUT, 0).unwrap(), (9, me));
        assert_eq!(&buf[..9], b"from into");
    }
}

fn a_udp_socket_needs_a_family() {
    let err = UdpSocket::new(IPFamily::IPUnspec).unwrap_err();
    assert_eq!((err.kind(), err.op()), (ErrorKind::InvalidInput, "socket"), "{err}");
    assert!(err.to_string().contains("IPUnspec"), "{err}");
    assert_eq!(UdpSocket::new(IPFamily::IPv6).unwrap().addr().unwrap().to_string(), "[::]:0");
}

fn a_closed_udp_socket_refuses_every_call() {
    for any in loopbacks() {
        let mut socket = bound(&any);
        let me = socket.addr().unwrap();
        socket.close().unwrap();
        assert_eq!(socket.socket_fd(), -1);
        let mut buf = [0; 4];
        let errors = [
            socket.send(b"x", &me, 0.0).unwrap_err(),
            socket.recv(4, 0.0).unwrap_err(),
            socket.recvfrom(4, 0.0, 0).unwrap_err(),
            socket.recv_into(&mut buf, 0.0).unwrap_err(),
            socket.recv_from_into(&mut buf, 0.0, 0).unwrap_err(),
            socket.addr().unwrap_err(),
            bind(&socket, &any, true).unwrap_err(),
            socket.close().unwrap_err(),
        ];
        for err in errors {
            assert!(err.is_closed(), "{err}");
            assert!(err.to_string().contains("closed"), "{err}");
        }
        assert!(std::net::UdpSocket::try_from(socket).unwrap_err().is_closed());
    }
}

fn std_udp_sockets_convert_both_ways() {
    for any in loopbacks() {
        let std_socket = std::net::UdpSocket::bind(std::net::SocketAddr::from(any)).unwrap();
        let addr = IpAddr::from(std_socket.local_addr().unwrap());
        let adopted = UdpSocket::try_from(std_socket).unwrap();
        assert_eq!(adopted.addr().unwrap(), addr);
        adopted.send(b"loop", &addr, PATIENCE).unwrap();
        let back = std::net::UdpSocket::try_from(adopted).unwrap();
        let mut buf = [0; 8];
        back.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let (n, from) = back.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], IpAddr::from(from)), (&b"loop"[..], addr));
    }
}

/// std's `peek`/`peek_from`, with timeouts: the datagram stays queued, a longer one is an
/// error (still queued), the wait is never early, and from a peek offset the length is what
/// the kernel copied.
fn peek_and_peek_from_leave_the_datagram_and_count_what_was_copied() {
    for any in loopbacks() {
        let socket = bound(&any);
        let me = socket.addr().unwrap();
        let mut buf = [0; 32];
        let (got, waited) = timed(|| socket.peek(&mut buf, 0.1));
        let err = got.unwrap_err();
        assert_eq!((err.kind(), err.op()), (ErrorKind::TimedOut, "recv(MSG_PEEK)"));
        assert_waited(waited, Duration::from_millis(100), "peek");
        socket.send(b"hello world", &me, PATIENCE).unwrap();
        assert_eq!(socket.peek(&mut buf, PATIENCE).unwrap(), 11);
        assert_eq!(socket.peek_from(&mut buf, PATIENCE).unwrap(), (11, me));
        let mut small = [0; 4];
        let err = socket.peek_from(&mut small, PATIENCE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(&small, b"hell");
        assert_eq!(socket.recv_from_into(&mut buf, PATIENCE, 0).unwrap(), (11, me), "still queued");
        // A connected socket peeks at its peer's datagrams.
        socket.connect(&me).unwrap();
        socket.send_connected(b"again", PATIENCE).unwrap();
        assert_eq!(socket.peek(&mut buf, PATIENCE).unwrap(), 5);
        assert_eq!(socket.recv_into(&mut buf, PATIENCE).unwrap(), 5);
        // From a peek offset the kernel copies what lies past it: 11 - 6 bytes.
        chapel_socket::set_sock_opt(&socket, chapel_socket::SOL_SOCKET, libc::SO_PEEK_OFF, 6).unwrap();
        socket.send_connected(b"hello world", PATIENCE).unwrap();
        let mut seen = [0x5a; 32];
        assert_eq!(socket.peek(&mut seen, PATIENCE).unwrap(), 5);
        assert_eq!(&seen[..5], b"world");
        assert!(seen[5..].iter().all(|&x| x == 0x5a), "nothing counted that was not written");
        let mut closed = socket;
        closed.close().unwrap();
        assert!(closed.peek(&mut buf, PATIENCE).unwrap_err().is_closed());
        assert!(closed.peek_from(&mut buf, PATIENCE).unwrap_err().is_closed());
    }
}

/// socket2's `send_vectored`, `send_to_vectored`, `recv_vectored`, `recv_from_vectored`: the
/// buffers joined are one datagram; scattered back over several buffers; a longer one is an
/// error naming both lengths; waits never early; unconnected and closed sockets refused.
fn vectored_sends_and_receives_are_one_datagram_each() {
    for any in loopbacks() {
        let (socket, sender) = (bound(&any), bound(&any));
        let (me, from) = (socket.addr().unwrap(), sender.addr().unwrap());
        let parts = [IoSlice::new(b"head"), IoSlice::new(b""), IoSlice::new(b"body")];
        assert_eq!(sender.send_to_vectored(&parts, &me, PATIENCE).unwrap(), 8);
        let (mut a, mut b) = ([0; 3], [0; 8]);
        let got = socket.recv_from_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)], PATIENCE);
        assert_eq!(got.unwrap(), (8, from));
        assert_eq!((&a, &b[..5]), (b"hea", &b"dbody"[..]));
        sender.connect(&me).unwrap();
        assert_eq!(sender.send_vectored(&[IoSlice::new(b"one"), IoSlice::new(b"two")], PATIENCE).unwrap(), 6);
        assert_eq!(socket.recv_vectored(&mut [IoSliceMut::new(&mut b)], PATIENCE).unwrap(), 6);
        assert_eq!(&b[..6], b"onetwo");
        // Longer than the buffers together: an error, the first bytes in the buffers.
        sender.send_vectored(&[IoSlice::new(b"0123456789")], PATIENCE).unwrap();
        let (mut x, mut y) = ([0; 2], [0; 3]);
        let err = socket.recv_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)], PATIENCE).unwrap_err();
        assert_eq!((err.kind(), err.op()), (ErrorKind::InvalidData, "recvmsg"));
        assert!(err.to_string().contains("datagram of 10 bytes truncated to the 5-byte buffer"), "{err}");
        assert_eq!((&x, &y), (b"01", b"234"));
        let (got, waited) = timed(|| socket.recv_from_vectored(&mut [IoSliceMut::new(&mut b)], 0.1));
        assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(waited, Duration::from_millis(100), "recv_from_vectored");
        // Not connected: the kernel has no destination.
        let err = socket.send_vectored(&[IoSlice::new(b"x")], PATIENCE).unwrap_err();
        assert_eq!((err.raw_os_error(), err.op()), (Some(libc::EDESTADDRREQ), "sendmsg"));
        let mut closed = socket;
        closed.close().unwrap();
        assert!(closed.recv_vectored(&mut [IoSliceMut::new(&mut b)], PATIENCE).unwrap_err().is_closed());
        assert!(closed.send_to_vectored(&parts, &me, PATIENCE).unwrap_err().is_closed());
    }
}
