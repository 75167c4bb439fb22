//! Runs one row of the syscall contract (`docs/SYSCALLS.md`) so `strace` can watch it:
//! `syscall_driver <row>`.
//!
//! Everything the operation needs (listeners, peers, queued connections, data) is set up
//! first; then the driver makes the marker syscall `write(-1, "BEGIN <row>")`, which fails
//! with `EBADF` and so cannot be confused with real work, runs the operation, and makes the
//! `write(-1, "END <row>")` marker. Peers that act during the operation run in their own
//! threads, so the acting thread (the main one) does nothing but the operation between the
//! markers. After the END marker it prints `outcome ok`, `outcome err <op> <kind>` or
//! `outcome closed <op>`, and `fds <change>`: how the count of open descriptors in
//! `/proc/self/fd` changed across the operation. `syscall_driver --list` prints every row:
//! the names in [`ROWS`], which `tests/syscalls` checks against the document's.
//!
//! `syscall_driver --in-process <row>` (built with `--features audit`) also records the
//! operation's calls with `chapel_socket::audit::record` and prints each after the others,
//! as a `call <line>` line in `strace`'s syntax; `syscall_driver --features` prints `audit`
//! when the driver was built with it (so `tests/syscalls` knows which driver it has).

use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, TcpStream};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use chapel_socket::{
    ControlMessage, Credentials, INDEFINITE_TIMEOUT, IPFamily, IPPROTO_IPV6, IPV6_V6ONLY, IpAddr, RecvBatch, Result,
    SO_BROADCAST, SO_LINGER, SO_RCVTIMEO, SO_REUSEPORT, SOL_SOCKET, SendMsg, SockOptValue, TcpConn, TcpListener,
    TcpSocket, Timeout, UdpSocket, UnixAddr, UnixDatagram, UnixListener, UnixStream, bind, c_int, connect,
    connect_host, get_peer_name, get_sock_name, get_sock_opt, get_sock_opt_bytes, listen, set_sock_opt, wait_readable,
    wait_writable,
};
use chapel_socket::{IpOptions, SocketOptions, TcpOptions};

/// What a row does: its setup, then `measure(row, …)` of the operation.
type Run = fn(&str) -> Setup;

type Setup = std::result::Result<(), Box<dyn std::error::Error>>;

