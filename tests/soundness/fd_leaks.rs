//! No descriptor leaks: thousands of iterations through every success and error path of the
//! crate leave the process with exactly the descriptors it started with.
//!
//! It counts `/proc/self/fd`, which any test running beside it would disturb: the binary runs
//! its tests one at a time.

use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use crate::support::trials::{Test, note, trial};
use crate::support::{ClosedPort, FullQueue, closed_port, full_queue, open_fds};
use chapel_socket::{
    IPFamily, IpAddr, IpOptions, SO_LINGER, SOL_SOCKET, SocketOptions, TcpConn, TcpListener, TcpOptions, TcpSocket,
    UdpSocket, bind, connect, connect_host, get_sock_opt, listen, set_sock_opt,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[trial!(no_descriptor_leaks_on_any_path)];

const ITERATIONS: usize = 12_000;

/// Loopback addresses 127.0.0.1 to 127.0.0.200 in turn, so the TIME_WAIT entries of the
/// connections made here spread over many address pairs.
fn loopback(i: usize) -> IpAddr {
    IpAddr::create(&format!("127.0.0.{}", 1 + i % 200), 0, IPFamily::IPv4).unwrap()
}

/// Closes with an RST (SO_LINGER 0), so the connection leaves no TIME_WAIT behind.
fn abort(mut conn: TcpConn) {
    let linger = [1i32.to_ne_bytes(), 0i32.to_ne_bytes()].concat();
    set_sock_opt(&conn, SOL_SOCKET, SO_LINGER, &linger).unwrap();
    conn.close().unwrap();
}

/// Long-lived sockets the error paths need: a listener whose accept queue is full (connects
/// to it time out), a port nobody listens on (connects are refused), a connected pair with
/// nothing to read, and a listener and a UDP socket whose addresses are taken.
struct Fixtures {
    full: FullQueue,
    refused: ClosedPort,
    pair: (TcpConn, TcpConn),
    taken: TcpListener,
    udp_taken: UdpSocket,
}

impl Fixtures {
    fn new() -> Fixtures {
        let lo4 = "127.0.0.1:0".parse().unwrap();
        let full = full_queue(&lo4);
        let refused = closed_port(&lo4);
        let server = listen(&lo4, true, 1).unwrap();
        let client = connect(&server.addr().unwrap(), 1.0).unwrap();
        let pair = (client, server.accept(1.0).unwrap());
        let taken = listen(&lo4, false, 1).unwrap();
        let udp_taken = UdpSocket::new(IPFamily::IPv4).unwrap();
        bind(&udp_taken, &lo4, false).unwrap();
        Fixtures { full, refused, pair, taken, udp_taken }
    }
}

/// How many paths `step` cycles through.
const PATHS: usize = 17;

/// One pass through path `i % PATHS`; each checks the result it expects.
fn step(i: usize, fx: &Fixtures) {
    let t = 1.0;
    match i % PATHS {
        // Full TCP exchange with a bounded connect, closed explicitly.
        0 => {
            let mut server = listen(&loopback(i), true, 4).unwrap();
            let mut client = connect(&server.addr().unwrap(), t).unwrap();
            let mut peer = server.accept(t).unwrap();
            client.write_all(b"ping").unwrap();
            let mut buf = [0; 4];
            peer.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"ping");
            client.shutdown(Shutdown::Write).unwrap();
            assert_eq!(peer.recv(&mut buf, t).unwrap(), 0);
            abort(peer);
            client.close().unwrap();
            server.close().unwrap();
        }
        // Indefinite connect and accept, everything dropped without close.
        1 => {
            let server = listen(&loopback(i), true, 4).unwrap();
            let at = server.addr().unwrap();
            let client = connect_host(&at.host(), at.port(), IPFamily::IPv4, -1.0).unwrap();
            let peer = server.accept(-1.0).unwrap();
            assert_eq!(client.send(b"x", t).unwrap(), 1);
            assert_eq!(peer.recv(&mut [0; 4], t).unwrap(), 1);
            abort(peer);
        }
        // Refused, with and without a timeout.
        2 => {
            let e = connect(&fx.refused.addr, t).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
            let e = connect(&fx.refused.addr, -1.0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
        }
        // Connect timeout against the full accept queue.
        3 => {
            let timeout = if i % 28 == 3 { Duration::ZERO } else { Duration::from_millis(1) };
            let e = connect(&fx.full.addr(), timeout).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        }
        // Accept timeout.
        4 => {
            let server = listen(&loopback(i), true, 4).unwrap();
            let e = server.accept(Duration::from_micros(100)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        }
        // Receive timeouts, TCP and UDP.
        5 => {
            let e = fx.pair.0.recv(&mut [0; 8], 0.0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            let udp = UdpSocket::new(IPFamily::IPv4).unwrap();
            let e = udp.recv(16, Duration::from_micros(50)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        }
        // Address in use, TCP and UDP.
        6 => {
            let e = listen(&fx.taken.addr().unwrap(), false, 4).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::AddrInUse, "{e}");
            let udp = UdpSocket::new(IPFamily::IPv4).unwrap();
            let e = bind(&udp, &fx.udp_taken.addr().unwrap(), false).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::AddrInUse, "{e}");
        }
        // Resolver failures: an unknown service, and a host name glibc's resolver refuses
        // itself (a space is no hostname character), so no query leaves the machine.
        7 => {
            let e = connect_host("127.0.0.1", "no-such-service-x", IPFamily::IPv4, t).unwrap_err();
            assert!(e.gai_code().is_some(), "{e}");
            let e = connect_host("no such host.invalid", 80, IPFamily::IPUnspec, t).unwrap_err();
            assert!(e.gai_code().is_some(), "{e}");
        }
        // Bad addresses: rejected by the parser, by the host check, or by the kernel.
        8 => {
            assert!(IpAddr::create("127.0.0.256", 1, IPFamily::IPv4).is_err());
            assert!("[::1]:99999".parse::<IpAddr>().is_err());
            assert!(connect_host("127.0.0.1\0x", 80, IPFamily::IPv4, t).is_err());
            assert!(connect_host("::1", 80, IPFamily::IPv4, t).is_err());
            assert!(UdpSocket::new(IPFamily::IPUnspec).is_err());
            let e = connect(&"127.0.0.1:0".parse().unwrap(), t).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
            let udp = UdpSocket::new(IPFamily::IPv4).unwrap();
            let e = udp.send(b"x", &"127.0.0.1:0".parse().unwrap(), t).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}");
            let e = bind(&udp, &"[::1]:0".parse().unwrap(), true).unwrap_err();
            assert!(e.raw_os_error().is_some(), "{e}");
        }
        // Close, then use: every call is a "closed" error.
        9 => {
            let mut server = listen(&loopback(i), true, 4).unwrap();
            let mut client = connect(&server.addr().unwrap(), t).unwrap();
            let mut udp = UdpSocket::new(IPFamily::IPv6).unwrap();
            server.close().unwrap();
            client.close().unwrap();
            udp.close().unwrap();
            assert!(server.accept(0.0).unwrap_err().is_closed());
            assert!(server.close().unwrap_err().is_closed());
            assert!(client.send(b"x", t).unwrap_err().is_closed());
            assert!(client.recv(&mut [0; 1], t).unwrap_err().is_closed());
            assert!(client.close().unwrap_err().is_closed());
            assert!(udp.send(b"x", &"[::1]:9".parse().unwrap(), t).unwrap_err().is_closed());
            assert!(udp.recv(8, t).unwrap_err().is_closed());
            assert!(get_sock_opt(&udp, SOL_SOCKET, SO_LINGER).unwrap_err().is_closed());
        }
        // Drop without close, including a connection the listener never accepted.
        10 => {
            let server = listen(&loopback(i), true, 4).unwrap();
            let client = connect(&server.addr().unwrap(), t).unwrap();
            let _udp = UdpSocket::new(IPFamily::IPv4).unwrap();
            abort(client);
        }
        // A UDP round trip, IPv6.
        11 => {
            let rx = UdpSocket::new(IPFamily::IPv6).unwrap();
            bind(&rx, &"[::1]:0".parse().unwrap(), true).unwrap();
            let tx = UdpSocket::new(IPFamily::IPv6).unwrap();
            tx.send(b"datagram", &rx.addr().unwrap(), t).unwrap();
            let (data, from) = rx.recvfrom(64, t, 0).unwrap();
            assert_eq!((data.as_slice(), from.port()), (&b"datagram"[..], tx.addr().unwrap().port()));
        }
        // Socket options the kernel refuses, and a truncated datagram.
        12 => {
            let udp = UdpSocket::new(IPFamily::IPv4).unwrap();
            assert!(set_sock_opt(&udp, SOL_SOCKET, 9999, 1).is_err());
            assert!(get_sock_opt(&udp, 9999, 1).is_err());
            bind(&udp, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
            udp.send(b"too long", &udp.addr().unwrap(), t).unwrap();
            assert_eq!(udp.recv(2, t).unwrap_err().kind(), ErrorKind::InvalidData);
        }
        // Input refused before any syscall or lookup (services that would wrap, literals
        // with a bad scope, NaN timeouts), connects to the unspecified address (the extra
        // getpeername), huge receive lengths, past deadlines, UDP errors that name the socket.
        14 => {
            let server = listen(&loopback(i), true, 4).unwrap();
            let at = server.addr().unwrap();
            let wrapped = (u32::from(at.port()) + 65536).to_string();
            let e = connect_host(&at.host(), wrapped.as_str(), IPFamily::IPv4, t).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(connect_host(&at.host(), "", IPFamily::IPv4, t).is_err());
            let e = connect_host("fe80::1%bogus", at.port(), IPFamily::IPUnspec, t).unwrap_err();
            assert_eq!(e.op(), "parse address", "{e}");
            let udp = UdpSocket::new(IPFamily::IPv4).unwrap();
            bind(&udp, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
            for e in [
                connect(&at, f64::NAN).unwrap_err(),
                connect_host(&at.host(), at.port(), IPFamily::IPv4, f64::NAN).unwrap_err(),
                server.accept(f64::NAN).unwrap_err(),
                udp.recv(8, f64::NAN).unwrap_err(),
                fx.pair.0.recv(&mut [0; 8], f64::NAN).unwrap_err(),
            ] {
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            }
            // 0.0.0.0 dials 127.0.0.1, so this listener is on that one.
            let local = listen(&"127.0.0.1:0".parse().unwrap(), true, 4).unwrap();
            let unspecified = IpAddr::create("0.0.0.0", local.addr().unwrap().port(), IPFamily::IPv4).unwrap();
            let client = connect(&unspecified, if i % 30 == 14 { -1.0 } else { t }).unwrap();
            assert_eq!(client.addr().unwrap(), local.addr().unwrap());
            abort(local.accept(t).unwrap());
            drop(client);
            let e =
                connect(&IpAddr::create("0.0.0.0", fx.refused.addr.port(), IPFamily::IPv4).unwrap(), t).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
            assert_eq!(udp.recv(1 << 31, -0.5).unwrap_err().kind(), ErrorKind::TimedOut);
            udp.send(b"whole", &udp.addr().unwrap(), t).unwrap();
            assert_eq!(udp.recvfrom(usize::MAX, t, 0).unwrap().0, b"whole");
            let e = udp.send(b"x", &"[::1]:9".parse().unwrap(), t).unwrap_err();
            assert!(e.to_string().starts_with("send on 127.0.0.1:"), "{e}");
        }
        // Beyond Chapel: the unbound socket's error paths, connected UDP, peek, vectored
        // I/O, descriptor interop.
        15 => {
            assert!(TcpSocket::new(IPFamily::IPUnspec).is_err());
            let mut socket = TcpSocket::v4().unwrap();
            let e = socket.bind(&fx.taken.addr().unwrap()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::AddrInUse, "{e}");
            drop(socket);
            let e = TcpSocket::v4().unwrap().connect(&fx.refused.addr, t).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
            let e = TcpSocket::v4().unwrap().connect(&fx.full.addr(), Duration::from_millis(1)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            assert!(TcpSocket::v4().unwrap().connect(&fx.refused.addr, f64::NAN).is_err());
            assert!(TcpSocket::v6().unwrap().connect(&fx.refused.addr, t).is_err(), "wrong family");
            let mut bound = TcpSocket::v4().unwrap();
            bound.bind(&loopback(i)).unwrap();
            let server = bound.listen(4).unwrap();
            let mut source = TcpSocket::v4().unwrap();
            source.bind(&loopback(i + 1)).unwrap();
            let client = source.connect(&server.addr().unwrap(), t).unwrap();
            let peer = server.accept(t).unwrap();
            client.send_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"c")], t).unwrap();
            assert_eq!(peer.peek(&mut [0; 4], t).unwrap(), 3);
            assert_eq!(peer.recv_vectored(&mut [IoSliceMut::new(&mut [0; 4])], t).unwrap(), 3);
            peer.set_nonblocking(true).unwrap();
            assert_eq!(peer.recv(&mut [0; 4], -1.0).unwrap_err().kind(), ErrorKind::WouldBlock);
            assert_eq!(peer.peek(&mut [0; 4], 0.0).unwrap_err().kind(), ErrorKind::TimedOut);
            let _lent = peer.try_as_fd().unwrap().try_clone_to_owned().unwrap();
            abort(peer);
            drop(client);
            let udp = UdpSocket::new(IPFamily::IPv4).unwrap();
            assert!(udp.send_connected(b"x", t).is_err());
            assert!(udp.connect(&"[::1]:9".parse().unwrap()).is_err());
            udp.connect(&fx.udp_taken.addr().unwrap()).unwrap();
            udp.send_connected(b"x", t).unwrap();
            assert!(fx.udp_taken.recv(8, t).is_ok());
            let mut closed = UdpSocket::new(IPFamily::IPv4).unwrap();
            closed.close().unwrap();
            assert!(closed.try_as_fd().unwrap_err().is_closed());
        }
        // Typed options: the kernel's refusals, values refused before it, a closed socket,
        // multicast membership on loopback.
        16 => {
            let mut udp = UdpSocket::new(IPFamily::IPv4).unwrap();
            assert_eq!(udp.set_hop_limit_v6(5).unwrap_err().raw_os_error(), Some(chapel_socket::ENOPROTOOPT));
            assert_eq!(udp.set_ttl(256).unwrap_err().raw_os_error(), Some(chapel_socket::EINVAL));
            assert_eq!(udp.set_ttl(u32::MAX).unwrap_err().kind(), ErrorKind::InvalidInput);
            assert_eq!(fx.pair.0.set_keepalive_idle(Duration::MAX).unwrap_err().kind(), ErrorKind::InvalidInput);
            let group = std::net::Ipv4Addr::new(239, 255, 0, 9);
            let lo = std::net::Ipv4Addr::LOCALHOST;
            assert_eq!(udp.leave_multicast_v4(&group, &lo).unwrap_err().kind(), ErrorKind::AddrNotAvailable);
            udp.join_multicast_v4(&group, &lo).unwrap();
            udp.set_linger(Some(Duration::ZERO)).unwrap();
            udp.close().unwrap();
            assert!(udp.set_linger(None).unwrap_err().is_closed());
        }
        // The peer goes away: reads see end of stream, writes fail.
        _ => {
            let server = listen(&loopback(i), true, 4).unwrap();
            let client = connect(&server.addr().unwrap(), t).unwrap();
            abort(server.accept(t).unwrap());
            let deadline = Instant::now() + Duration::from_secs(5);
            let err = loop {
                match client.send(b"x", t) {
                    Ok(_) => assert!(Instant::now() < deadline, "writes to a reset peer kept succeeding"),
                    Err(e) => break e,
                }
            };
            assert!(matches!(err.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe), "{err}");
        }
    }
}

fn no_descriptor_leaks_on_any_path() {
    let started = Instant::now();
    let before = open_fds();
    let fixtures = Fixtures::new();
    let with_fixtures = open_fds();
    for i in 0..ITERATIONS {
        step(i, &fixtures);
        if i % 1000 == 999 {
            assert_eq!(open_fds(), with_fixtures, "descriptor count grew by iteration {i}");
        }
    }
    assert_eq!(open_fds(), with_fixtures);
    drop(fixtures);
    assert_eq!(open_fds(), before, "descriptors left open after {ITERATIONS} iterations");
    note!(
        "fd_leaks: {ITERATIONS} iterations over {PATHS} paths, {before} fds before and after, {:?}",
        started.elapsed()
    );
}
