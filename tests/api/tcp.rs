//! TCP over loopback, IPv4 and IPv6: listen, connect (by address, host and port,
//! host and service), accept, Read/Write and per-call timeouts, refusal, timeouts against a
//! full accept queue, Nagle/delayed ACK, the resolver's errors, close and the conversions to
//! and from `std::net`. Writes to a closed peer without SIGPIPE are `tests/soundness/sigpipe.rs`'s.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use crate::support;
use crate::support::trials::{Test, note, trial};
use crate::support::{
    PATIENCE, assert_waited, closed_port, connect_until_timeouts, fill_queue, is_child, listener, loopbacks, open_fds,
    pair, run_in_child, timed,
};
use chapel_socket::{
    INDEFINITE_TIMEOUT, IPFamily, IPPROTO_TCP, IpAddr, SO_SNDBUF, SOL_SOCKET, TCP_NODELAY, TcpConn, TcpListener,
    connect, connect_host, get_peer_name, get_sock_name, get_sock_opt, listen, set_sock_opt, struct_timeval,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(listen_reports_its_address_and_every_kind_of_connect_reaches_it),
    trial!(connect_host_resolves_localhost_by_port_and_by_service),
    trial!(connect_to_a_closed_port_is_refused_with_or_without_a_timeout),
    trial!(connect_times_out_against_a_full_accept_queue_and_leaks_nothing),
    trial!(accept_without_a_client_times_out_never_early),
    trial!(bytes_flow_both_ways_and_shutdown_gives_eof),
    trial!(eight_mebibytes_arrive_intact),
    trial!(recv_times_out_never_early_and_then_still_reads),
    trial!(send_times_out_when_the_peer_never_reads),
    trial!(nagle_and_delayed_ack_read_back_on_connections_and_listeners),
    trial!(an_unresolvable_host_is_a_getaddrinfo_error_naming_host_and_code),
    trial!(an_unknown_service_is_a_getaddrinfo_error_naming_it),
    trial!(connect_host_timeout_applies_to_each_address),
    trial!(a_closed_connection_and_listener_refuse_every_call),
    trial!(std_streams_and_listeners_convert_both_ways),
    trial!(connect_host_with_the_wrong_family_is_a_clear_error),
    trial!(a_listener_the_user_makes_non_blocking_stays_so_and_incoming_accepts),
];

fn listen_reports_its_address_and_every_kind_of_connect_reaches_it() {
    for any in loopbacks() {
        let server = listener(&any);
        let addr = server.addr().unwrap();
        assert_eq!((addr.host(), addr.family()), (any.host(), any.family()));
        assert_ne!(addr.port(), 0, "the kernel picks a port for port 0");
        let port = addr.port();
        let service = port.to_string();
        let conns = [
            connect(&addr, INDEFINITE_TIMEOUT).unwrap(),
            connect(&addr, PATIENCE).unwrap(),
            connect_host(&addr.host(), port, addr.family(), PATIENCE).unwrap(),
            connect_host(&addr.host(), service.as_str(), IPFamily::IPUnspec, INDEFINITE_TIMEOUT).unwrap(),
        ];
        for client in &conns {
            assert_eq!(client.addr().unwrap(), addr);
            let accepted = server.accept(PATIENCE).unwrap();
            assert_eq!(accepted.addr().unwrap(), get_sock_name(client).unwrap());
            assert_eq!(get_peer_name(&accepted).unwrap(), get_sock_name(client).unwrap());
        }
    }
}

fn connect_host_resolves_localhost_by_port_and_by_service() {
    // Every resolver maps "localhost" to 127.0.0.1; whether it also gives ::1 varies.
    let server = listener(&"127.0.0.1:0".parse().unwrap());
    let addr = server.addr().unwrap();
    let by_port = connect_host("localhost", addr.port(), IPFamily::IPv4, PATIENCE).unwrap();
    let by_service = connect_host("localhost", addr.port().to_string().as_str(), IPFamily::IPv4, PATIENCE).unwrap();
    for client in [by_port, by_service] {
        assert_eq!(client.addr().unwrap(), addr);
        assert_eq!(server.accept(PATIENCE).unwrap().addr().unwrap(), get_sock_name(&client).unwrap());
    }
}