/// Every row the driver can run, in the contract's order: the one place here that names a
/// row. Rows that differ only in a value share a function and pass the value.
const ROWS: &[(&str, Run)] = &[
    ("listen", listen_v4),
    ("listen/ipv6", |row| measure(row, || listen(&"[::1]:0".parse()?, true, 16))),
    ("listen/in-use", listen_in_use),
    ("listen/socket-fails", listen_v4),
    ("listen/bind-fails", listen_v4),
    ("accept/queued", accept_queued),
    ("accept/wait", |row| accept_later(row, PEER_DELAY, Timeout::from(4.0))),
    ("accept/steady", |row| accept_again(row, Timeout::from(4.0))),
    ("accept/indefinite", |row| accept_later(row, PEER_DELAY, Timeout::INDEFINITE)),
    ("accept/steady-indefinite", |row| accept_again(row, Timeout::INDEFINITE)),
    ("accept/timeout", |row| on_listener(row, |server| server.accept(0.1))),
    ("accept/eintr", |row| accept_later(row, EINTR_PEER_DELAY, Timeout::from(1.0))),
    ("accept/shared", accept_shared),
    ("accept/beside", accept_beside),
    ("accept/zero-after-wait", accept_zero_after_wait),
    ("accept/closed", accept_closed),
    ("accept/nan", |row| on_listener(row, |server| server.accept(f64::NAN))),
    ("accept/user-nonblocking", |row| {
        let server = server()?;
        server.set_nonblocking(true)?;
        measure(row, || server.accept(Timeout::INDEFINITE))
    }),
    ("accept/user-nonblocking-wait", accept_user_nonblocking_wait),
    ("listener.incoming", |row| {
        let server = server()?;
        let _client = TcpStream::connect(std::net::SocketAddr::from(server.addr()?))?;
        measure(row, || server.incoming().next().expect("incoming never ends"))
    }),
    ("listener.set_nonblocking", |row| on_listener(row, |server| server.set_nonblocking(true))),
    ("listener.addr", |row| on_listener(row, TcpListener::addr)),
    ("listener.set_nagle", |row| on_listener(row, |server| server.set_nagle(false))),
    ("listener.set_delay_ack", |row| on_listener(row, |server| server.set_delay_ack(false))),
    ("listener.close", |row| {
        let server = server()?;
        measure(row, || close_twice_then_drop(server, TcpListener::close))
    }),
    ("listener.drop", |row| {
        let server = server()?;
        measure(row, || dropped(server))
    }),
    ("connect/indefinite", |row| connect_to_listener(row, Timeout::INDEFINITE)),
    ("connect/timeout", |row| connect_to_listener(row, Timeout::from(4.0))),
    ("connect/refused", |row| connect_to_closed_port(row, Timeout::INDEFINITE)),
    ("connect/refused-timeout", |row| connect_to_closed_port(row, Timeout::from(4.0))),
    ("connect/expired", connect_expired),
    ("connect/eintr", |row| connect_to_listener(row, Timeout::from(1.0))),
    ("connect/interrupted", |row| connect_to_listener(row, Timeout::INDEFINITE)),
    ("connect/unspecified", connect_unspecified),
    ("connect/unspecified-fails", connect_unspecified),
    ("connect/nan", |row| connect_to_listener(row, Timeout::from(f64::NAN))),
    ("connect/interrupted-past-deadline", |row| connect_to_listener(row, Timeout::from(0.1))),
    ("connect/socket-fails", |row| connect_to_closed_port(row, Timeout::INDEFINITE)),
    ("connect/connect-fails", |row| connect_to_listener(row, Timeout::INDEFINITE)),
    ("connect_host/numeric", connect_host_numeric),
    ("connect_host/numeric-service", |row| connect_host_service(row, "127.0.0.1")),
    ("connect_host/localhost", |row| connect_host_service(row, "localhost")),
    ("connect_host/bad-service", |row| {
        measure(row, || connect_host("127.0.0.1", "no-such-service", IPFamily::IPv4, 4.0))
    }),
    ("connect_host/service-out-of-range", connect_host_wrapped),
    ("connect_host/bad-scope", |row| measure(row, || connect_host("fe80::1%bogus", 80, IPFamily::IPUnspec, 4.0))),
    ("conn.recv/ready", |row| recv_arrived(row, b"hello", |conn, buf| conn.recv(buf, 1.0))),
    ("conn.recv/wait", |row| recv_later(row, PEER_DELAY, Timeout::from(4.0))),
    ("conn.recv/steady", recv_again),
    ("conn.recv/timeout", |row| on_conn(row, |conn| conn.recv(&mut [0; 16], 0.1))),
    ("conn.recv/indefinite", |row| recv_later(row, PEER_DELAY, Timeout::INDEFINITE)),
    ("conn.recv/eintr", |row| recv_later(row, EINTR_PEER_DELAY, Timeout::from(1.0))),
    ("conn.recv/nan", |row| on_conn(row, |conn| conn.recv(&mut [0; 16], f64::NAN))),
    ("conn.recv/eof", |row| recv_arrived(row, b"", |conn, buf| conn.recv(buf, 1.0))),
    ("conn.read", |row| recv_arrived(row, b"hello", |mut conn, buf| conn.read(buf))),
    ("conn.send/room", |row| on_conn(row, |conn| conn.send(b"hello", 1.0))),
    ("conn.send/full", send_full),
    ("conn.send/timeout", send_timeout),
    ("conn.send/epipe", send_after_shutdown),
    ("conn.write", |row| on_conn(row, |mut conn| conn.write(b"hello"))),
    ("conn.shutdown", |row| on_conn(row, |conn| conn.shutdown(Shutdown::Write))),
    ("conn.addr", |row| on_conn(row, TcpConn::addr)),
    ("conn.set_nagle", |row| on_conn(row, |conn| conn.set_nagle(false))),
    ("conn.set_delay_ack", |row| on_conn(row, |conn| conn.set_delay_ack(false))),
    ("conn.close", |row| {
        let (conn, _peer) = pair()?;
        measure(row, || close_twice_then_drop(conn, TcpConn::close))
    }),
    ("conn.drop", |row| {
        let (conn, _peer) = pair()?;
        measure(row, || dropped(conn))
    }),
    ("udp.new", |row| measure(row, || UdpSocket::new(IPFamily::IPv4))),
    ("udp.new/ipv6", |row| measure(row, || UdpSocket::new(IPFamily::IPv6))),
    ("udp.new/unspec", |row| measure(row, || UdpSocket::new(IPFamily::IPUnspec))),
    ("udp.send", |row| udp_send(row, false, Timeout::from(1.0))),
    ("udp.send/indefinite", |row| udp_send(row, false, Timeout::INDEFINITE)),
    ("udp.send/wrong-family", |row| udp_send(row, true, Timeout::from(1.0))),
    ("udp.recv/ready", |row| udp_queued(row, b"hello", |socket, _| socket.recv(40, 1.0))),
    ("udp.recv/wait", |row| udp_later(row, PEER_DELAY, |socket| socket.recv(40, 4.0))),
    ("udp.recv/steady", |row| udp_again(row, Timeout::from(4.0))),
    ("udp.recv/rearm", |row| udp_again(row, Timeout::from(1.0))),
    ("udp.recv/indefinite-after-timed", |row| udp_again(row, Timeout::INDEFINITE)),
    ("udp.recv/shared", udp_shared),
    ("udp.recv/shared-same-timeout", udp_shared_same_timeout),
    ("udp.recv/indefinite-armed-meanwhile", udp_indefinite_armed_meanwhile),
    ("udp.recv/indefinite-raw-rcvtimeo", udp_indefinite_raw_rcvtimeo),
    ("udp.recv/timeout", |row| on_udp(row, |socket| socket.recv(40, 0.1))),
    ("udp.recv/indefinite", |row| udp_later(row, PEER_DELAY, |socket| socket.recv(40, INDEFINITE_TIMEOUT))),
    ("udp.recv/eintr", |row| udp_later(row, EINTR_PEER_DELAY, |socket| socket.recv(40, 1.0))),
    ("udp.recv/truncated", |row| udp_queued(row, b"0123456789", |socket, _| socket.recv(4, 1.0))),
    ("udp.recv/huge", |row| udp_queued(row, b"hello", |socket, _| socket.recv(1 << 31, 1.0))),
    ("udp.recv/nan", |row| on_udp(row, |socket| socket.recv(40, f64::NAN))),
    ("udp.recv_into", |row| udp_queued(row, b"hello", |socket, buf| socket.recv_into(buf, 1.0))),
    ("udp.recv_from_into/peek", |row| {
        udp_queued(row, b"hello", |socket, buf| socket.recv_from_into(buf, 1.0, libc::MSG_PEEK))
    }),
    ("udp.recvfrom/ready", |row| udp_queued(row, b"hello", |socket, _| socket.recvfrom(40, 1.0, libc::MSG_PEEK))),
    ("udp.recvfrom/wait", |row| udp_later(row, PEER_DELAY, |socket| socket.recvfrom(40, 4.0, 0))),
    ("udp.recvfrom/timeout", |row| on_udp(row, |socket| socket.recvfrom(40, 0.1, 0))),
    ("udp.recv_from_into", |row| udp_queued(row, b"hello", |socket, buf| socket.recv_from_into(buf, 1.0, 0))),
    ("udp.recv_msg/ready", |row| udp_queued(row, b"hello", |socket, buf| socket.recv_msg(buf, &mut [0; 64], 1.0))),
    ("udp.recv_msg/timeout", |row| on_udp(row, |socket| socket.recv_msg(&mut [0; 40], &mut [0; 64], 0.1))),
    ("udp.recv_msg/indefinite", |row| {
        udp_later(row, PEER_DELAY, |socket| socket.recv_msg(&mut [0; 40], &mut [0; 64], INDEFINITE_TIMEOUT))
    }),
    ("udp.send_msg", |row| send_msg(row, ControlMessage::Ttl(3))),
    ("udp.send_msg/unsendable", |row| send_msg(row, ControlMessage::Timestamp(std::time::SystemTime::now()))),
    ("udp.recv_batch/ready", recv_batch_ready),
    ("udp.recv_batch/wait", |row| recv_batch_later(row, Timeout::from(4.0))),
    ("udp.recv_batch/timeout", |row| {
        let mut batch = RecvBatch::new(32, 40)?;
        on_udp(row, |socket| socket.recv_batch(&mut batch, 0.1))
    }),
    ("udp.recv_batch/indefinite", |row| recv_batch_later(row, Timeout::INDEFINITE)),
    ("udp.send_batch", |row| send_batch(row, 3)),
    ("udp.send_batch/over-max", |row| send_batch(row, 70)),
    ("udp.send_batch/empty", |row| send_batch(row, 0)),
    ("udp.set_recv_pktinfo", |row| on_udp(row, |socket| socket.set_recv_pktinfo(true))),
    ("udp.set_recv_pktinfo/ipv6", |row| {
        let socket = UdpSocket::new(IPFamily::IPv6)?;
        measure(row, || socket.set_recv_pktinfo(true))
    }),
    ("udp.set_recv_ttl", |row| on_udp(row, |socket| socket.set_recv_ttl(true))),
    ("udp.set_recv_tos", |row| on_udp(row, |socket| socket.set_recv_tos(true))),
    ("udp.set_recv_ttl/ipv6", |row| {
        let socket = UdpSocket::new(IPFamily::IPv6)?;
        measure(row, || socket.set_recv_ttl(true))
    }),
    ("udp.set_recv_tos/ipv6", |row| {
        let socket = UdpSocket::new(IPFamily::IPv6)?;
        measure(row, || socket.set_recv_tos(true))
    }),
    ("udp.set_recv_timestamp", |row| on_udp(row, |socket| socket.set_recv_timestamp(true))),
    ("udp.set_gro", |row| on_udp(row, |socket| socket.set_gro(true))),
    ("udp.set_gro/unsupported", |row| on_udp(row, |socket| socket.set_gro(true))),
    ("udp.set_segment_size", |row| on_udp(row, |socket| socket.set_segment_size(1200))),
    ("udp.segment_size", |row| on_udp(row, UdpSocket::segment_size)),
    ("udp.addr", |row| on_udp(row, UdpSocket::addr)),
    ("udp.close", |row| {
        let socket = udp()?;
        measure(row, || close_twice_then_drop(socket, UdpSocket::close))
    }),
    ("udp.drop", |row| {
        let socket = udp()?;
        measure(row, || dropped(socket))
    }),
    ("bind", |row| {
        let socket = UdpSocket::new(IPFamily::IPv4)?;
        measure(row, || bind(&socket, &lo4(), true))
    }),
    ("bind/in-use", bind_in_use),
    ("set_sock_opt/int", |row| set_option(row, SO_BROADCAST, SockOptValue::Int(1))),
    ("set_sock_opt/bytes", |row| set_option(row, SO_LINGER, SockOptValue::Bytes(&LINGER_ABORT))),
    ("set_sock_opt/null", |row| set_option(row, SO_BROADCAST, SockOptValue::Null(4))),
    ("set_sock_opt/refused", set_refused),
    ("get_sock_opt/int", |row| on_udp(row, |socket| get_sock_opt(socket, SOL_SOCKET, SO_BROADCAST))),
    ("get_sock_opt/bytes", |row| on_udp(row, |socket| get_sock_opt_bytes(socket, SOL_SOCKET, SO_LINGER, 64))),
    ("get_sock_opt/unknown", |row| on_udp(row, |socket| get_sock_opt(socket, SOL_SOCKET, 9999))),
    ("get_sock_opt/rcvtimeo", rcvtimeo_after_timed),
    ("get_sock_opt/creates-fd", |row| on_udp(row, |socket| get_sock_opt(socket, SOL_SOCKET, libc::SO_PEERPIDFD))),
    ("get_peer_name", |row| on_conn(row, get_peer_name)),
    ("get_peer_name/unconnected", |row| {
        let fresh = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
        let conn = TcpConn::try_from(OwnedFd::from(fresh))?;
        measure(row, || get_peer_name(&conn))
    }),
    ("get_sock_name", |row| on_listener(row, get_sock_name)),
    ("unix.bind/path", |row| with_scratch(row, |s| measure(row, || UnixListener::bind(&s.path, 16)))),
    ("unix.bind/abstract", |row| with_scratch(row, |s| measure(row, || UnixListener::bind(&s.name, 16)))),
    ("unix.bind/stale", |row| {
        with_scratch(row, |s| {
            // A listener bound the path and closed: its socket file stays behind.
            drop(UnixListener::bind(&s.path, 16)?);
            measure(row, || UnixListener::bind(&s.path, 16))
        })
    }),
    ("unix.bind/too-long", |row| {
        with_scratch(row, |s| {
            let long = s.dir.join("x".repeat(200));
            measure(row, || UnixAddr::from_path(&long).and_then(|a| UnixListener::bind(&a, 16)))
        })
    }),
    ("unix.accept/queued", |row| {
        with_scratch(row, |s| {
            let server = UnixListener::bind(&s.path, 16)?;
            let _client = std::os::unix::net::UnixStream::connect(s.file())?;
            measure(row, || server.accept(1.0))
        })
    }),
    ("unix.accept/wait", unix_accept_later),
    ("unix.accept/timeout", |row| on_unix_listener(row, |server| server.accept(0.1))),
    ("unix.accept/closed", |row| {
        with_scratch(row, |s| {
            let mut server = UnixListener::bind(&s.name, 16)?;
            server.close()?;
            measure(row, || server.accept(1.0))
        })
    }),
    ("unix.connect/indefinite", |row| unix_connect_listening(row, Timeout::INDEFINITE)),
    ("unix.connect/timeout", |row| unix_connect_listening(row, Timeout::from(4.0))),
    ("unix.connect/refused", |row| {
        with_scratch(row, |s| measure(row, || UnixStream::connect(&s.name, INDEFINITE_TIMEOUT)))
    }),
    ("unix.connect/eintr", |row| unix_connect_full(row, Timeout::from(1.0))),
    ("unix.connect/past-the-clock", |row| unix_connect_full(row, Timeout::from(Duration::MAX))),
    ("unix.connect/interrupted-past-deadline", |row| unix_connect_listening(row, Timeout::from(0.1))),
    ("unix.connect/nan", |row| unix_connect_listening(row, Timeout::from(f64::NAN))),
    ("unix.connect/no-file", |row| {
        with_scratch(row, |s| measure(row, || UnixStream::connect(&s.path, INDEFINITE_TIMEOUT)))
    }),
    ("unix.pair", |row| measure(row, UnixStream::pair)),
    ("unix.recv/ready", |row| on_unix_hello(row, |conn, buf| conn.recv(buf, 1.0))),
    ("unix.recv/wait", unix_recv_later),
    ("unix.recv/timeout", |row| on_unix_pair(row, |conn, _| conn.recv(&mut [0; 16], 0.1))),
    ("unix.read", |row| on_unix_hello(row, |mut conn, buf| conn.read(buf))),
    ("unix.send/room", |row| on_unix_pair(row, |conn, _| conn.send(b"hello", 1.0))),
    ("unix.send/timeout", |row| {
        let (conn, _peer) = UnixStream::pair()?;
        fill_with(|chunk| conn.send(chunk, 0.0))?;
        measure(row, || conn.send(&[7; 64], 0.1))
    }),
    ("unix.send/epipe", |row| {
        let (conn, peer) = UnixStream::pair()?;
        drop(peer);
        measure(row, || conn.send(b"hello", 1.0))
    }),
    ("unix.write", |row| on_unix_pair(row, |mut conn, _| conn.write(b"hello"))),
    ("unix.shutdown", |row| on_unix_pair(row, |conn, _| conn.shutdown(Shutdown::Write))),
    ("unix.local_addr", |row| on_unix_listener(row, UnixListener::local_addr)),
    ("unix.peer_addr", |row| {
        with_scratch(row, |s| {
            let _server = UnixListener::bind(&s.name, 16)?;
            let conn = UnixStream::connect(&s.name, INDEFINITE_TIMEOUT)?;
            measure(row, || conn.peer_addr())
        })
    }),
    ("unix.peer_credentials", |row| on_unix_pair(row, |conn, _| conn.peer_credentials())),
    ("unix.send_with_fds", |row| {
        let (conn, _peer) = UnixStream::pair()?;
        let file = std::fs::File::open("/dev/null")?;
        measure(row, || conn.send_with_fds(b"hello", &[file.as_fd()], 1.0))
    }),
    ("unix.recv_with_fds/ready", |row| unix_recv_fds(row, 1)),
    ("unix.recv_with_fds/too-many", |row| unix_recv_fds(row, 3)),
    ("unix.recv_with_fds/truncated", |row| {
        let (socket, peer) = UnixDatagram::pair()?;
        let files = [std::fs::File::open("/dev/null")?, std::fs::File::open("/dev/null")?];
        peer.send_with_fds(b"0123456789", &[files[0].as_fd(), files[1].as_fd()], None, 1.0)?;
        drop(files);
        measure(row, || socket.recv_with_fds(&mut [0; 4], 2, 1.0))
    }),
    ("unix.datagram.bind", |row| with_scratch(row, |s| measure(row, || UnixDatagram::bind(&s.name)))),
    ("unix.datagram.unbound", |row| measure(row, UnixDatagram::unbound)),
    ("unix.datagram.pair", |row| measure(row, UnixDatagram::pair)),
    ("unix.datagram.connect", |row| {
        with_scratch(row, |s| {
            let _server = UnixDatagram::bind(&s.name)?;
            let socket = UnixDatagram::unbound()?;
            measure(row, || socket.connect(&s.name))
        })
    }),
    ("unix.datagram.send_to", |row| {
        with_scratch(row, |s| {
            let (socket, _server) = (UnixDatagram::unbound()?, UnixDatagram::bind(&s.name)?);
            measure(row, || socket.send_to(b"hello", &s.name, 1.0))
        })
    }),
    ("unix.datagram.send_to/refused", |row| {
        with_scratch(row, |s| {
            let socket = UnixDatagram::unbound()?;
            measure(row, || socket.send_to(b"hello", &s.name, 1.0))
        })
    }),
    ("unix.datagram.send", |row| on_unix_datagrams(row, b"", |socket| socket.send(b"hello", 1.0))),
    ("unix.datagram.recv/ready", |row| on_unix_datagrams(row, b"hello", |socket| socket.recv(&mut [0; 40], 1.0))),
    ("unix.datagram.recv/timeout", |row| on_unix_datagrams(row, b"", |socket| socket.recv(&mut [0; 40], 0.1))),
    ("unix.datagram.recv/truncated", |row| {
        on_unix_datagrams(row, b"0123456789", |socket| socket.recv(&mut [0; 4], 1.0))
    }),
    ("unix.datagram.recv_from", |row| on_unix_datagrams(row, b"hello", |socket| socket.recv_from(&mut [0; 40], 1.0))),
    ("unix.listener.close", |row| {
        with_scratch(row, |s| {
            let server = UnixListener::bind(&s.path, 16)?;
            measure(row, || close_twice_then_drop(server, UnixListener::close))
        })
    }),
    ("unix.stream.drop", |row| {
        let (conn, _peer) = UnixStream::pair()?;
        measure(row, || dropped(conn))
    }),
    ("unix.datagram.close", |row| {
        let socket = UnixDatagram::unbound()?;
        measure(row, || close_twice_then_drop(socket, UnixDatagram::close))
    }),
    ("tcp_socket.new", |row| measure(row, TcpSocket::v4)),
    ("tcp_socket.new/ipv6", |row| measure(row, TcpSocket::v6)),
    ("tcp_socket.new/unspec", |row| measure(row, || TcpSocket::new(IPFamily::IPUnspec))),
    ("tcp_socket.reuse_port", |row| {
        let socket = TcpSocket::v4()?;
        measure(row, || set_sock_opt(&socket, SOL_SOCKET, SO_REUSEPORT, 1))
    }),
    ("tcp_socket.v6only", |row| {
        let socket = TcpSocket::v6()?;
        measure(row, || set_sock_opt(&socket, IPPROTO_IPV6, IPV6_V6ONLY, 0))
    }),
    ("tcp_socket.bind", |row| {
        let mut socket = TcpSocket::v4()?;
        measure(row, || socket.bind(&lo4()))
    }),
    ("tcp_socket.bind/in-use", |row| {
        let holder = server()?;
        let (mut socket, taken) = (TcpSocket::v4()?, holder.addr()?);
        measure(row, || socket.bind(&taken))
    }),
    ("tcp_socket.local_addr", |row| {
        let socket = bound_tcp_socket()?;
        measure(row, || socket.local_addr())
    }),
    ("tcp_socket.listen", |row| {
        let socket = bound_tcp_socket()?;
        measure(row, || socket.listen(16))
    }),
    ("tcp_socket.listen/fails", |row| {
        let socket = bound_tcp_socket()?;
        measure(row, || socket.listen(16))
    }),
    ("tcp_socket.connect", |row| tcp_socket_connect(row, false, Timeout::from(4.0))),
    ("tcp_socket.connect/indefinite", |row| tcp_socket_connect(row, false, Timeout::INDEFINITE)),
    ("tcp_socket.connect/bound", |row| tcp_socket_connect(row, true, Timeout::from(4.0))),
    ("tcp_socket.connect/refused", |row| {
        let (socket, at) = (TcpSocket::v4()?, closed_port()?);
        measure(row, || socket.connect(&at, 4.0))
    }),
    ("tcp_socket.connect/integer-seconds", |row| {
        let server = server()?;
        let (socket, at) = (TcpSocket::v4()?, server.addr()?);
        measure(row, || socket.connect(&at, 4))
    }),
    ("conn.peek/ready", |row| recv_arrived(row, b"hello", |conn, buf| conn.peek(buf, 1.0))),
    ("conn.peek/wait", peek_later),
    ("conn.peek/then-read", |row| {
        recv_arrived(row, b"hello", |conn, buf| {
            conn.peek(buf, 1.0)?;
            conn.recv(buf, 1.0)
        })
    }),
    ("conn.write_vectored", |row| {
        on_conn(row, |mut conn| {
            conn.write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg"), IoSlice::new(b"hi")])
        })
    }),
    ("conn.send_vectored", |row| {
        on_conn(row, |conn| {
            conn.send_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg"), IoSlice::new(b"hi")], 1.0)
        })
    }),
    ("conn.send_vectored/epipe", |row| {
        let (conn, _peer) = pair()?;
        conn.shutdown(Shutdown::Write)?;
        measure(row, || conn.send_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"de")], 1.0))
    }),
    ("conn.read_vectored", |row| {
        recv_arrived(row, b"hello", |mut conn, buf| {
            let (a, b) = buf.split_at_mut(4);
            conn.read_vectored(&mut [IoSliceMut::new(a), IoSliceMut::new(&mut b[..4])])
        })
    }),
    ("conn.recv_vectored", |row| {
        recv_arrived(row, b"hello", |conn, buf| {
            let (a, b) = buf.split_at_mut(4);
            conn.recv_vectored(&mut [IoSliceMut::new(a), IoSliceMut::new(&mut b[..4])], 1.0)
        })
    }),
    ("conn.send_all/room", |row| on_conn(row, |conn| conn.send_all(b"hello", 1.0))),
    ("conn.send_all/indefinite", |row| on_conn(row, |conn| conn.send_all(b"hello", INDEFINITE_TIMEOUT))),
    ("conn.send_all/full", |row| {
        let (conn, mut peer) = pair()?;
        fill(&conn)?;
        let drain = later(PEER_DELAY, move || drain(&mut peer).map(|()| peer));
        measure(row, || conn.send_all(&[7; 64], 4.0))?;
        join(drain)
    }),
    ("conn.send_all/epipe", |row| {
        let (conn, _peer) = pair()?;
        conn.shutdown(Shutdown::Write)?;
        measure(row, || conn.send_all(b"hello", 1.0))
    }),
    ("conn.send_all/nan", |row| on_conn(row, |conn| conn.send_all(b"hello", f64::NAN))),
    ("unix.send_all/timeout", |row| {
        let ((conn, _peer), data) = (UnixStream::pair()?, vec![0; 8 << 20]);
        measure(row, || conn.send_all(&data, 0.1))
    }),
    ("conn.send_out_of_band", |row| on_conn(row, |conn| conn.send_out_of_band(b"!", 1.0))),
    ("conn.recv_out_of_band/ready", |row| {
        let (conn, peer) = pair()?;
        socket2::SockRef::from(&peer).send_out_of_band(b"!")?;
        wait_urgent(&conn)?;
        measure(row, || conn.recv_out_of_band(&mut [0; 16], 1.0))
    }),
    ("conn.recv_out_of_band/none", |row| on_conn(row, |conn| conn.recv_out_of_band(&mut [0; 16], 1.0))),
    ("unix.peek", |row| on_unix_hello(row, |conn, buf| conn.peek(buf, 1.0))),
    ("unix.write_vectored", |row| {
        on_unix_pair(row, |mut conn, _| {
            conn.write_vectored(&[IoSlice::new(b"hello"), IoSlice::new(b" "), IoSlice::new(b"world!")])
        })
    }),
    ("unix.send_vectored", |row| {
        on_unix_pair(row, |conn, _| {
            conn.send_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg"), IoSlice::new(b"hi")], 1.0)
        })
    }),
    ("unix.read_vectored", |row| {
        on_unix_hello(row, |mut conn, buf| {
            let (a, b) = buf.split_at_mut(4);
            conn.read_vectored(&mut [IoSliceMut::new(a), IoSliceMut::new(&mut b[..4])])
        })
    }),
    ("unix.recv_vectored", |row| {
        on_unix_hello(row, |conn, buf| {
            let (a, b) = buf.split_at_mut(4);
            conn.recv_vectored(&mut [IoSliceMut::new(a), IoSliceMut::new(&mut b[..4])], 1.0)
        })
    }),
    ("unix.recv_vectored/timeout", |row| {
        on_unix_pair(row, |conn, buf| conn.recv_vectored(&mut [IoSliceMut::new(buf)], 0.1))
    }),
    ("unix.send_with_credentials", |row| {
        let (conn, _peer) = UnixStream::pair()?;
        let creds = conn.peer_credentials()?;
        measure(row, || conn.send_with_credentials(b"hello", &creds, 1.0))
    }),
    ("unix.send_with_credentials/invalid-uid", |row| {
        let (conn, _peer) = UnixStream::pair()?;
        let creds = Credentials { uid: u32::MAX, ..conn.peer_credentials()? };
        measure(row, || conn.send_with_credentials(b"hello", &creds, 1.0))
    }),
    ("unix.datagram.send_with_credentials", |row| {
        let (socket, _peer) = UnixDatagram::pair()?;
        let creds = socket.peer_credentials()?;
        measure(row, || socket.send_with_credentials(b"hello", &creds, None, 1.0))
    }),
    ("unix.datagram.peek", |row| on_unix_datagrams(row, b"hello", |socket| socket.peek(&mut [0; 40], 1.0))),
    ("unix.datagram.peek/truncated", |row| {
        on_unix_datagrams(row, b"0123456789", |socket| socket.peek(&mut [0; 4], 1.0))
    }),
    ("unix.datagram.peek/timeout", |row| on_unix_datagrams(row, b"", |socket| socket.peek(&mut [0; 40], 0.1))),
    ("unix.datagram.peek_from", |row| on_unix_datagrams(row, b"hello", |socket| socket.peek_from(&mut [0; 40], 1.0))),
    ("udp.peek", |row| udp_queued(row, b"hello", |socket, buf| socket.peek(buf, 1.0))),
    ("udp.peek/truncated", |row| udp_queued(row, b"0123456789", |socket, buf| socket.peek(&mut buf[..4], 1.0))),
    ("udp.peek_from", |row| udp_queued(row, b"hello", |socket, buf| socket.peek_from(buf, 1.0))),
    ("udp.send_vectored", |row| {
        let (socket, peer) = (udp()?, udp()?);
        socket.connect(&peer.addr()?)?;
        measure(row, || socket.send_vectored(&[IoSlice::new(b"hel"), IoSlice::new(b"lo")], 1.0))
    }),
    ("udp.send_to_vectored", |row| {
        let (socket, to) = (udp()?, udp()?.addr()?);
        measure(row, || socket.send_to_vectored(&[IoSlice::new(b"hel"), IoSlice::new(b"lo")], &to, 1.0))
    }),
    ("udp.recv_vectored", |row| {
        udp_queued(row, b"hello", |socket, buf| {
            let (a, b) = buf.split_at_mut(4);
            socket.recv_vectored(&mut [IoSliceMut::new(a), IoSliceMut::new(b)], 1.0)
        })
    }),
    ("udp.recv_vectored/truncated", |row| {
        udp_queued(row, b"0123456789", |socket, buf| {
            let (a, b) = buf.split_at_mut(2);
            socket.recv_vectored(&mut [IoSliceMut::new(a), IoSliceMut::new(&mut b[..2])], 1.0)
        })
    }),
    ("udp.recv_vectored/timeout", |row| {
        on_udp(row, |socket| socket.recv_vectored(&mut [IoSliceMut::new(&mut [0; 40])], 0.1))
    }),
    ("udp.recv_from_vectored", |row| {
        udp_queued(row, b"hello", |socket, buf| socket.recv_from_vectored(&mut [IoSliceMut::new(buf)], 1.0))
    }),
    ("udp.recv_msg_vectored", |row| {
        udp_queued(row, b"hello", |socket, buf| {
            let (a, b) = buf.split_at_mut(4);
            socket.recv_msg_vectored(&mut [IoSliceMut::new(a), IoSliceMut::new(b)], &mut [0; 64], 0, 1.0)
        })
    }),
    ("udp.recv_msg_vectored/errqueue", |row| {
        on_udp(row, |socket| {
            socket.recv_msg_vectored(&mut [IoSliceMut::new(&mut [0; 40])], &mut [0; 64], libc::MSG_ERRQUEUE, 0.1)
        })
    }),
    ("udp.recv_msg_vectored/peek", |row| {
        on_udp(row, |socket| {
            socket.recv_msg_vectored(&mut [IoSliceMut::new(&mut [0; 40])], &mut [0; 64], libc::MSG_PEEK, 1.0)
        })
    }),
    ("udp.connect", |row| {
        let (socket, peer) = (udp()?, udp()?.addr()?);
        measure(row, || socket.connect(&peer))
    }),
    ("udp.peer_addr", |row| {
        let (socket, peer) = (udp()?, udp()?);
        socket.connect(&peer.addr()?)?;
        measure(row, || socket.peer_addr())
    }),
    ("udp.peer_addr/unconnected", |row| on_udp(row, UdpSocket::peer_addr)),
    ("udp.send_connected", |row| {
        let (socket, peer) = (udp()?, udp()?);
        socket.connect(&peer.addr()?)?;
        measure(row, || socket.send_connected(b"hello", 1.0))
    }),
    ("udp.send_connected/unconnected", |row| on_udp(row, |socket| socket.send_connected(b"hello", 1.0))),
    ("conn.try_as_fd", |row| on_conn(row, |conn| conn.try_as_fd().map(|fd| fd.as_raw_fd()))),
    ("conn.try_as_fd/closed", |row| {
        let (mut conn, _peer) = pair()?;
        conn.close()?;
        measure(row, || conn.try_as_fd().map(|fd| fd.as_raw_fd()))
    }),
    ("conn.set_nonblocking", |row| on_conn(row, |conn| conn.set_nonblocking(true))),
    ("conn.recv/nonblocking", |row| {
        let (conn, mut peer) = pair()?;
        conn.set_nonblocking(true)?;
        let peer = later(PEER_DELAY, move || peer.write_all(b"hello").map(|()| peer));
        measure(row, || conn.recv(&mut [0; 16], 4.0))?;
        join(peer)
    }),
    ("conn.recv/nonblocking-indefinite", |row| {
        let (conn, _peer) = pair()?;
        conn.set_nonblocking(true)?;
        measure(row, || conn.recv(&mut [0; 16], INDEFINITE_TIMEOUT))
    }),
    ("conn.send/nonblocking-full", |row| {
        let (conn, _peer) = pair()?;
        fill(&conn)?;
        conn.set_nonblocking(true)?;
        measure(row, || conn.send(&[7; 64], INDEFINITE_TIMEOUT))
    }),
    ("udp.set_nonblocking", |row| on_udp(row, |socket| socket.set_nonblocking(true))),
    ("wait_readable", wait_readable_later),
    ("wait_readable/timeout", |row| {
        let (reader, _writer) = std::os::unix::net::UnixStream::pair()?;
        measure(row, || wait_readable(&reader, 0.1))
    }),
    ("wait_writable", wait_writable_drained),
    ("udp.try_clone", |row| on_udp(row, UdpSocket::try_clone)),
    ("udp.recv/clone", udp_recv_clone),
    ("udp.recv/adopted", |row| udp_recv_shared(row, Holder::Adopted, Timeout::from(4.0))),
    ("udp.recv/adopted-indefinite", |row| udp_recv_shared(row, Holder::Adopted, Timeout::INDEFINITE)),
    ("udp.recv/adopted-waited", udp_recv_adopted_waited),
    ("udp.recv/after-fork", |row| udp_recv_shared(row, Holder::Forked, Timeout::from(4.0))),
    ("accept/adopted", accept_adopted),
    ("udp.into_std", |row| {
        let socket = udp()?;
        measure(row, || std::net::UdpSocket::try_from(socket))
    }),
    ("udp.into_std/after-timed", |row| {
        let socket = udp()?;
        let _ = socket.recv(40, 0.1);
        measure(row, || std::net::UdpSocket::try_from(socket))
    }),
    ("listener.into_std/after-timed", |row| {
        let server = server()?;
        let _ = server.accept(0.1);
        measure(row, || std::net::TcpListener::try_from(server))
    }),
    ("udp.try_from", |row| {
        let adopted = std::net::UdpSocket::bind("127.0.0.1:0")?;
        measure(row, || UdpSocket::try_from(adopted))
    }),
    ("udp.try_from/tcp", |row| {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0")?;
        measure(row, || UdpSocket::try_from(OwnedFd::from(tcp)))
    }),
    ("options.set_keepalive", |row| on_conn(row, |conn| conn.set_keepalive(true))),
    ("options.keepalive", |row| on_conn(row, |conn| conn.keepalive())),
    ("options.set_keepalive_idle", |row| on_conn(row, |conn| conn.set_keepalive_idle(Duration::from_secs(30)))),
    ("options.set_keepalive_idle/too-long", |row| on_conn(row, |conn| conn.set_keepalive_idle(Duration::MAX))),
    ("options.keepalive_count", |row| on_conn(row, |conn| conn.keepalive_count())),
    ("options.nagle", |row| on_conn(row, |conn| conn.nagle())),
    ("options.set_linger", |row| on_udp(row, |socket| socket.set_linger(Some(Duration::from_secs(5))))),
    ("options.linger", |row| on_udp(row, |socket| socket.linger())),
    ("options.set_send_buffer_size", |row| on_udp(row, |socket| socket.set_send_buffer_size(65536))),
    ("options.recv_buffer_size", |row| on_udp(row, |socket| socket.recv_buffer_size())),
    ("options.set_reuse_port", |row| on_udp(row, |socket| socket.set_reuse_port(true))),
    ("options.set_broadcast", |row| on_udp(row, |socket| socket.set_broadcast(true))),
    ("options.set_ttl", |row| on_udp(row, |socket| socket.set_ttl(7))),
    ("options.set_ttl/out-of-range", |row| on_udp(row, |socket| socket.set_ttl(u32::MAX))),
    ("options.set_ttl/refused", |row| on_udp(row, |socket| socket.set_ttl(256))),
    ("options.ttl", |row| on_udp(row, |socket| socket.ttl())),
    ("options.set_hop_limit_v6", |row| on_udp6(row, |socket| socket.set_hop_limit_v6(7))),
    ("options.set_hop_limit_v6/ipv4", |row| on_udp(row, |socket| socket.set_hop_limit_v6(7))),
    ("options.set_only_v6", |row| on_udp6(row, |socket| socket.set_only_v6(true))),
    ("options.set_tos", |row| on_udp(row, |socket| socket.set_tos(0xb8))),
    ("options.tos", |row| on_udp(row, |socket| socket.tos())),
    ("options.set_tclass_v6", |row| on_udp6(row, |socket| socket.set_tclass_v6(0x28))),
    ("options.set_tcp_user_timeout", |row| {
        on_conn(row, |conn| conn.set_tcp_user_timeout(Some(Duration::from_millis(2500))))
    }),
    ("options.set_tcp_user_timeout/too-long", |row| {
        on_conn(row, |conn| conn.set_tcp_user_timeout(Some(Duration::MAX)))
    }),
    ("options.tcp_user_timeout", |row| on_conn(row, |conn| conn.tcp_user_timeout())),
    ("options.set_tcp_cork", |row| on_conn(row, |conn| conn.set_tcp_cork(true))),
    ("options.set_mss", |row| on_conn(row, |conn| conn.set_mss(1200))),
    ("options.mss", |row| on_conn(row, |conn| conn.mss())),
    ("options.set_passcred", |row| {
        let (socket, _peer) = UnixStream::pair()?;
        measure(row, || socket.set_passcred(true))
    }),
    ("options.closed", |row| {
        let mut socket = udp()?;
        socket.close()?;
        measure(row, || socket.set_ttl(7))
    }),
    ("multicast.join_v4", |row| on_udp(row, |socket| socket.join_multicast_v4(&GROUP_V4, &Ipv4Addr::LOCALHOST))),
    ("multicast.leave_v4", |row| {
        let socket = udp()?;
        socket.join_multicast_v4(&GROUP_V4, &Ipv4Addr::LOCALHOST)?;
        measure(row, || socket.leave_multicast_v4(&GROUP_V4, &Ipv4Addr::LOCALHOST))
    }),
    ("multicast.leave_v4/not-member", |row| {
        on_udp(row, |socket| socket.leave_multicast_v4(&GROUP_V4, &Ipv4Addr::LOCALHOST))
    }),
    ("multicast.join_v6", |row| on_udp6(row, |socket| socket.join_multicast_v6(&GROUP_V6, LOOPBACK_INDEX))),
    ("multicast.leave_v6", |row| {
        let socket = UdpSocket::new(IPFamily::IPv6)?;
        socket.join_multicast_v6(&GROUP_V6, LOOPBACK_INDEX)?;
        measure(row, || socket.leave_multicast_v6(&GROUP_V6, LOOPBACK_INDEX))
    }),
    ("multicast.set_loop_v4", |row| on_udp(row, |socket| socket.set_multicast_loop_v4(false))),
    ("multicast.set_ttl_v4", |row| on_udp(row, |socket| socket.set_multicast_ttl_v4(8))),
    ("multicast.set_if_v4", |row| on_udp(row, |socket| socket.set_multicast_if_v4(&Ipv4Addr::LOCALHOST))),
    ("multicast.if_v4", |row| on_udp(row, |socket| socket.multicast_if_v4())),
    ("multicast.set_loop_v6", |row| on_udp6(row, |socket| socket.set_multicast_loop_v6(false))),
    ("multicast.set_hop_limit_v6", |row| on_udp6(row, |socket| socket.set_multicast_hop_limit_v6(4))),
    ("multicast.set_if_v6", |row| on_udp6(row, |socket| socket.set_multicast_if_v6(LOOPBACK_INDEX))),
];

