//! Beyond Chapel: the unbound `TcpSocket` (options before `bind`, a source address
//! before `connect`), descriptor interop without `unsafe`, connected UDP, `peek`, vectored
//! I/O and integer-second timeouts. Loopback only, OS-assigned ports, bounded loops.

use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::support::trials::{Test, trial};
use crate::support::{PATIENCE, assert_waited, loopbacks, pair, timed};
use chapel_socket::{
    INDEFINITE_TIMEOUT, IPFamily, IPPROTO_IPV6, IPV6_V6ONLY, IpAddr, SO_OOBINLINE, SO_REUSEPORT, SOL_SOCKET, TcpConn,
    TcpListener, TcpSocket, UdpSocket, UnixDatagram, UnixStream, bind, connect, get_sock_name, get_sock_opt, listen,
    set_sock_opt,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(bind_before_connect_sets_the_source_port),
    trial!(a_bound_source_that_is_taken_is_an_error_naming_it),
    trial!(two_listeners_on_one_port_with_so_reuseport_both_accept),
    trial!(ipv6_only_off_takes_ipv4_as_mapped_and_on_shares_the_port),
    trial!(a_socket_lent_through_as_fd_reports_readiness_to_poll),
    trial!(every_socket_type_lends_its_descriptor_until_closed),
    trial!(owned_descriptors_go_in_and_out_of_every_type),
    trial!(connected_udp_hears_only_its_peer),
    trial!(a_connected_udp_socket_learns_its_peer_is_gone),
    trial!(peek_leaves_the_bytes_for_the_next_read),
    trial!(vectored_io_moves_every_buffer_in_order),
    trial!(send_all_sends_everything_within_one_deadline),
    trial!(the_urgent_byte_goes_apart_from_the_stream),
    trial!(integer_seconds_are_timeouts),
    trial!(wait_readable_and_wait_writable_take_any_descriptor),
];

/// A `poll(2)` of one descriptor for `events`, through any `AsFd`: what an event loop does
/// with the descriptor a socket lends.
fn poll_one(fd: impl AsFd, events: i16, ms: i32) -> i16 {
    let mut pfd = libc::pollfd { fd: fd.as_fd().as_raw_fd(), events, revents: 0 };
    // SAFETY: one valid pollfd, for the duration of the call.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    assert!(n >= 0, "poll failed: {}", std::io::Error::last_os_error());
    pfd.revents
}