fn connect_to_a_closed_port_is_refused_with_or_without_a_timeout() {
    for any in loopbacks() {
        let closed = closed_port(&any);
        let addr = closed.addr;
        let results = [
            connect(&addr, INDEFINITE_TIMEOUT),
            connect(&addr, 2.0),
            connect(&addr, Duration::from_millis(500)),
            connect_host(&addr.host(), addr.port(), addr.family(), 2.0),
        ];
        for result in results {
            let err = result.expect_err("a connect to a closed port succeeded");
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
            assert_eq!((err.op(), err.address()), ("connect", Some(addr)));
            assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
            assert!(err.to_string().contains(&addr.to_string()), "{err}");
        }
    }
}

/// Counts this process's descriptors, so it runs alone in a child process.
fn connect_times_out_against_a_full_accept_queue_and_leaks_nothing() {
    const NAME: &str = "tcp::connect_times_out_against_a_full_accept_queue_and_leaks_nothing";
    if !is_child(NAME) {
        return run_in_child(NAME);
    }
    for any in loopbacks() {
        // Linux queues backlog + 1 connections and then drops SYNs, so connects time out.
        let server = listen(&any, true, 0).unwrap();
        let addr = server.addr().unwrap();
        let before = open_fds();
        let kept = connect_until_timeouts(&addr, 0.2, 3);
        assert!(kept.len() <= 8, "{} connects got into a queue of backlog 0", kept.len());
        assert_eq!(open_fds(), before + kept.len(), "a timed-out connect left its socket open");
        drop(kept);
        assert_eq!(open_fds(), before);
    }
}

fn accept_without_a_client_times_out_never_early() {
    for any in loopbacks() {
        let server = listener(&any);
        let addr = server.addr().unwrap();
        let cases: [(chapel_socket::Timeout, Duration); 4] = [
            (Duration::from_millis(50).into(), Duration::from_millis(50)),
            (0.0.into(), Duration::ZERO),
            (0.15.into(), Duration::from_millis(150)),
            (struct_timeval { tv_sec: 0, tv_usec: 120_000 }.into(), Duration::from_millis(120)),
        ];
        for (timeout, expected) in cases {
            let (result, elapsed) = timed(|| server.accept(timeout));
            let err = result.expect_err("accept with no client succeeded");
            assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
            assert_eq!((err.op(), err.address()), ("accept", Some(addr)));
            assert!(err.to_string().contains("timed out"), "{err}");
            assert_waited(elapsed, expected, "accept");
        }
        // A client that arrives later is still accepted.
        let client = connect(&addr, PATIENCE).unwrap();
        assert_eq!(server.accept(0.0).unwrap().addr().unwrap(), get_sock_name(&client).unwrap());
    }
}

fn bytes_flow_both_ways_and_shutdown_gives_eof() {
    for any in loopbacks() {
        let (_server, mut client, mut accepted) = pair(&any);
        client.write_all(b"ping").unwrap();
        let mut got = [0; 4];
        accepted.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ping");
        (&accepted).write_all(b"pong!").unwrap();
        let mut got = [0; 5];
        (&client).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"pong!");

        // Half close: the client's shutdown is EOF for the server, which can still answer.
        client.shutdown(Shutdown::Write).unwrap();
        assert_eq!(accepted.recv(&mut [0; 8], PATIENCE).unwrap(), 0);
        assert_eq!(accepted.send(b"late", PATIENCE).unwrap(), 4);
        let mut got = [0; 8];
        assert_eq!(client.recv(&mut got, PATIENCE).unwrap(), 4);
        assert_eq!(&got[..4], b"late");
        let write_err = client.send(b"x", PATIENCE).unwrap_err();
        assert_eq!(write_err.kind(), ErrorKind::BrokenPipe, "{write_err}");

        drop(accepted);
        assert_eq!(client.recv(&mut got, PATIENCE).unwrap(), 0, "a dropped peer is EOF");
    }
}

/// Deterministic bytes that differ from one position to the next.
fn pattern(len: usize) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect()
}