/// The multicast groups of the `multicast` rows, and the loopback interface's index (1 in
/// every Linux network namespace).
const GROUP_V4: Ipv4Addr = Ipv4Addr::new(239, 255, 1, 2);
const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff15, 0, 0, 0, 0, 0, 1, 2);
const LOOPBACK_INDEX: u32 = 1;

/// How long a peer thread waits before it acts, so the operation has started waiting.
const PEER_DELAY: Duration = Duration::from_millis(100);
/// For the rows whose first poll gets an injected `EINTR` delayed by 200 ms: the peer acts
/// after that, so the second poll is the one that sees it.
const EINTR_PEER_DELAY: Duration = Duration::from_millis(300);

/// `struct linger { l_onoff: 1, l_linger: 0 }` as the kernel reads it.
const LINGER_ABORT: [u8; 8] = {
    let (on, seconds) = (1i32.to_ne_bytes(), 0i32.to_ne_bytes());
    [on[0], on[1], on[2], on[3], seconds[0], seconds[1], seconds[2], seconds[3]]
};

/// `--in-process`: record the operation's calls in-process too, and print them.
static IN_PROCESS: AtomicBool = AtomicBool::new(false);

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--in-process") {
        if !cfg!(feature = "audit") {
            eprintln!("syscall_driver: --in-process needs the driver built with --features audit");
            std::process::exit(2);
        }
        IN_PROCESS.store(true, Ordering::Relaxed);
        args.remove(0);
    }
    let row = args.first().cloned().unwrap_or_default();
    if row == "--list" {
        ROWS.iter().for_each(|(name, _)| println!("{name}"));
        return;
    }
    if row == "--features" {
        println!("{}", if cfg!(feature = "audit") { "audit" } else { "" });
        return;
    }
    let Some((_, run)) = ROWS.iter().find(|(name, _)| *name == row) else {
        eprintln!("syscall_driver: no such row (see --list): {row:?}");
        std::process::exit(2);
    };
    if let Err(e) = run(&row) {
        eprintln!("syscall_driver: {row}: setup failed: {e}");
        std::process::exit(2);
    }
}

