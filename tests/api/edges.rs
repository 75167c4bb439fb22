//! Edge values: ports that wrap, huge buffers, timeouts that never mean "for ever" by
//! accident, errors that keep their context, IP literals never looked up. One test per edge,
//! named after what it guards.
//!
//! Loopback only, OS-assigned ports; hosts are numeric or refused before any lookup.

use std::io::{ErrorKind, Read};
use std::time::Duration;

use crate::support::trials::{Test, trial};
use crate::support::{PATIENCE, SLACK, closed_port, listener, loopbacks, pair, timed};
use chapel_socket::{
    INDEFINITE_TIMEOUT, IPFamily, IpAddr, SO_RCVTIMEO, SOL_SOCKET, Service, Timeout, UdpSocket, bind, connect,
    connect_host, get_peer_name, get_sock_name, listen, set_sock_opt, struct_timeval,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(numeric_services_outside_the_port_range_dial_nothing),
    trial!(short_numeric_hosts_dial_nothing),
    trial!(huge_receive_lengths_cost_one_datagram),
    trial!(negative_timeouts_are_past_deadlines_and_nan_is_refused),
    trial!(connect_to_an_unspecified_address_reports_the_real_peer),
    trial!(io_errors_keep_the_message_and_the_error_inside),
    trial!(hostile_text_in_errors_is_escaped_and_capped),
    trial!(udp_errors_name_the_socket),
    trial!(ip_literals_with_a_bad_scope_are_not_looked_up),
];

/// `getaddrinfo` reads "126121" as port 126121 mod 65536, "" and "-0" as port 0.
/// Each is refused, naming the service, before any lookup, and the listener on the port
/// it would wrap to sees no connection.
fn numeric_services_outside_the_port_range_dial_nothing() {
    let server = listener(&"127.0.0.1:0".parse().unwrap());
    let port = server.addr().unwrap().port();
    let wrapped = [u64::from(port) + 65536, u64::from(port) + 3 * 65536];
    let services: Vec<String> = wrapped
        .iter()
        .map(u64::to_string)
        .chain(["", "-0", "65536", " 80", "+80", "-1", "99999999999999999999999"].map(String::from))
        .chain([format!("+{port}"), format!("\t{port}")])
        .collect();
    for service in &services {
        for family in [IPFamily::IPv4, IPFamily::IPUnspec] {
            let e = connect_host("127.0.0.1", service.as_str(), family, PATIENCE).unwrap_err();
            assert_eq!((e.op(), e.kind(), e.gai_code()), ("connect", ErrorKind::InvalidInput, None), "{e}");
            assert!(e.to_string().starts_with(&format!("connect 127.0.0.1:{}: ", service.escape_debug())), "{e}");
            assert!(e.to_string().contains("service"), "{e}");
        }
        assert_eq!(Service::from(service.as_str()).port(), None, "{service:?}");
    }
    assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut, "a wrapped port was dialled");
    // Plain digits with leading zeros are still the port they say.
    let padded = format!("000{port}");
    let conn = connect_host("127.0.0.1", padded.as_str(), IPFamily::IPv4, PATIENCE).unwrap();
    assert_eq!(conn.addr().unwrap(), server.addr().unwrap());
}

/// `getaddrinfo` reads "127.1", "0x7f.1" and "2130706433" as 127.0.0.1 (and "1.2.3" as
/// 1.2.0.3), where `IpAddr` refuses them: `connect_host` refuses them too, naming the host,
/// and the listener on 127.0.0.1 sees no connection. A host:port with a sign in the port is
/// refused by the parser as the service "+80" is by `connect_host`.
fn short_numeric_hosts_dial_nothing() {
    let server = listener(&"127.0.0.1:0".parse().unwrap());
    let port = server.addr().unwrap().port();
    for host in ["127.1", "0x7f.1", "0x7f000001", "2130706433", "127.0.1", "017700000001"] {
        for family in [IPFamily::IPv4, IPFamily::IPUnspec] {
            let e = connect_host(host, port, family, PATIENCE).unwrap_err();
            assert_eq!((e.op(), e.kind(), e.gai_code()), ("connect", ErrorKind::InvalidInput, None), "{e}");
            assert!(e.to_string().starts_with(&format!("connect {host}:{port}: a numeric host")), "{e}");
        }
        assert!(IpAddr::create(host, port, IPFamily::IPv4).is_err(), "{host}");
    }
    assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut, "a short form was dialled");
    let e = format!("127.0.0.1:+{port}").parse::<IpAddr>().unwrap_err();
    assert!(e.to_string().ends_with("the port is not a number from 0 to 65535"), "{e}");
    let conn = connect_host("127.0.0.1", port, IPFamily::IPv4, PATIENCE).unwrap();
    assert_eq!(conn.addr().unwrap(), server.addr().unwrap());
}