fn eight_mebibytes_arrive_intact() {
    const LEN: usize = 8 << 20;
    for any in loopbacks() {
        let (_server, client, accepted) = pair(&any);
        let writer = std::thread::spawn(move || {
            let mut client = client;
            client.write_all(&pattern(LEN)).unwrap();
            // Dropping the connection is the end of stream.
        });
        let mut got = Vec::with_capacity(LEN);
        let mut buf = vec![0; 64 << 10];
        loop {
            let n = accepted.recv(&mut buf, PATIENCE).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            assert!(got.len() <= LEN, "more bytes arrived than were sent");
        }
        writer.join().unwrap();
        assert_eq!(got.len(), LEN);
        let first_difference = got.iter().zip(pattern(LEN)).position(|(a, b)| *a != b);
        assert_eq!(first_difference, None, "the content differs");
    }
}

fn recv_times_out_never_early_and_then_still_reads() {
    for any in loopbacks() {
        let (_server, client, accepted) = pair(&any);
        let mut buf = [0; 16];
        for (timeout, expected) in [(0.1, Duration::from_millis(100)), (0.0, Duration::ZERO)] {
            let (result, elapsed) = timed(|| client.recv(&mut buf, timeout));
            let err = result.expect_err("recv with nothing sent succeeded");
            assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
            assert_eq!(err.op(), "recv");
            assert_waited(elapsed, expected, "recv");
        }
        let (result, elapsed) = timed(|| client.recv(&mut buf, Duration::from_millis(80)));
        assert_eq!(result.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(elapsed, Duration::from_millis(80), "recv");
        accepted.send(b"data", PATIENCE).unwrap();
        assert_eq!(client.recv(&mut buf, PATIENCE).unwrap(), 4);
        assert_eq!(&buf[..4], b"data");
    }
}

fn send_times_out_when_the_peer_never_reads() {
    for any in loopbacks() {
        let (_server, client, _never_read) = pair(&any);
        set_sock_opt(&client, SOL_SOCKET, SO_SNDBUF, 4096).unwrap();
        let chunk = vec![7u8; 64 << 10];
        let timeout = Duration::from_millis(100);
        let mut sent = 0usize;
        let mut timed_out = false;
        // 4096 chunks of 64 KiB (256 MiB) is far more than loopback buffers hold.
        for _ in 0..4096 {
            let (result, elapsed) = timed(|| client.send(&chunk, timeout));
            match result {
                Ok(n) => {
                    assert!(n > 0 && n <= chunk.len());
                    sent += n;
                }
                Err(err) => {
                    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
                    assert_eq!(err.op(), "send");
                    assert_waited(elapsed, timeout, "send");
                    timed_out = true;
                    break;
                }
            }
        }
        assert!(timed_out, "{sent} bytes went into buffers nobody reads and send never timed out");
        assert!(sent > 0);
    }
}

/// Runs `call` on a thread of its own and waits at most 20 s for it, so a call that blocks
/// for ever fails the test instead of hanging it.
fn bounded<T: Send + 'static>(call: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || done.send(call()));
    result.recv_timeout(Duration::from_secs(20)).expect("the call was still blocked after 20 s")
}

fn assert_tcp_options<S: chapel_socket::AnySocket>(
    socket: &S,
    set_nagle: impl Fn(bool) -> chapel_socket::Result<()>,
    set_delay_ack: impl Fn(bool) -> chapel_socket::Result<()>,
) {
    set_nagle(false).unwrap();
    assert_eq!(get_sock_opt(socket, IPPROTO_TCP, TCP_NODELAY).unwrap(), 1);
    set_nagle(true).unwrap();
    assert_eq!(get_sock_opt(socket, IPPROTO_TCP, TCP_NODELAY).unwrap(), 0);
    // Linux may leave quick-ack mode by itself later, so each value is read at once.
    set_delay_ack(false).unwrap();
    #[cfg(has_tcp_quickack)]
    assert_eq!(get_sock_opt(socket, IPPROTO_TCP, libc::TCP_QUICKACK).unwrap(), 1);
    set_delay_ack(true).unwrap();
    #[cfg(has_tcp_quickack)]
    assert_eq!(get_sock_opt(socket, IPPROTO_TCP, libc::TCP_QUICKACK).unwrap(), 0);
}