fn listen_v4(row: &str) -> Setup {
    measure(row, || listen(&lo4(), true, 16))
}

fn listen_in_use(row: &str) -> Setup {
    let holder = server()?;
    let taken = holder.addr()?;
    measure(row, || listen(&taken, true, 16))
}

/// Runs `op` on a listener of its own.
fn on_listener<T, E: Outcome>(row: &str, op: impl FnOnce(&TcpListener) -> std::result::Result<T, E>) -> Setup {
    let server = server()?;
    measure(row, || op(&server))
}

fn accept_queued(row: &str) -> Setup {
    let server = server()?;
    let _client = TcpStream::connect(std::net::SocketAddr::from(server.addr()?))?;
    measure(row, || server.accept(1.0))
}

/// Accepts with `timeout` a peer that connects after `delay`.
fn accept_later(row: &str, delay: Duration, timeout: Timeout) -> Setup {
    let server = server()?;
    // The peer's socket exists before the region, so only the accepted one is new.
    let at = std::net::SocketAddr::from(server.addr()?).into();
    let client = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let peer = later(delay, move || client.connect(&at).map(|()| client));
    measure(row, || server.accept(timeout))?;
    join(peer)
}

/// On a listener the user made non-blocking, accepts with 4 s a peer that connects after
/// `PEER_DELAY`: the listener stays non-blocking, so the accept polls.
fn accept_user_nonblocking_wait(row: &str) -> Setup {
    let server = server()?;
    server.set_nonblocking(true)?;
    let at = std::net::SocketAddr::from(server.addr()?).into();
    let client = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let peer = later(PEER_DELAY, move || client.connect(&at).map(|()| client));
    measure(row, || server.accept(4.0))?;
    join(peer)
}