/// Resident memory of this process, from `/proc/self/status`.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).expect("VmRSS in /proc/self/status");
    kb.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap() * 1024
}

/// A 2 GiB `buffer_len` used to be allocated and zero-filled before the receive
/// (seconds, and 2 GiB of resident memory). Now it costs one datagram's worth, a zero
/// timeout returns at once, and the largest datagram still arrives whole.
fn huge_receive_lengths_cost_one_datagram() {
    let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&socket, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
    let huge = 1usize << 31;
    let before = resident_bytes();
    let (e, took) = timed(|| socket.recv(huge, 0.0).unwrap_err());
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    let (e2, took2) = timed(|| socket.recvfrom(huge, 0.0, 0).unwrap_err());
    assert_eq!(e2.kind(), ErrorKind::TimedOut, "{e2}");
    let grew = resident_bytes().saturating_sub(before);
    assert!(grew < 64 << 20, "resident memory grew by {grew} bytes");
    assert!(took + took2 < Duration::from_secs(1), "zero-timeout receives took {took:?} and {took2:?}");
    // The largest IPv4 UDP payload, received through a huge length: whole, and exact.
    let datagram: Vec<u8> = (0..65_507u32).map(|i| (i % 251) as u8).collect();
    let to = socket.addr().unwrap();
    socket.send(&datagram, &to, PATIENCE).unwrap();
    let got = socket.recv(huge, PATIENCE).unwrap();
    assert!(got == datagram, "received {} bytes, not the {} sent", got.len(), datagram.len());
    socket.send(&datagram, &to, PATIENCE).unwrap();
    let (got, from) = socket.recvfrom(usize::MAX, PATIENCE, libc::MSG_PEEK).unwrap();
    assert!(got == datagram && from == to);
    let (got, _) = socket.recvfrom(datagram.len(), PATIENCE, 0).unwrap();
    assert!(got == datagram);
    // A length below the datagram is still a truncation error, not a silent cut.
    socket.send(b"0123456789", &to, PATIENCE).unwrap();
    let e = socket.recv(4, PATIENCE).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    assert!(e.to_string().ends_with("datagram of more than 4 bytes truncated to the 4-byte buffer"), "{e}");
}

/// A negative timeout other than Chapel's indefinite value is a deadline already
/// past (try once, then `TimedOut`), never a wait for ever; NaN is refused by every
/// blocking call before it does anything.
fn negative_timeouts_are_past_deadlines_and_nan_is_refused() {
    let past: [Timeout; 6] = [
        (-0.001).into(),
        (-5.0).into(),
        f64::NEG_INFINITY.into(),
        struct_timeval { tv_sec: -2, tv_usec: 0 }.into(),
        struct_timeval { tv_sec: -1, tv_usec: 5 }.into(),
        struct_timeval { tv_sec: -1, tv_usec: -1 }.into(),
    ];
    for any in loopbacks() {
        let (server, client, _peer) = pair(&any);
        let udp = UdpSocket::new(any.family()).unwrap();
        bind(&udp, &any, true).unwrap();
        for t in past {
            assert_eq!(t.duration(), Some(Duration::ZERO), "{t}");
            let (e, took) = timed(|| udp.recv(8, t).unwrap_err());
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            assert!(took < SLACK, "a past deadline waited {took:?}");
            let (e, took) = timed(|| client.recv(&mut [0; 8], t).unwrap_err());
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            assert!(took < SLACK, "a past deadline waited {took:?}");
            let (e, took) = timed(|| server.accept(t).unwrap_err());
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            assert!(took < SLACK, "a past deadline waited {took:?}");
            // "Try once": what is already there is still taken.
            udp.send(b"here", &udp.addr().unwrap(), t).unwrap();
            assert_eq!(udp.recv(8, t).unwrap(), b"here");
        }
        // The documented indefinite values still wait: a datagram sent 200 ms later arrives.
        for t in [Timeout::from(-1.0), f64::INFINITY.into(), INDEFINITE_TIMEOUT.into(), None.into()] {
            assert!(t.is_indefinite(), "{t}");
            let to = udp.addr().unwrap();
            let sender = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                let tx = UdpSocket::new(to.family()).unwrap();
                tx.send(b"later", &to, PATIENCE).unwrap();
            });
            let (got, took) = timed(|| udp.recv(8, t).unwrap());
            assert_eq!(got, b"later");
            assert!(took >= Duration::from_millis(200), "{t} returned after {took:?}");
            sender.join().unwrap();
        }
        // NaN: every blocking call refuses it, and nothing is consumed or dialled.
        let nan = f64::NAN;
        let to = udp.addr().unwrap();
        udp.send(b"queued", &to, PATIENCE).unwrap();
        let port = server.addr().unwrap().port();
        let errors = [
            udp.recv(8, nan).unwrap_err(),
            udp.recvfrom(8, nan, 0).unwrap_err(),
            udp.recv_into(&mut [0; 8], nan).unwrap_err(),
            udp.recv_from_into(&mut [0; 8], nan, 0).unwrap_err(),
            udp.send(b"x", &to, nan).unwrap_err(),
            server.accept(nan).unwrap_err(),
            client.recv(&mut [0; 8], nan).unwrap_err(),
            client.send(b"x", nan).unwrap_err(),
            connect(&server.addr().unwrap(), nan).unwrap_err(),
            connect_host(&any.host(), port, IPFamily::IPUnspec, nan).unwrap_err(),
        ];
        for e in errors {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().ends_with("the timeout is NaN, not a number of seconds"), "{e}");
        }
        assert_eq!(udp.recv(8, 0.0).unwrap(), b"queued");
        assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut, "a NaN connect dialled");
    }
}