fn nagle_and_delayed_ack_read_back_on_connections_and_listeners() {
    for any in loopbacks() {
        let (server, client, accepted) = pair(&any);
        assert_tcp_options(&server, |on| server.set_nagle(on), |on| server.set_delay_ack(on));
        assert_tcp_options(&client, |on| client.set_nagle(on), |on| client.set_delay_ack(on));
        assert_tcp_options(&accepted, |on| accepted.set_nagle(on), |on| accepted.set_delay_ack(on));
    }
}

fn an_unresolvable_host_is_a_getaddrinfo_error_naming_host_and_code() {
    // `.invalid` never resolves, and a name with spaces is refused by glibc's resolver before
    // it sends any query, so the test stays off the network. A stalled resolver must still
    // not hang the test.
    const HOST: &str = "no such host.invalid";
    let err = bounded(|| connect_host(HOST, 80, IPFamily::IPUnspec, 2.0).map(drop)).unwrap_err();
    assert_eq!((err.op(), err.address()), ("getaddrinfo", None));
    let code = err.gai_code().expect("no EAI code");
    assert_ne!(code, 0);
    let text = err.to_string();
    assert!(text.contains(&format!("{HOST}:80")) && text.contains(&format!("EAI code {code}")), "{text}");
    assert!(err.attempts().is_empty());
}

fn an_unknown_service_is_a_getaddrinfo_error_naming_it() {
    let server = listener(&"127.0.0.1:0".parse().unwrap());
    // A numeric host needs no resolver: only the services database is read.
    let err = connect_host("127.0.0.1", "no-such-service", IPFamily::IPv4, PATIENCE).unwrap_err();
    assert_eq!((err.op(), err.gai_code()), ("getaddrinfo", Some(libc::EAI_SERVICE)), "{err}");
    let text = err.to_string();
    assert!(text.contains("127.0.0.1:no-such-service"), "{text}");
    assert!(text.contains(&format!("EAI code {}", libc::EAI_SERVICE)), "{text}");
    assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut, "nothing connected");
}

/// Listeners with full accept queues on ::1 and 127.0.0.1 that share one port number;
/// `None` if no port was free on both after a few tries.
fn full_queues_on_one_port() -> Option<([support::FullQueue; 2], u16)> {
    for _ in 0..8 {
        let v6 = listen(&"[::1]:0".parse().unwrap(), false, 0).unwrap();
        let port = v6.addr().unwrap().port();
        let Ok(v4) = listen(&IpAddr::create("127.0.0.1", port, IPFamily::IPv4).unwrap(), false, 0) else {
            continue;
        };
        return Some(([fill_queue(v6), fill_queue(v4)], port));
    }
    None
}

fn connect_host_timeout_applies_to_each_address() {
    let (_full, port) = full_queues_on_one_port().expect("no port free on both loopbacks");
    let resolved: Vec<_> = ("localhost", port).to_socket_addrs().unwrap().collect();
    let both = resolved.iter().any(|a| a.is_ipv4()) && resolved.iter().any(|a| a.is_ipv6());
    let timeout = Duration::from_millis(200);
    let (result, elapsed) = timed(|| connect_host("localhost", port, IPFamily::IPUnspec, timeout));
    let err = result.expect_err("a connect to full accept queues succeeded");
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    if both {
        // One timeout per address.
        assert_waited(elapsed, timeout * 2, "connect_host over two addresses");
        assert_eq!(err.attempts().len(), 2, "{err}");
        for attempt in err.attempts() {
            assert_eq!(attempt.kind(), ErrorKind::TimedOut, "{attempt}");
            assert_eq!(attempt.address().map(|a| a.port()), Some(port));
        }
        assert!(err.to_string().contains(&format!("localhost:{port}")), "{err}");
    } else {
        note!("localhost resolves to {resolved:?} only, not to both families: testing one address");
        assert_eq!(resolved.len(), 1, "{resolved:?}");
        assert_waited(elapsed, timeout, "connect_host over one address");
        // A single failed address is reported as itself, not as a list.
        assert!(err.attempts().is_empty());
        assert_eq!(err.address().map(std::net::SocketAddr::from), Some(resolved[0]));
    }
}