/// After one `accept(4 s)` that waited, accepts with `timeout` a peer that connects after
/// `PEER_DELAY`: the steady state of an accept loop.
fn accept_again(row: &str, timeout: Timeout) -> Setup {
    let server = server()?;
    let at = std::net::SocketAddr::from(server.addr()?);
    let first = later(PEER_DELAY, move || TcpStream::connect(at));
    server.accept(timeout)?;
    join(first)?;
    let client = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let peer = later(PEER_DELAY, move || client.connect(&at.into()).map(|()| client));
    measure(row, || server.accept(timeout))?;
    join(peer)
}

/// Accepts with 100 ms while another thread is already waiting in `accept` on the same
/// listener: the poll path, which needs the listener non-blocking.
fn accept_shared(row: &str) -> Setup {
    let server = std::sync::Arc::new(server()?);
    let at = std::net::SocketAddr::from(server.addr()?);
    let holder = std::sync::Arc::clone(&server);
    let other = thread::spawn(move || holder.accept(10.0).map(drop));
    thread::sleep(PEER_DELAY);
    measure(row, || server.accept(0.1))?;
    let _release = TcpStream::connect(at)?;
    other.join().map_err(|_| "the other acceptor panicked")??;
    Ok(())
}

/// Accepts with 4 s while another thread already waits in `accept(4 s)` on the same listener
/// (so it blocks, with `SO_RCVTIMEO` armed for that timeout): this one blocks beside it. Two
/// peers connect, 100 ms apart, so each accept takes one whichever the kernel wakes first.
fn accept_beside(row: &str) -> Setup {
    let server = std::sync::Arc::new(server()?);
    let at = std::net::SocketAddr::from(server.addr()?);
    let holder = std::sync::Arc::clone(&server);
    let other = thread::spawn(move || holder.accept(4.0).map(drop));
    thread::sleep(PEER_DELAY);
    // The peers' sockets exist before the region, so only the accepted one is new.
    let first = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let second = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let peers = later(PEER_DELAY, move || {
        first.connect(&at.into())?;
        thread::sleep(PEER_DELAY);
        second.connect(&at.into())?;
        Ok((first, second))
    });
    measure(row, || server.accept(4.0))?;
    other.join().map_err(|_| "the other acceptor panicked")??;
    join(peers).map(drop)
}

/// After one `accept(4 s)` that waited (so the listener blocks, with `SO_RCVTIMEO` armed),
/// accepts with a zero timeout and nobody connecting: it must not wait for what is armed.
fn accept_zero_after_wait(row: &str) -> Setup {
    let server = server()?;
    let at = std::net::SocketAddr::from(server.addr()?);
    let first = later(PEER_DELAY, move || TcpStream::connect(at));
    server.accept(4.0)?;
    join(first)?;
    measure(row, || server.accept(0.0))
}

/// A new TCP socket bound to 127.0.0.1:0.
fn bound_tcp_socket() -> Result<TcpSocket> {
    let mut socket = TcpSocket::v4()?;
    socket.bind(&lo4())?;
    Ok(socket)
}

/// Connects a `TcpSocket` (bound to 127.0.0.1:0 first when `bound`) to a listener.
fn tcp_socket_connect(row: &str, bound: bool, timeout: Timeout) -> Setup {
    let server = server()?;
    let at = server.addr()?;
    let socket = if bound { bound_tcp_socket()? } else { TcpSocket::v4()? };
    measure(row, || socket.connect(&at, timeout))
}

/// Peeks with 4 s at what the peer sends after `PEER_DELAY`.
fn peek_later(row: &str) -> Setup {
    let (conn, mut peer) = pair()?;
    let peer = later(PEER_DELAY, move || peer.write_all(b"hello").map(|()| peer));
    let mut buf = [0; 16];
    measure(row, || conn.peek(&mut buf, 4.0))?;
    join(peer)
}

fn accept_closed(row: &str) -> Setup {
    let mut server = server()?;
    server.close()?;
    measure(row, || server.accept(1.0))
}