/// After `connect(0.0.0.0:P)` (or `[::]:P`) `addr()` is the peer the kernel
/// connected to, as `get_peer_name` says, not the unspecified address.
fn connect_to_an_unspecified_address_reports_the_real_peer() {
    for (any, unspecified) in loopbacks().into_iter().zip(["0.0.0.0", "::"]) {
        let server = listener(&any);
        let at = server.addr().unwrap();
        let wildcard = IpAddr::create(unspecified, at.port(), IPFamily::IPUnspec).unwrap();
        for timeout in [Timeout::INDEFINITE, Timeout::from(PATIENCE)] {
            let conn = connect(&wildcard, timeout).unwrap();
            assert_eq!(conn.addr().unwrap(), at, "connect({wildcard}, {timeout})");
            assert_eq!(get_peer_name(&conn).unwrap(), at);
            let accepted = server.accept(PATIENCE).unwrap();
            assert_eq!(accepted.addr().unwrap(), get_sock_name(&conn).unwrap());
        }
        let conn = connect_host(unspecified, at.port(), IPFamily::IPUnspec, PATIENCE).unwrap();
        assert_eq!(conn.addr().unwrap(), at);
        // A refused connect to the unspecified address is still an error naming it.
        let closed_holder = closed_port(&any);
        let closed = closed_holder.addr;
        let e =
            connect(&IpAddr::create(unspecified, closed.port(), IPFamily::IPUnspec).unwrap(), PATIENCE).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
    }
}

fn dial(to: &IpAddr) -> std::io::Result<chapel_socket::TcpConn> {
    Ok(connect(to, PATIENCE)?)
}