fn a_closed_connection_and_listener_refuse_every_call() {
    for any in loopbacks() {
        let (mut server, mut client, _accepted) = pair(&any);
        assert!(client.socket_fd() >= 0);
        client.close().unwrap();
        assert_eq!(client.socket_fd(), -1);
        let errors = [
            client.addr().unwrap_err(),
            client.recv(&mut [0; 4], 0.0).unwrap_err(),
            client.send(b"x", 0.0).unwrap_err(),
            client.shutdown(Shutdown::Both).unwrap_err(),
            client.set_nagle(false).unwrap_err(),
            client.set_delay_ack(false).unwrap_err(),
            get_sock_name(&client).unwrap_err(),
            get_peer_name(&client).unwrap_err(),
            get_sock_opt(&client, IPPROTO_TCP, TCP_NODELAY).unwrap_err(),
            client.close().unwrap_err(),
        ];
        for err in errors {
            assert!(err.is_closed(), "{err}");
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains("closed"), "{err}");
        }
        let io_err = client.read(&mut [0; 4]).unwrap_err();
        assert_eq!(io_err.kind(), ErrorKind::InvalidInput, "{io_err}");
        assert_eq!(client.write(b"x").unwrap_err().kind(), ErrorKind::InvalidInput);
        assert!(std::net::TcpStream::try_from(client).unwrap_err().is_closed());

        server.close().unwrap();
        assert_eq!(server.socket_fd(), -1);
        let errors = [
            server.accept(0.0).map(drop).unwrap_err(),
            server.addr().map(drop).unwrap_err(),
            server.set_nagle(true).unwrap_err(),
            server.set_delay_ack(true).unwrap_err(),
            server.close().unwrap_err(),
        ];
        for err in errors {
            assert!(err.is_closed(), "{err}");
        }
        assert!(std::net::TcpListener::try_from(server).unwrap_err().is_closed());
    }
}

fn std_streams_and_listeners_convert_both_ways() {
    for any in loopbacks() {
        // std → chapel: an adopted stream reads, and learns its peer from getpeername.
        let std_listener = std::net::TcpListener::bind(std::net::SocketAddr::from(any)).unwrap();
        let std_addr = IpAddr::from(std_listener.local_addr().unwrap());
        let std_stream = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
        let (mut std_peer, _) = std_listener.accept().unwrap();
        std_peer.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let conn = TcpConn::try_from(std_stream).unwrap();
        assert_eq!(conn.addr().unwrap(), std_addr);
        std_peer.write_all(b"from std").unwrap();
        let mut got = [0; 8];
        (&conn).read_exact(&mut got).unwrap();
        assert_eq!(&got, b"from std");

        // chapel → std: the stream still carries the same connection.
        let mut back = std::net::TcpStream::try_from(conn).unwrap();
        back.write_all(b"back").unwrap();
        let mut got = [0; 4];
        std_peer.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"back");

        // std listener → chapel: non-blocking now, so accept with a timeout cannot hang.
        let adopted = TcpListener::try_from(std_listener).unwrap();
        assert_eq!(adopted.addr().unwrap(), std_addr);
        let (result, elapsed) = bounded(move || timed(|| adopted.accept(0.05).map(drop)));
        assert_eq!(result.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(elapsed, Duration::from_millis(50), "accept on an adopted listener");

        // chapel listener → std: blocking again, so accept waits for a late client.
        let server = listener(&any);
        let addr = server.addr().unwrap();
        let std_server = std::net::TcpListener::try_from(server).unwrap();
        let (done, accepted) = mpsc::channel();
        std::thread::spawn(move || done.send(std_server.accept().map(|(_, peer)| IpAddr::from(peer))));
        std::thread::sleep(Duration::from_millis(100));
        let client = connect(&addr, PATIENCE).unwrap();
        let peer = accepted.recv_timeout(Duration::from_secs(10)).expect("accept never returned");
        assert_eq!(peer.expect("a blocking accept waits instead of failing"), get_sock_name(&client).unwrap());
    }
}