fn connect_to_listener(row: &str, timeout: Timeout) -> Setup {
    let server = server()?;
    let at = server.addr()?;
    measure(row, || connect(&at, timeout))
}

/// Connects to `0.0.0.0:port` of a listener: the kernel connects to a local address, which
/// a `getpeername` learns, so `addr()` is the real peer.
fn connect_unspecified(row: &str) -> Setup {
    let server = server()?;
    let at = IpAddr::create("0.0.0.0", server.addr()?.port(), IPFamily::IPv4)?;
    measure(row, || {
        let conn = connect(&at, INDEFINITE_TIMEOUT)?;
        // Known from the getpeername inside connect: no syscall here.
        assert_eq!(conn.addr()?.host(), "127.0.0.1");
        Ok::<_, chapel_socket::Error>(conn)
    })
}

/// A numeric service 65536 above a listener's port: refused, never dialled.
fn connect_host_wrapped(row: &str) -> Setup {
    let server = server()?;
    let wrapped = (u32::from(server.addr()?.port()) + 65536).to_string();
    measure(row, || connect_host("127.0.0.1", &wrapped, IPFamily::IPv4, 4.0))?;
    if server.accept(0.0).is_ok() {
        return Err("the listener on the wrapped port was dialled".into());
    }
    Ok(())
}

fn connect_to_closed_port(row: &str, timeout: Timeout) -> Setup {
    let at = closed_port()?;
    measure(row, || connect(&at, timeout))
}

fn connect_expired(row: &str) -> Setup {
    // A backlog of 0 holds one connection; with it queued, the kernel drops the SYNs of the
    // next, so that connect can only time out. The second setup connect makes sure the
    // queue is full before the measured one.
    let full = listen(&lo4(), true, 0)?;
    let at = full.addr()?;
    let _queued = connect(&at, 1.0)?;
    let _dropped = connect(&at, 0.05);
    measure(row, || connect(&at, 0.2))
}

fn connect_host_numeric(row: &str) -> Setup {
    let server = server()?;
    let port = server.addr()?.port();
    measure(row, || connect_host("127.0.0.1", port, IPFamily::IPv4, 4.0))
}

/// `connect_host` to `host` with the port as a service string.
fn connect_host_service(row: &str, host: &str) -> Setup {
    let server = server()?;
    let port = server.addr()?.port().to_string();
    measure(row, || connect_host(host, &port, IPFamily::IPv4, 4.0))
}

/// Runs `op` on a connection (with its peer kept open).
fn on_conn<T, E: Outcome>(row: &str, op: impl FnOnce(&TcpConn) -> std::result::Result<T, E>) -> Setup {
    let (conn, _peer) = pair()?;
    measure(row, || op(&conn))
}

/// Receives with `op` (into a 16-byte buffer) what the peer sent before: `sent`, or, if
/// that is empty, the end of its stream.
fn recv_arrived<T, E: Outcome>(
    row: &str,
    sent: &[u8],
    op: impl FnOnce(&TcpConn, &mut [u8]) -> std::result::Result<T, E>,
) -> Setup {
    let (conn, mut peer) = pair()?;
    if sent.is_empty() {
        peer.shutdown(Shutdown::Write)?;
    } else {
        peer.write_all(sent)?;
    }
    let mut buf = [0; 16];
    measure(row, || op(&conn, &mut buf))
}

/// Receives with `timeout` what the peer sends after `delay`.
fn recv_later(row: &str, delay: Duration, timeout: Timeout) -> Setup {
    let (conn, mut peer) = pair()?;
    let peer = later(delay, move || peer.write_all(b"hello").map(|()| peer));
    let mut buf = [0; 16];
    measure(row, || conn.recv(&mut buf, timeout))?;
    join(peer)
}

/// After one `recv(4 s)` that waited, receives with 4 s what the peer sends after
/// `PEER_DELAY`: the steady state.
fn recv_again(row: &str) -> Setup {
    let (conn, mut peer) = pair()?;
    let mut buf = [0; 16];
    let first = later(PEER_DELAY, move || peer.write_all(b"x").map(|()| peer));
    conn.recv(&mut buf, 4.0)?;
    let mut peer = first.join().map_err(|_| "the peer thread panicked")??;
    let second = later(PEER_DELAY, move || peer.write_all(b"hello").map(|()| peer));
    measure(row, || conn.recv(&mut buf, 4.0))?;
    join(second)
}

fn send_full(row: &str) -> Setup {
    let (conn, mut peer) = pair()?;
    fill(&conn)?;
    let drain = later(PEER_DELAY, move || drain(&mut peer).map(|()| peer));
    measure(row, || conn.send(&[7; 64], 4.0))?;
    join(drain)
}

fn send_timeout(row: &str) -> Setup {
    let (conn, _peer) = pair()?;
    fill(&conn)?;
    measure(row, || conn.send(&[7; 64], 0.1))
}

fn send_after_shutdown(row: &str) -> Setup {
    let (conn, _peer) = pair()?;
    conn.shutdown(Shutdown::Write)?;
    measure(row, || conn.send(b"hello", 1.0))
}

/// Sends from a new IPv4 socket to a bound one, or (`wrong_family`) to an IPv6 address.
fn udp_send(row: &str, wrong_family: bool, timeout: Timeout) -> Setup {
    let (sender, receiver) = (UdpSocket::new(IPFamily::IPv4)?, udp()?);
    let to = if wrong_family { "[::1]:9".parse()? } else { receiver.addr()? };
    measure(row, || sender.send(b"hello", &to, timeout))
}

/// Runs `op` on a bound UDP socket.
fn on_udp<T, E: Outcome>(row: &str, op: impl FnOnce(&UdpSocket) -> std::result::Result<T, E>) -> Setup {
    let socket = udp()?;
    measure(row, || op(&socket))
}

/// Runs `op` on a new, unbound IPv6 UDP socket.
fn on_udp6<T, E: Outcome>(row: &str, op: impl FnOnce(&UdpSocket) -> std::result::Result<T, E>) -> Setup {
    let socket = UdpSocket::new(IPFamily::IPv6)?;
    measure(row, || op(&socket))
}

/// Receives with `op` (given a 40-byte buffer) the datagram `data`, queued before.
fn udp_queued<T, E: Outcome>(
    row: &str,
    data: &[u8],
    op: impl FnOnce(&UdpSocket, &mut [u8]) -> std::result::Result<T, E>,
) -> Setup {
    let socket = udp()?;
    UdpSocket::new(IPFamily::IPv4)?.send(data, &socket.addr()?, 1.0)?;
    let mut buf = [0; 40];
    measure(row, || op(&socket, &mut buf))
}

/// Receives with `op` the datagram a peer sends after `delay`.
fn udp_later<T, E: Outcome>(
    row: &str,
    delay: Duration,
    op: impl FnOnce(&UdpSocket) -> std::result::Result<T, E>,
) -> Setup {
    let socket = udp()?;
    let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, socket.addr()?);
    let peer = later(delay, move || sender.send(b"hello", &to, 1.0).map(|_| sender).map_err(Into::into));
    measure(row, || op(&socket))?;
    join(peer)
}

/// After one `recv(4 s)` that waited, receives with `timeout` a datagram sent after
/// `PEER_DELAY`.
fn udp_again(row: &str, timeout: Timeout) -> Setup {
    let socket = udp()?;
    let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, socket.addr()?);
    let first = later(PEER_DELAY, move || sender.send(b"x", &to, 1.0).map(|_| sender).map_err(Into::into));
    socket.recv(40, 4.0)?;
    let sender = first.join().map_err(|_| "the peer thread panicked")??;
    let second = later(PEER_DELAY, move || sender.send(b"hello", &to, 1.0).map(|_| sender).map_err(Into::into));
    measure(row, || socket.recv(40, timeout))?;
    join(second)
}

/// Receives with 100 ms while another thread is already waiting in `recv` on the same
/// socket: the try → poll → retry path, which leaves `SO_RCVTIMEO` to the other.
fn udp_shared(row: &str) -> Setup {
    let socket = std::sync::Arc::new(udp()?);
    let to = socket.addr()?;
    let holder = std::sync::Arc::clone(&socket);
    let other = thread::spawn(move || holder.recv(40, 10.0).map(drop));
    thread::sleep(PEER_DELAY);
    measure(row, || socket.recv(40, 0.1))?;
    UdpSocket::new(IPFamily::IPv4)?.send(b"release", &to, 1.0)?;
    other.join().map_err(|_| "the other receiver panicked")??;
    Ok(())
}

/// Receives with 4 s while another thread already waits in `recv(4 s)` on the same socket:
/// the armed value serves both, so both wait in the kernel; two datagrams come after
/// `PEER_DELAY`, one for each.
fn udp_shared_same_timeout(row: &str) -> Setup {
    let socket = std::sync::Arc::new(udp()?);
    let to = socket.addr()?;
    let holder = std::sync::Arc::clone(&socket);
    let other = thread::spawn(move || holder.recv(40, 4.0).map(drop));
    thread::sleep(PEER_DELAY);
    let sender = UdpSocket::new(IPFamily::IPv4)?;
    let peer = later(PEER_DELAY, move || {
        sender.send(b"hello", &to, 1.0)?;
        sender.send(b"hello", &to, 1.0).map(|_| sender).map_err(Into::into)
    });
    measure(row, || socket.recv(40, 4.0))?;
    join(peer)?;
    other.join().map_err(|_| "the other receiver panicked")??;
    Ok(())
}

/// An indefinite receive on a socket that holds no timeout blocks without taking the
/// socket's timer. `strace` holds each thread's first `recvfrom` back 600 ms: another
/// thread's `recv(200 ms)` starts first, so its arming of the crate's `SO_RCVTIMEO` (about
/// 184 ms) falls after this receive has looked at the socket (300 ms later) and before its
/// held-back `recvfrom` runs. That call then answers `EAGAIN`, which is not the answer on a
/// socket without a timeout of the user's: the receive puts the user's value (none) back and
/// blocks again, until a datagram comes 1.5 s after it began.
fn udp_indefinite_armed_meanwhile(row: &str) -> Setup {
    let socket = std::sync::Arc::new(udp()?);
    let to = socket.addr()?;
    let other = std::sync::Arc::clone(&socket);
    let armer = later(Duration::ZERO, move || match other.recv(40, 0.2) {
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(()),
        Err(e) => Err(e.into()),
        Ok(_) => Err(std::io::Error::other("the timed receive got a datagram")),
    });
    thread::sleep(Duration::from_millis(300));
    let peer = hello_later(Duration::from_millis(1500), to)?;
    measure(row, || socket.recv(40, INDEFINITE_TIMEOUT))?;
    join(armer)?;
    join(peer)
}