/// Accepts on whichever of `listeners` has the next connection, within `PATIENCE`; its index.
fn accept_either(listeners: &[TcpListener]) -> usize {
    let deadline = Instant::now() + Duration::from_secs_f64(PATIENCE);
    while Instant::now() < deadline {
        for (i, l) in listeners.iter().enumerate() {
            if l.accept(0.0).is_ok() {
                return i;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("no listener accepted the connection");
}

fn bind_before_connect_sets_the_source_port() {
    for any in loopbacks() {
        let server = listen(&any, true, 16).unwrap();
        let mut socket = TcpSocket::new(any.family()).unwrap();
        socket.bind(&any).unwrap();
        let source = socket.local_addr().unwrap();
        assert_ne!(source.port(), 0);
        let client = socket.connect(&server.addr().unwrap(), PATIENCE).unwrap();
        assert_eq!(get_sock_name(&client).unwrap(), source);
        // The peer sees the chosen source address and port.
        assert_eq!(server.accept(PATIENCE).unwrap().addr().unwrap(), source);
        // Indefinite works on the non-blocking socket too, and hands the connection over
        // blocking: a read waits.
        let client = TcpSocket::new(any.family()).unwrap().connect(&server.addr().unwrap(), -1).unwrap();
        let peer = server.accept(PATIENCE).unwrap();
        let (got, waited) = timed(|| client.recv(&mut [0; 4], 0.2));
        assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(waited, Duration::from_millis(200), "recv after TcpSocket::connect");
        drop(peer);
    }
}

fn a_bound_source_that_is_taken_is_an_error_naming_it() {
    let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 16).unwrap();
    let mut socket = TcpSocket::v4().unwrap();
    let err = socket.bind(&server.addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert_eq!(err.address(), Some(server.addr().unwrap()));
    // The other family's address is refused by the kernel.
    assert!(TcpSocket::v4().unwrap().bind(&"[::1]:0".parse().unwrap()).is_err());
    let err = TcpSocket::new(IPFamily::IPUnspec).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

fn two_listeners_on_one_port_with_so_reuseport_both_accept() {
    for any in loopbacks() {
        let mut first = TcpSocket::new(any.family()).unwrap();
        set_sock_opt(&first, SOL_SOCKET, SO_REUSEPORT, 1).unwrap();
        assert_eq!(get_sock_opt(&first, SOL_SOCKET, SO_REUSEPORT).unwrap(), 1);
        first.bind(&any).unwrap();
        let at = first.local_addr().unwrap();
        let mut second = TcpSocket::new(any.family()).unwrap();
        set_sock_opt(&second, SOL_SOCKET, SO_REUSEPORT, 1).unwrap();
        second.bind(&at).unwrap();
        // Without the option, the port is taken.
        let mut third = TcpSocket::new(any.family()).unwrap();
        assert_eq!(third.bind(&at).unwrap_err().kind(), ErrorKind::AddrInUse);
        let listeners = [first.listen(64).unwrap(), second.listen(64).unwrap()];
        assert_eq!(listeners[1].addr().unwrap(), at);
        let mut accepted = [0; 2];
        let mut kept = Vec::new();
        for _ in 0..200 {
            kept.push(connect(&at, PATIENCE).unwrap());
            accepted[accept_either(&listeners)] += 1;
            if accepted.iter().all(|&n| n > 0) {
                break;
            }
        }
        assert!(accepted.iter().all(|&n| n > 0), "{any}: connections per listener {accepted:?}");
    }
}

fn ipv6_only_off_takes_ipv4_as_mapped_and_on_shares_the_port() {
    // V6ONLY off: an IPv6 wildcard listener takes an IPv4 client, seen as ::ffff:127.0.0.1.
    let mut socket = TcpSocket::v6().unwrap();
    set_sock_opt(&socket, IPPROTO_IPV6, IPV6_V6ONLY, 0).unwrap();
    socket.bind(&"[::]:0".parse().unwrap()).unwrap();
    let dual = socket.listen(16).unwrap();
    let port = dual.addr().unwrap().port();
    let v4 = IpAddr::create("127.0.0.1", port, IPFamily::IPv4).unwrap();
    let client = connect(&v4, PATIENCE).unwrap();
    let peer = dual.accept(PATIENCE).unwrap().addr().unwrap();
    assert_eq!(peer.family(), IPFamily::IPv6);
    assert_eq!(peer.host(), "::ffff:127.0.0.1");
    assert_eq!(peer.port(), get_sock_name(&client).unwrap().port());
    // ...so an IPv4 listener cannot have the port.
    let mut taken = TcpSocket::v4().unwrap();
    assert_eq!(taken.bind(&v4).unwrap_err().kind(), ErrorKind::AddrInUse);
    drop((client, dual));

    // V6ONLY on: the IPv6 wildcard and an IPv4 listener share one port. The kernel picks
    // the IPv6 port without looking at IPv4, so a connection of another test running
    // meanwhile may hold 127.0.0.1 on that port number: then try another (a few times).
    let (six, four, port) = (0..20)
        .find_map(|_| {
            let mut socket = TcpSocket::v6().unwrap();
            set_sock_opt(&socket, IPPROTO_IPV6, IPV6_V6ONLY, 1).unwrap();
            socket.bind(&"[::]:0".parse().unwrap()).unwrap();
            let six = socket.listen(16).unwrap();
            let port = six.addr().unwrap().port();
            match listen(&IpAddr::create("127.0.0.1", port, IPFamily::IPv4).unwrap(), false, 16) {
                Ok(four) => Some((six, four, port)),
                Err(e) if e.kind() == ErrorKind::AddrInUse => None,
                Err(e) => panic!("{e}"),
            }
        })
        .expect("20 IPv6 ports, each taken on 127.0.0.1 by another socket");
    let v4 = IpAddr::create("127.0.0.1", port, IPFamily::IPv4).unwrap();
    let _a = connect(&v4, PATIENCE).unwrap();
    assert_eq!(four.accept(PATIENCE).unwrap().addr().unwrap().family(), IPFamily::IPv4);
    let _b = connect(&IpAddr::create("::1", port, IPFamily::IPv6).unwrap(), PATIENCE).unwrap();
    assert_eq!(six.accept(PATIENCE).unwrap().addr().unwrap().host(), "::1");
    assert_eq!(four.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut);
}

fn a_socket_lent_through_as_fd_reports_readiness_to_poll() {
    for any in loopbacks() {
        let (_server, client, peer) = pair(&any);
        let fd = peer.try_as_fd().unwrap();
        assert_eq!(poll_one(fd, libc::POLLIN, 0), 0, "nothing to read yet");
        client.send(b"ping", PATIENCE).unwrap();
        assert_ne!(poll_one(peer.try_as_fd().unwrap(), libc::POLLIN, 5000) & libc::POLLIN, 0);
        assert_ne!(poll_one(client.try_as_fd().unwrap(), libc::POLLOUT, 0) & libc::POLLOUT, 0);
        // An event loop: non-blocking, read what is there, then WouldBlock at once.
        peer.set_nonblocking(true).unwrap();
        let mut buf = [0; 16];
        assert_eq!((&peer).read(&mut buf).unwrap(), 4);
        let (err, took) = timed(|| (&peer).read(&mut buf).unwrap_err());
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert!(took < Duration::from_secs(1), "an indefinite read on a non-blocking socket waited {took:?}");
        // A timed receive still waits its whole timeout, never less.
        let (got, waited) = timed(|| peer.recv(&mut buf, 0.15));
        assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(waited, Duration::from_millis(150), "recv on a non-blocking socket");
        // ...and takes data that comes within it.
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            client.send(b"late", PATIENCE).map(|_| client)
        });
        assert_eq!(peer.recv(&mut buf, PATIENCE).unwrap(), 4);
        let _client = sender.join().unwrap().unwrap();
        // Blocking again: a timed wait still keeps its timeout.
        peer.set_nonblocking(false).unwrap();
        let (got, waited) = timed(|| peer.recv(&mut buf, 0.15));
        assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(waited, Duration::from_millis(150), "recv after set_nonblocking(false)");
    }
}

fn every_socket_type_lends_its_descriptor_until_closed() {
    let (mut listener, mut conn, _peer) = pair(&"127.0.0.1:0".parse().unwrap());
    let mut udp = UdpSocket::new(IPFamily::IPv4).unwrap();
    let (mut stream, _other) = UnixStream::pair().unwrap();
    let (mut datagram, _other_datagram) = UnixDatagram::pair().unwrap();
    assert_eq!(listener.try_as_fd().unwrap().as_raw_fd(), listener.socket_fd());
    assert_eq!(conn.try_as_fd().unwrap().as_raw_fd(), conn.socket_fd());
    assert_eq!(udp.try_as_fd().unwrap().as_raw_fd(), udp.socket_fd());
    assert!(stream.try_as_fd().is_ok() && datagram.try_as_fd().is_ok());
    assert!(TcpSocket::v4().unwrap().try_as_fd().is_ok());
    listener.close().unwrap();
    conn.close().unwrap();
    udp.close().unwrap();
    stream.close().unwrap();
    datagram.close().unwrap();
    for err in [
        listener.try_as_fd().unwrap_err(),
        conn.try_as_fd().unwrap_err(),
        udp.try_as_fd().unwrap_err(),
        stream.try_as_fd().unwrap_err(),
        datagram.try_as_fd().unwrap_err(),
        conn.set_nonblocking(true).unwrap_err(),
    ] {
        assert!(err.is_closed(), "{err}");
    }
}

fn owned_descriptors_go_in_and_out_of_every_type() {
    // An unbound socket from socket2, adopted, bound and listening.
    let raw = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let mut socket = TcpSocket::try_from(OwnedFd::from(raw)).unwrap();
    socket.bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let server = socket.listen(16).unwrap();
    let client = connect(&server.addr().unwrap(), PATIENCE).unwrap();
    let conn = TcpConn::try_from(OwnedFd::try_from(server.accept(PATIENCE).unwrap()).unwrap()).unwrap();
    assert_eq!(conn.addr().unwrap(), get_sock_name(&client).unwrap());
    let server = TcpListener::try_from(OwnedFd::try_from(server).unwrap()).unwrap();
    assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut);
    let handed = OwnedFd::try_from(TcpSocket::v4().unwrap()).unwrap();
    let back = socket2::Socket::from(handed);
    assert!(!back.nonblocking().unwrap(), "handed over blocking");
    let udp = UdpSocket::try_from(OwnedFd::try_from(UdpSocket::new(IPFamily::IPv6).unwrap()).unwrap()).unwrap();
    assert!(udp.try_as_fd().is_ok());
}

fn connected_udp_hears_only_its_peer() {
    for any in loopbacks() {
        let [me, peer, stranger] = [(); 3].map(|()| {
            let socket = UdpSocket::new(any.family()).unwrap();
            bind(&socket, &any, true).unwrap();
            socket
        });
        me.connect(&peer.addr().unwrap()).unwrap();
        assert_eq!(me.peer_addr().unwrap(), peer.addr().unwrap());
        // The stranger's datagram goes first; the kernel drops it.
        stranger.send(b"stranger", &me.addr().unwrap(), PATIENCE).unwrap();
        peer.send(b"peer", &me.addr().unwrap(), PATIENCE).unwrap();
        let (data, from) = me.recvfrom(64, PATIENCE, 0).unwrap();
        assert_eq!((data.as_slice(), from), (&b"peer"[..], peer.addr().unwrap()));
        assert_eq!(me.recv(64, 0.1).unwrap_err().kind(), ErrorKind::TimedOut);
        // Sends go to the peer without naming it.
        assert_eq!(me.send_connected(b"back", PATIENCE).unwrap(), 4);
        assert_eq!(peer.recvfrom(64, PATIENCE, 0).unwrap(), (b"back".to_vec(), me.addr().unwrap()));
        // An unconnected socket cannot send that way.
        assert!(stranger.send_connected(b"x", PATIENCE).is_err());
        assert_eq!(stranger.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
    }
}

fn a_connected_udp_socket_learns_its_peer_is_gone() {
    let me = UdpSocket::new(IPFamily::IPv4).unwrap();
    let gone = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&gone, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
    let at = gone.addr().unwrap();
    drop(gone);
    me.connect(&at).unwrap();
    me.send_connected(b"anyone?", PATIENCE).unwrap();
    // The ICMP "port unreachable" comes back as an error on the next call.
    let err = me.recv(64, PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

fn peek_leaves_the_bytes_for_the_next_read() {
    for any in loopbacks() {
        let (_server, client, peer) = pair(&any);
        let mut buf = [0; 16];
        assert_eq!(peer.peek(&mut buf, 0.05).unwrap_err().kind(), ErrorKind::TimedOut);
        client.send(b"hello", PATIENCE).unwrap();
        assert_eq!(peer.peek(&mut buf, PATIENCE).unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(peer.peek(&mut buf[..2], PATIENCE).unwrap(), 2);
        let mut read = [0; 16];
        assert_eq!(peer.recv(&mut read, PATIENCE).unwrap(), 5);
        assert_eq!(&read[..5], b"hello");
        client.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(peer.peek(&mut buf, PATIENCE).unwrap(), 0, "end of stream");
    }
}

fn vectored_io_moves_every_buffer_in_order() {
    for any in loopbacks() {
        let (_server, mut client, mut peer) = pair(&any);
        let parts = [IoSlice::new(b"abc"), IoSlice::new(b""), IoSlice::new(b"defg"), IoSlice::new(b"hi")];
        assert_eq!(client.write_vectored(&parts).unwrap(), 9);
        let (mut a, mut b, mut c) = ([0; 2], [0; 0], [0; 16]);
        let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b), IoSliceMut::new(&mut c)];
        // One segment on loopback: one read takes it whole.
        let got = peer.read_vectored(&mut bufs).unwrap();
        assert_eq!(got, 9);
        assert_eq!((&a, &c[..7]), (b"ab", &b"cdefghi"[..]));
        // Timed forms, and no buffers at all.
        assert_eq!(client.send_vectored(&[], PATIENCE).unwrap(), 0);
        client.send_vectored(&[IoSlice::new(b"x")], PATIENCE).unwrap();
        let mut one = [0; 1];
        assert_eq!(peer.recv_vectored(&mut [IoSliceMut::new(&mut one)], PATIENCE).unwrap(), 1);
        let (got, waited) = timed(|| peer.recv_vectored(&mut [IoSliceMut::new(&mut one)], 0.1));
        assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(waited, Duration::from_millis(100), "recv_vectored");
        // A closed writer is EPIPE, never SIGPIPE.
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let err = client.send_vectored(&[IoSlice::new(b"late")], PATIENCE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        assert_eq!(err.op(), "sendmsg");
    }
}

/// `send_all` moves more than the buffers hold, in order; with nobody reading it times out
/// no earlier than its one deadline (not a deadline per send) and says how much went; a
/// closed writer is `EPIPE` with the count; NaN and a closed connection make no syscall.
fn send_all_sends_everything_within_one_deadline() {
    for any in loopbacks() {
        let (_server, client, mut peer) = pair(&any);
        let data: Vec<u8> = (0..(16 << 20)).map(|i| (i % 253) as u8).collect();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            peer.read_to_end(&mut got).map(|_| got)
        });
        client.send_all(&data, PATIENCE).unwrap();
        drop(client);
        assert!(reader.join().unwrap().unwrap() == data, "the bytes arrived whole and in order");

        let (_server, client, _peer) = pair(&any);
        let (got, waited) = timed(|| client.send_all(&data, 0.3));
        let err = got.unwrap_err();
        assert_eq!((err.kind(), err.op(), err.address()), (ErrorKind::TimedOut, "send", Some(client.addr().unwrap())));
        assert_waited(waited, Duration::from_millis(300), "send_all");
        let message = err.to_string();
        assert!(message.contains("timed out after 300ms; "), "{message}");
        assert!(message.ends_with(" of 16777216 bytes were sent"), "{message}");

        let (_server, client, _peer) = pair(&any);
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let err = client.send_all(b"hello", PATIENCE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        assert!(err.to_string().ends_with(": Broken pipe (os error 32); 0 of 5 bytes were sent"), "{err}");
        assert_eq!(client.send_all(b"hello", f64::NAN).unwrap_err().kind(), ErrorKind::InvalidInput);
        let mut closed = client;
        closed.close().unwrap();
        assert!(closed.send_all(b"hello", PATIENCE).unwrap_err().is_closed());
    }
}

/// socket2's `send_out_of_band`/`recv_out_of_band`: the last byte sent with `MSG_OOB` is read
/// apart from the stream; with none announced the receive fails at once (`EINVAL`), however
/// long its timeout; with `SO_OOBINLINE` the byte stays in the stream.
fn the_urgent_byte_goes_apart_from_the_stream() {
    for any in loopbacks() {
        let (_server, client, peer) = pair(&any);
        let (got, took) = timed(|| peer.recv_out_of_band(&mut [0; 4], PATIENCE));
        let err = got.unwrap_err();
        assert_eq!(
            (err.kind(), err.raw_os_error(), err.op()),
            (ErrorKind::InvalidInput, Some(libc::EINVAL), "recv(MSG_OOB)")
        );
        assert!(took < Duration::from_secs(2), "an error at once, not a wait: {took:?}");
        client.send(b"data", PATIENCE).unwrap();
        assert_eq!(client.send_out_of_band(b"!", PATIENCE).unwrap(), 1);
        assert_eq!(poll_one(peer.try_as_fd().unwrap(), libc::POLLPRI, 10_000), libc::POLLPRI);
        let mut urgent = [0; 4];
        assert_eq!(peer.recv_out_of_band(&mut urgent, PATIENCE).unwrap(), 1);
        assert_eq!(urgent[0], b'!');
        let mut buf = [0; 16];
        assert_eq!(peer.recv(&mut buf, PATIENCE).unwrap(), 4);
        assert_eq!(&buf[..4], b"data", "the stream, without the urgent byte");
        assert_eq!(peer.recv_out_of_band(&mut urgent, PATIENCE).unwrap_err().raw_os_error(), Some(libc::EINVAL));

        let (_server, client, peer) = pair(&any);
        set_sock_opt(&peer, SOL_SOCKET, SO_OOBINLINE, 1).unwrap();
        client.send_out_of_band(b"!", PATIENCE).unwrap();
        assert_eq!(peer.recv(&mut buf, PATIENCE).unwrap(), 1);
        assert_eq!(buf[0], b'!', "inline, in the stream");
        assert_eq!(peer.recv_out_of_band(&mut urgent, PATIENCE).unwrap_err().raw_os_error(), Some(libc::EINVAL));

        client.shutdown(std::net::Shutdown::Write).unwrap();
        let err = client.send_out_of_band(b"!", PATIENCE).unwrap_err();
        assert_eq!((err.kind(), err.op()), (ErrorKind::BrokenPipe, "send(MSG_OOB)"));
        let mut closed = peer;
        closed.close().unwrap();
        assert!(closed.recv_out_of_band(&mut urgent, PATIENCE).unwrap_err().is_closed());
    }
}

fn integer_seconds_are_timeouts() {
    let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 16).unwrap();
    let at = server.addr().unwrap();
    let client = connect(&at, 2).unwrap();
    let peer = server.accept(2).unwrap();
    let _indefinite = connect(&at, -1).unwrap();
    let secs: u64 = 2;
    let _typed = connect(&at, secs).unwrap();
    assert_eq!(client.recv(&mut [0; 4], 0).unwrap_err().kind(), ErrorKind::TimedOut);
    // Any other negative integer is a deadline already past: one try.
    let (got, took) = timed(|| client.recv(&mut [0; 4], -5));
    assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
    assert!(took < Duration::from_secs(1), "{took:?}");
    drop(peer);
    assert!(connect(&at, INDEFINITE_TIMEOUT).is_ok());
}

fn wait_readable_and_wait_writable_take_any_descriptor() {
    // One end of a std socket pair: a descriptor the crate did not make.
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    let (err, took) = timed(|| chapel_socket::wait_readable(&reader, 0.05).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(took, Duration::from_millis(50), "wait_readable");
    let named = format!("poll on fd {}: timed out after ", reader.as_raw_fd());
    assert!(err.to_string().starts_with(&named), "{err}");
    let err = chapel_socket::wait_writable(&writer, f64::NAN).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    chapel_socket::wait_writable(&writer, 0.0).unwrap();
    writer.write_all(b"x").unwrap();
    chapel_socket::wait_readable(&reader, 0.0).unwrap();
    // The end of the stream is readiness too: the next read reports it.
    drop(writer);
    chapel_socket::wait_readable(&reader, PATIENCE).unwrap();
}