fn connect_host_with_the_wrong_family_is_a_clear_error() {
    for any in loopbacks() {
        let server = listener(&any);
        let addr = server.addr().unwrap();
        let other = match addr.family() {
            IPFamily::IPv4 => IPFamily::IPv6,
            _ => IPFamily::IPv4,
        };
        let results = [
            connect_host(&addr.host(), addr.port(), other, PATIENCE),
            connect_host(&addr.host(), addr.port().to_string().as_str(), other, PATIENCE),
        ];
        for result in results {
            let err = result.expect_err("connected to an address of the other family");
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            let text = err.to_string();
            assert!(text.contains(&addr.host()) && text.contains(&other.to_string()), "{text}");
        }
        assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut, "nothing connected");
    }
}

/// std's `TcpListener::set_nonblocking` and `incoming`: non-blocking, an indefinite accept is
/// `WouldBlock` at once, a timed one still waits its whole timeout (never early) and takes a
/// connection that comes meanwhile; the mode survives a hand-over to std; `false` brings
/// back waiting accepts; `incoming` yields each connection, and on a closed listener the
/// "closed" error.
fn a_listener_the_user_makes_non_blocking_stays_so_and_incoming_accepts() {
    let nonblocking = support::is_nonblocking;
    for any in loopbacks() {
        let server = listener(&any);
        server.set_nonblocking(true).unwrap();
        let (err, took) = timed(|| server.accept(INDEFINITE_TIMEOUT).unwrap_err());
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
        assert!(
            took < Duration::from_secs_f64(PATIENCE),
            "an indefinite accept on a non-blocking listener waited {took:?}"
        );
        let timeout = Duration::from_millis(150);
        let (err, took) = timed(|| server.accept(timeout).unwrap_err());
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
        assert_waited(took, timeout, "a timed accept on a non-blocking listener");
        assert!(nonblocking(server.try_as_fd().unwrap()), "a timed accept switched it to blocking");
        let at = server.addr().unwrap();
        let (tx, rx) = mpsc::channel();
        let client = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            let conn = connect(&at, PATIENCE).unwrap();
            rx.recv().unwrap();
            drop(conn);
        });
        let conn = server.accept(PATIENCE).unwrap();
        assert!(nonblocking(server.try_as_fd().unwrap()), "an accept that waited switched it to blocking");
        tx.send(()).unwrap();
        client.join().unwrap();
        drop(conn);
        // Handed over, it is as the user left it: non-blocking.
        let std_listener = std::net::TcpListener::try_from(server.try_clone().unwrap()).unwrap();
        assert_eq!(std_listener.accept().map(|_| ()).unwrap_err().kind(), ErrorKind::WouldBlock);
        drop(std_listener);
        // Back to blocking: an indefinite accept waits for the connection.
        let server = listener(&any);
        server.set_nonblocking(true).unwrap();
        server.set_nonblocking(false).unwrap();
        assert!(!nonblocking(server.try_as_fd().unwrap()), "set_nonblocking(false) left it non-blocking");
        let at = server.addr().unwrap();
        let client = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            connect(&at, PATIENCE).unwrap()
        });
        let conn = server.accept(INDEFINITE_TIMEOUT).unwrap();
        let _peer = client.join().unwrap();
        drop(conn);
        // incoming: one connection per item, in order.
        let clients: Vec<TcpConn> = (0..3).map(|_| connect(&at, PATIENCE).unwrap()).collect();
        let ports: Vec<u16> = clients.iter().map(|c| get_sock_name(c).unwrap().port()).collect();
        let accepted: Vec<u16> = server.incoming().take(3).map(|c| c.unwrap().addr().unwrap().port()).collect();
        assert_eq!(accepted, ports);
        let mut closed = listener(&any);
        closed.close().unwrap();
        assert!(closed.incoming().take(2).all(|item| item.is_err_and(|e| e.is_closed())));
    }
}