/// An indefinite receive on a socket whose `SO_RCVTIMEO` (100 ms) was set through the raw
/// descriptor, behind the crate's back, as another holder of the socket would: nothing of the
/// crate's explains its `EAGAIN`, so the socket stops being trusted and the receive waits on
/// in `ppoll` for the datagram.
fn udp_indefinite_raw_rcvtimeo(row: &str) -> Setup {
    let socket = udp()?;
    let timeval = libc::timeval { tv_sec: 0, tv_usec: 100_000 };
    // SAFETY: a live timeval of the size passed, on a descriptor this function owns.
    let set = unsafe {
        libc::setsockopt(
            socket.socket_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw const timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if set != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    let peer = hello_later(EINTR_PEER_DELAY, socket.addr()?)?;
    measure(row, || socket.recv(40, INDEFINITE_TIMEOUT))?;
    join(peer)
}

/// Reads `SO_RCVTIMEO` after a timed receive armed the crate's own value: the user's (none)
/// is reported, without a syscall.
fn rcvtimeo_after_timed(row: &str) -> Setup {
    let socket = udp()?;
    UdpSocket::new(IPFamily::IPv4)?.send(b"x", &socket.addr()?, 1.0)?;
    let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, socket.addr()?);
    let first = later(PEER_DELAY, move || sender.send(b"x", &to, 1.0).map(|_| sender).map_err(Into::into));
    socket.recv(40, 4.0)?;
    socket.recv(40, 4.0)?;
    join(first)?;
    measure(row, || get_sock_opt_bytes(&socket, SOL_SOCKET, SO_RCVTIMEO, 64))
}

/// Sends "hello" with one control message to a bound socket.
fn send_msg(row: &str, control: ControlMessage) -> Setup {
    let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, udp()?.addr()?);
    measure(row, || sender.send_msg(b"hello", &to, &[control], 1.0))
}

/// Receives a batch of the three datagrams queued before.
fn recv_batch_ready(row: &str) -> Setup {
    let socket = udp()?;
    let to = socket.addr()?;
    UdpSocket::new(IPFamily::IPv4)?.send_batch(&[SendMsg::new(b"a", to); 3], 1.0)?;
    let mut batch = RecvBatch::new(32, 40)?;
    measure(row, || socket.recv_batch(&mut batch, 1.0))
}

/// Receives with `timeout` a batch of three datagrams sent after `PEER_DELAY`.
fn recv_batch_later(row: &str, timeout: Timeout) -> Setup {
    let socket = udp()?;
    let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, socket.addr()?);
    let peer = later(PEER_DELAY, move || {
        sender.send_batch(&[SendMsg::new(b"a", to); 3], 1.0).map(|_| sender).map_err(Into::into)
    });
    let mut batch = RecvBatch::new(32, 40)?;
    measure(row, || socket.recv_batch(&mut batch, timeout))?;
    join(peer)
}

/// Sends `count` one-byte datagrams in one batch call.
fn send_batch(row: &str, count: usize) -> Setup {
    let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, udp()?.addr()?);
    let msgs = vec![SendMsg::new(b"a", to); count];
    measure(row, || sender.send_batch(&msgs, 1.0))
}

fn bind_in_use(row: &str) -> Setup {
    let (taken, socket) = (udp()?, UdpSocket::new(IPFamily::IPv4)?);
    let at = taken.addr()?;
    measure(row, || bind(&socket, &at, false))
}

/// Sets `SOL_SOCKET` option `name` to `value` on a bound UDP socket.
fn set_option(row: &str, name: c_int, value: SockOptValue<'static>) -> Setup {
    let socket = udp()?;
    measure(row, || set_sock_opt(&socket, SOL_SOCKET, name, value))
}

/// `IPT_SO_SET_REPLACE` (`IPPROTO_IP`, 64): a `struct ipt_replace`, whose `counters` pointer
/// the kernel writes to, so the safe call refuses it before the syscall.
fn set_refused(row: &str) -> Setup {
    let socket = udp()?;
    let replace = [0u8; 96];
    measure(row, || set_sock_opt(&socket, libc::IPPROTO_IP, 64, &replace))
}

/// Runs `op` between the markers and reports its outcome and the change in open
/// descriptors. The result is dropped only after the END marker, so a drop's `close` is
/// not counted as the operation's.
fn measure<T, E: Outcome>(row: &str, op: impl FnOnce() -> std::result::Result<T, E>) -> Setup {
    let (begin, end) = (format!("BEGIN {row}"), format!("END {row}"));
    let before = open_fds();
    marker(&begin);
    let (result, calls) = recorded(op);
    marker(&end);
    let after = open_fds();
    match &result {
        Ok(_) => println!("outcome ok"),
        Err(e) => println!("outcome {}", e.outcome()),
    }
    println!("fds {:+}", after as i64 - before as i64);
    calls.iter().for_each(|call| println!("call {call}"));
    Ok(())
}

/// Runs `op`, recording its calls in-process under `--in-process`.
#[cfg(feature = "audit")]
fn recorded<T>(op: impl FnOnce() -> T) -> (T, Vec<chapel_socket::audit::Call>) {
    if IN_PROCESS.load(Ordering::Relaxed) {
        let (value, trace) = chapel_socket::audit::record(op);
        (value, trace.calls().to_vec())
    } else {
        (op(), Vec::new())
    }
}

/// Runs `op` (`--in-process` is refused without the feature).
#[cfg(not(feature = "audit"))]
fn recorded<T>(op: impl FnOnce() -> T) -> (T, Vec<String>) {
    (op(), Vec::new())
}

/// How a failed operation is reported on the `outcome` line.
trait Outcome {
    fn outcome(&self) -> String;
}

impl Outcome for chapel_socket::Error {
    fn outcome(&self) -> String {
        if self.is_closed() {
            format!("closed {}", self.op())
        } else {
            format!("err {} {}", self.op(), kind(self.kind(), self.raw_os_error()))
        }
    }
}

/// `Read`/`Write` errors carry no operation name.
impl Outcome for std::io::Error {
    fn outcome(&self) -> String {
        format!("err io {}", kind(self.kind(), self.raw_os_error()))
    }
}

/// The error's kind, or its errno where `std` gives the kind no name.
fn kind(kind: std::io::ErrorKind, errno: Option<i32>) -> String {
    match (format!("{kind:?}"), errno) {
        (name, Some(n)) if name == "Uncategorized" => format!("errno-{n}"),
        (name, _) => name,
    }
}