/// `?` into `io::Error` used to keep only the errno. Now the message, the kind and
/// the crate's error (errno, op, address) all survive.
fn io_errors_keep_the_message_and_the_error_inside() {
    let closed_holder = closed_port(&"127.0.0.1:0".parse().unwrap());
    let closed = closed_holder.addr;
    let e = dial(&closed).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    assert!(e.to_string().starts_with(&format!("connect to {closed}: ")), "{e}");
    let inner = e.get_ref().and_then(|e| e.downcast_ref::<chapel_socket::Error>()).expect("the crate's error inside");
    assert_eq!(
        (inner.op(), inner.raw_os_error(), inner.address()),
        ("connect", Some(libc::ECONNREFUSED), Some(closed))
    );
    // Read keeps the kinds std acts on: an SO_RCVTIMEO wait ends as WouldBlock, which
    // read_exact passes on (it retries only Interrupted), named after the peer.
    let (_server, mut client, _peer) = pair(&"127.0.0.1:0".parse().unwrap());
    let tv = [0i64.to_ne_bytes(), 50_000i64.to_ne_bytes()].concat(); // { tv_sec: 0, tv_usec: 50_000 }
    set_sock_opt(&client, SOL_SOCKET, SO_RCVTIMEO, tv.as_slice()).unwrap();
    let e = client.read_exact(&mut [0; 4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
    assert!(e.to_string().starts_with(&format!("recv on {}: ", client.addr().unwrap())), "{e}");
    let inner = e.get_ref().and_then(|e| e.downcast_ref::<chapel_socket::Error>()).unwrap();
    assert_eq!(inner.raw_os_error(), Some(libc::EAGAIN));
    // A closed connection says so through Read too.
    client.close().unwrap();
    let e = client.read(&mut [0; 4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.get_ref().and_then(|e| e.downcast_ref::<chapel_socket::Error>()).unwrap().is_closed());
}

/// Hosts and services reach a message with control characters escaped and at
/// most 256 characters of each, followed by the full length.
fn hostile_text_in_errors_is_escaped_and_capped() {
    let long_host = format!("\u{1b}[2J{}\0", "h".repeat(100_000));
    let long_service = "9".repeat(100_000);
    let cases = [
        connect_host(&long_host, 80, IPFamily::IPUnspec, PATIENCE).unwrap_err(),
        connect_host("127.0.0.1", long_service.as_str(), IPFamily::IPv4, PATIENCE).unwrap_err(),
        connect_host("127.0.0.1", "\u{1b}]0;pwned\u{7}\0", IPFamily::IPv4, PATIENCE).unwrap_err(),
        IpAddr::create("::1\u{1b}[31m", 80, IPFamily::IPv6).unwrap_err(),
        IpAddr::create(&long_host, 80, IPFamily::IPv4).unwrap_err(),
        format!("{long_host}:80").parse::<IpAddr>().unwrap_err(),
    ];
    for e in &cases {
        let text = e.to_string();
        assert!(text.len() < 1200, "a {}-byte message: {}", text.len(), &text[..200]);
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{text}");
    }
    assert!(cases[0].to_string().contains("\\u{1b}[2J"), "{}", cases[0]);
    assert!(cases[0].to_string().contains("… (100005 characters):80: "), "{}", cases[0]);
    assert!(cases[1].to_string().contains("… (100000 characters): "), "{}", cases[1]);
    assert!(cases[2].to_string().contains("\\u{1b}]0;pwned\\u{7}\\0"), "{}", cases[2]);
}

/// UDP errors name the socket's own address, and the peer where there is one, as
/// TCP's do.
fn udp_errors_name_the_socket() {
    for any in loopbacks() {
        let socket = UdpSocket::new(any.family()).unwrap();
        bind(&socket, &any, true).unwrap();
        let me = socket.addr().unwrap();
        for e in [
            socket.recv(8, 0.05).unwrap_err(),
            socket.recvfrom(8, 0.05, 0).unwrap_err(),
            socket.recv_into(&mut [0; 8], 0.0).unwrap_err(),
            socket.recv_from_into(&mut [0; 8], 0.0, 0).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::TimedOut);
            assert_eq!(e.address(), Some(me));
            assert!(e.to_string().starts_with(&format!("{} on {me}: timed out after ", e.op())), "{e}");
        }
        let sender = UdpSocket::new(any.family()).unwrap();
        bind(&sender, &any, true).unwrap();
        sender.send(b"0123456789", &me, PATIENCE).unwrap();
        let from = sender.addr().unwrap();
        let e = socket.recvfrom(4, PATIENCE, 0).unwrap_err();
        assert_eq!(e.address(), Some(from));
        assert_eq!(
            e.to_string(),
            format!("recvfrom on {me} from {from}: datagram of more than 4 bytes truncated to the 4-byte buffer")
        );
        sender.send(b"0123456789", &me, PATIENCE).unwrap();
        let e = socket.recv(4, PATIENCE).unwrap_err();
        assert!(e.to_string().starts_with(&format!("recv on {me}: datagram of more than 4 bytes")), "{e}");
        // A send names the socket and the destination.
        let other: IpAddr = if any.family() == IPFamily::IPv4 { "[::1]:9" } else { "127.0.0.1:9" }.parse().unwrap();
        let e = socket.send(b"x", &other, PATIENCE).unwrap_err();
        assert!(e.raw_os_error().is_some(), "{e}");
        assert!(e.to_string().starts_with(&format!("send on {me} to {other}: ")), "{e}");
        assert_eq!(e.address(), Some(other));
    }
    // Unbound, the socket is named by what the kernel says: the wildcard, port 0.
    let unbound = UdpSocket::new(IPFamily::IPv4).unwrap();
    let e = unbound.recv(8, 0.0).unwrap_err();
    assert!(e.to_string().starts_with("recv on 0.0.0.0:0: timed out"), "{e}");
}

/// A host written as an IP literal is never handed to the resolver as a name: with
/// a scope that names no interface it is the address parser's error, without a lookup.
fn ip_literals_with_a_bad_scope_are_not_looked_up() {
    let server = listen(&"[::1]:0".parse().unwrap(), true, 4).unwrap();
    let port = server.addr().unwrap().port();
    for host in ["fe80::1%bogus", "::1%no-such-interface0", "fe80::1%", "127.0.0.1%lo", "1.2.3.4%bogus"] {
        for family in [IPFamily::IPUnspec, IPFamily::IPv6, IPFamily::IPv4] {
            for e in [
                connect_host(host, port, family, PATIENCE).unwrap_err(),
                connect_host(host, "http", family, PATIENCE).unwrap_err(),
            ] {
                assert_eq!((e.op(), e.kind(), e.gai_code()), ("parse address", ErrorKind::InvalidInput, None), "{e}");
                assert!(e.to_string().contains(&format!("{host:?}")), "{e}");
            }
        }
    }
    assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut);
}