/// The marker syscall: a write to descriptor -1, which the kernel refuses with `EBADF`.
fn marker(text: &str) {
    // SAFETY: `text` is valid for reads of its length; the kernel rejects fd -1 before it
    // reads anything.
    let _ = unsafe { libc::write(-1, text.as_ptr().cast(), text.len()) };
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// Closes `socket`, closes it again (a "closed" error that makes no syscall), then drops it
/// (no second `close(2)` either).
fn close_twice_then_drop<S>(mut socket: S, close: impl Fn(&mut S) -> Result<()>) -> Result<()> {
    close(&mut socket)?;
    let again = close(&mut socket);
    drop(socket);
    again
}

/// Drops `socket`, as the end of its scope would.
fn dropped<S>(socket: S) -> Result<()> {
    drop(socket);
    Ok(())
}

fn lo4() -> IpAddr {
    IpAddr::create("127.0.0.1", 0, IPFamily::IPv4).expect("127.0.0.1 parses")
}

fn server() -> Result<TcpListener> {
    listen(&lo4(), true, 16)
}

/// An address nobody listens on: the port of a listener that has just been closed.
fn closed_port() -> Result<IpAddr> {
    server()?.addr()
}

fn udp() -> Result<UdpSocket> {
    let socket = UdpSocket::new(IPFamily::IPv4)?;
    bind(&socket, &lo4(), true)?;
    Ok(socket)
}

/// A connection (`connect` without a timeout) and its other end, accepted by a `std`
/// listener: neither side polls, so the driver's only poll before the region is the one
/// every Rust program makes at start-up (the `EINTR` rows count on it).
fn pair() -> std::result::Result<(TcpConn, TcpStream), Box<dyn std::error::Error>> {
    let server = std::net::TcpListener::bind("127.0.0.1:0")?;
    let conn = connect(&server.local_addr()?.into(), INDEFINITE_TIMEOUT)?;
    let (peer, _) = server.accept()?;
    Ok((conn, peer))
}

/// Sends until the connection's buffers (its own and the peer's) are full.
fn fill(conn: &TcpConn) -> Setup {
    let chunk = [0u8; 65536];
    for _ in 0..10_000 {
        match conn.send(&chunk, 0.0) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Err("the connection's buffers never filled".into())
}

/// Reads what `fill` queued until nothing more arrives for 300 ms, so the sender has room.
fn drain(peer: &mut TcpStream) -> std::io::Result<()> {
    peer.set_read_timeout(Some(Duration::from_millis(300)))?;
    let mut buf = vec![0u8; 1 << 20];
    for _ in 0..10_000 {
        match peer.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Runs `act` in a peer thread after `delay`. What it returns (its socket) lives on until
/// the thread is joined, after the END marker, so no peer closes a descriptor during the
/// operation.
fn later<T: Send + 'static>(
    delay: Duration,
    act: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> JoinHandle<std::io::Result<T>> {
    thread::spawn(move || {
        thread::sleep(delay);
        act()
    })
}

fn join<T>(peer: JoinHandle<std::io::Result<T>>) -> Setup {
    peer.join().map_err(|_| "the peer thread panicked")??;
    Ok(())
}

/// Waits for one end of a std `UnixStream` pair (a descriptor the crate did not make), to
/// which a byte is written after `PEER_DELAY`.
fn wait_readable_later(row: &str) -> Setup {
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair()?;
    let peer = later(PEER_DELAY, move || writer.write_all(b"x").map(|()| writer));
    measure(row, || wait_readable(&reader, 4.0))?;
    join(peer)
}

/// Waits for room in a full non-blocking std `UnixStream`, whose peer reads all of it after
/// `PEER_DELAY`.
fn wait_writable_drained(row: &str) -> Setup {
    let (mut reader, mut writer) = std::os::unix::net::UnixStream::pair()?;
    writer.set_nonblocking(true)?;
    let mut queued = 0;
    loop {
        match writer.write(&[0; 4096]) {
            Ok(n) => queued += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e.into()),
        }
    }
    let peer = later(PEER_DELAY, move || reader.read_exact(&mut vec![0; queued]).map(|()| reader));
    measure(row, || wait_writable(&writer, INDEFINITE_TIMEOUT))?;
    join(peer)
}

/// Who else may hold the socket a shared-socket row receives on.
enum Holder {
    /// The socket came in from a std `UdpSocket`.
    Adopted,
    /// The crate made it, and it waited once (arming `SO_RCVTIMEO`); then the process
    /// forked, and the child left at once.
    Forked,
}

/// A receive with `timeout` on a socket someone else may hold (`holder`), of a datagram
/// that comes after `PEER_DELAY`: it never relies on `SO_RCVTIMEO`.
fn udp_recv_shared(row: &str, holder: Holder, timeout: Timeout) -> Setup {
    let socket = match holder {
        Holder::Adopted => UdpSocket::try_from(std::net::UdpSocket::bind("127.0.0.1:0")?)?,
        Holder::Forked => {
            let socket = udp()?;
            let _ = socket.recv(40, 0.1);
            fork_and_reap()?;
            socket
        }
    };
    let peer = hello_later(PEER_DELAY, socket.addr()?)?;
    measure(row, || socket.recv(40, timeout))?;
    join(peer)
}

/// An adopted socket's timed receive after one that had to wait: it waits first.
fn udp_recv_adopted_waited(row: &str) -> Setup {
    let socket = UdpSocket::try_from(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    let first = hello_later(PEER_DELAY, socket.addr()?)?;
    socket.recv(40, 4.0)?;
    join(first)?;
    let peer = hello_later(PEER_DELAY, socket.addr()?)?;
    measure(row, || socket.recv(40, 4.0))?;
    join(peer)
}

/// Sends "hello" to `to` after `delay` from a socket made now and closed only when the
/// handle is joined, so the measured span sees no change in descriptors.
fn hello_later(delay: Duration, to: IpAddr) -> Result<JoinHandle<std::io::Result<UdpSocket>>> {
    let sender = UdpSocket::new(IPFamily::IPv4)?;
    Ok(later(delay, move || sender.send(b"hello", &to, 1.0).map(|_| sender).map_err(Into::into)))
}

/// Forks; the child leaves at once, and the parent reaps it.
fn fork_and_reap() -> Setup {
    // SAFETY: the child calls only `_exit`, which is async-signal-safe.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    if pid == 0 {
        // SAFETY: ends the child at once, running nothing of the parent's.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: waits for the child just made.
    if unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) } != pid {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(())
}

/// A clone's timed receive after the original's armed `SO_RCVTIMEO` for the same timeout:
/// the clone shares it, one blocking call.
fn udp_recv_clone(row: &str) -> Setup {
    let socket = udp()?;
    let to = socket.addr()?;
    let first = later(PEER_DELAY, move || UdpSocket::new(IPFamily::IPv4)?.send(b"x", &to, 1.0).map_err(Into::into));
    socket.recv(40, 4.0)?;
    join(first)?;
    let clone = socket.try_clone()?;
    let peer = hello_later(PEER_DELAY, to)?;
    measure(row, || clone.recv(40, 4.0))?;
    join(peer)
}

/// A timed accept on a listener adopted from std, which another holder may share: made
/// non-blocking first, then the try → poll → retry path.
fn accept_adopted(row: &str) -> Setup {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let at = std_listener.local_addr()?.into();
    let server = TcpListener::try_from(std_listener)?;
    let client = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    let peer = later(PEER_DELAY, move || client.connect(&at).map(|()| client));
    measure(row, || server.accept(4.0))?;
    join(peer)
}

/// Runs `op` with a fresh [`Scratch`] (a directory for paths, an abstract name) for `row`.
fn with_scratch(row: &str, op: impl FnOnce(&Scratch) -> Setup) -> Setup {
    op(&Scratch::new(row)?)
}

/// Runs `op` on a Unix listener bound to an abstract name.
fn on_unix_listener<T, E: Outcome>(row: &str, op: impl FnOnce(&UnixListener) -> std::result::Result<T, E>) -> Setup {
    with_scratch(row, |s| {
        let server = UnixListener::bind(&s.name, 16)?;
        measure(row, || op(&server))
    })
}

/// Accepts with 4 s a peer that connects after `PEER_DELAY`.
fn unix_accept_later(row: &str) -> Setup {
    with_scratch(row, |s| {
        let server = UnixListener::bind(&s.path, 16)?;
        // The peer's socket exists before the region, so only the accepted one is new.
        let client = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)?;
        let at = socket2::SockAddr::unix(s.file())?;
        let peer = later(PEER_DELAY, move || client.connect(&at).map(|()| client));
        measure(row, || server.accept(4.0))?;
        join(peer)
    })
}

/// Connects with `timeout` to a listening path.
fn unix_connect_listening(row: &str, timeout: Timeout) -> Setup {
    with_scratch(row, |s| {
        let _server = UnixListener::bind(&s.path, 16)?;
        measure(row, || UnixStream::connect(&s.path, timeout))
    })
}

/// Connects with `timeout` to a listener whose queue is full (a backlog of 0, one
/// connection queued by the setup's one `connect`) until it makes room, `EINTR_PEER_DELAY`
/// later, by raising its backlog (a second `listen`, which wakes the waiting connect and
/// opens no descriptor, as an `accept` would).
fn unix_connect_full(row: &str, timeout: Timeout) -> Setup {
    with_scratch(row, |s| {
        let server = UnixListener::bind(&s.name, 0)?;
        let queued = UnixStream::connect(&s.name, INDEFINITE_TIMEOUT)?;
        let room = later(EINTR_PEER_DELAY, move || {
            socket2::SockRef::from(&server.try_as_fd().map_err(std::io::Error::from)?).listen(16).map(|()| server)
        });
        measure(row, || UnixStream::connect(&s.name, timeout))?;
        drop(queued);
        join(room)
    })
}

/// Runs `op` on one end of a stream pair (given a 16-byte buffer).
fn on_unix_pair<T, E: Outcome>(
    row: &str,
    op: impl FnOnce(&UnixStream, &mut [u8]) -> std::result::Result<T, E>,
) -> Setup {
    let (conn, _peer) = UnixStream::pair()?;
    let mut buf = [0; 16];
    measure(row, || op(&conn, &mut buf))
}

/// Runs `op` on one end of a stream pair whose other end sent "hello".
fn on_unix_hello<T, E: Outcome>(
    row: &str,
    op: impl FnOnce(&UnixStream, &mut [u8]) -> std::result::Result<T, E>,
) -> Setup {
    let (conn, peer) = UnixStream::pair()?;
    peer.send(b"hello", 1.0)?;
    let mut buf = [0; 16];
    measure(row, || op(&conn, &mut buf))
}

/// Receives with 4 s what the peer sends after `PEER_DELAY`.
fn unix_recv_later(row: &str) -> Setup {
    let (conn, peer) = UnixStream::pair()?;
    let peer = later(PEER_DELAY, move || peer.send(b"hello", 1.0).map(|_| peer).map_err(Into::into));
    measure(row, || conn.recv(&mut [0; 16], 4.0))?;
    join(peer)
}

/// Receives, with room for one, `sent` of three descriptors sent with "hello".
fn unix_recv_fds(row: &str, sent: usize) -> Setup {
    let (conn, peer) = UnixStream::pair()?;
    let files = [(); 3].map(|()| std::fs::File::open("/dev/null"));
    let files: Vec<_> = files.into_iter().collect::<std::io::Result<_>>()?;
    let fds: Vec<_> = files.iter().map(AsFd::as_fd).collect();
    peer.send_with_fds(b"hello", &fds[..sent], 1.0)?;
    drop(files);
    // Kept past the END marker, so the received descriptors count as opened.
    let mut kept = None;
    measure(row, || conn.recv_with_fds(&mut [0; 16], 1, 1.0).map(|got| kept = Some(got)))
}

/// Runs `op` on one end of a datagram pair whose other end sent `data` first (nothing when
/// empty).
fn on_unix_datagrams<T, E: Outcome>(
    row: &str,
    data: &[u8],
    op: impl FnOnce(&UnixDatagram) -> std::result::Result<T, E>,
) -> Setup {
    let (socket, peer) = UnixDatagram::pair()?;
    if !data.is_empty() {
        peer.send(data, 1.0)?;
    }
    measure(row, || op(&socket))
}

/// A Unix row's names: a socket path in a fresh directory of its own (removed afterwards),
/// and an abstract name no other run uses.
struct Scratch {
    dir: PathBuf,
    path: UnixAddr,
    name: UnixAddr,
}

impl Scratch {
    fn new(row: &str) -> std::result::Result<Scratch, Box<dyn std::error::Error>> {
        let tag = format!("{}-{}-{}", std::process::id(), row.replace('/', "_"), nanos());
        let dir = std::env::temp_dir().join(format!("chapel-driver-{tag}"));
        std::fs::create_dir_all(&dir)?;
        let path = UnixAddr::from_path(dir.join("s"))?;
        Ok(Scratch { dir, path, name: UnixAddr::from_abstract(format!("chapel-driver-{tag}"))? })
    }

    fn file(&self) -> &std::path::Path {
        self.path.as_pathname().expect("a path")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nanos() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
}

/// Sends with `send` (a zero timeout) until the buffers are full.
fn fill_with(mut send: impl FnMut(&[u8]) -> Result<usize>) -> Setup {
    let chunk = [0u8; 65536];
    for _ in 0..10_000 {
        match send(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Err("the buffers never filled".into())
}

/// Waits (in setup, with `poll`, not the crate's `ppoll`) until the urgent byte the peer
/// sent has arrived on `conn` (`POLLPRI`).
fn wait_urgent(conn: &TcpConn) -> Setup {
    let mut pfd = libc::pollfd { fd: conn.socket_fd(), events: libc::POLLPRI, revents: 0 };
    // SAFETY: one valid `pollfd` for the call.
    match unsafe { libc::poll(&mut pfd, 1, 4000) } {
        1 => Ok(()),
        _ => Err("the urgent byte never arrived".into()),
    }
}
