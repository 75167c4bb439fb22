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
//! `/proc/self/fd` changed across the operation. `syscall_driver --list` prints every row.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use chapel_socket::{
    INDEFINITE_TIMEOUT, IPFamily, IpAddr, Result, SO_BROADCAST, SO_LINGER, SOL_SOCKET, SockOptValue, TcpConn,
    TcpListener, Timeout, UdpSocket, UnixAddr, UnixDatagram, UnixListener, UnixStream, bind, connect, connect_host,
    get_peer_name, get_sock_name, get_sock_opt, get_sock_opt_bytes, listen, set_sock_opt,
};

/// Every row the driver can run, in the contract's order.
const ROWS: &[&str] = &[
    "listen",
    "listen/ipv6",
    "listen/in-use",
    "listen/socket-fails",
    "listen/bind-fails",
    "accept/queued",
    "accept/wait",
    "accept/indefinite",
    "accept/timeout",
    "accept/eintr",
    "accept/closed",
    "listener.addr",
    "listener.set_nagle",
    "listener.set_delay_ack",
    "listener.close",
    "listener.drop",
    "connect/indefinite",
    "connect/timeout",
    "connect/refused",
    "connect/refused-timeout",
    "connect/expired",
    "connect/eintr",
    "connect/socket-fails",
    "connect/connect-fails",
    "connect_host/numeric",
    "connect_host/numeric-service",
    "connect_host/localhost",
    "connect_host/bad-service",
    "conn.recv/ready",
    "conn.recv/wait",
    "conn.recv/timeout",
    "conn.recv/indefinite",
    "conn.recv/eintr",
    "conn.recv/eof",
    "conn.read",
    "conn.send/room",
    "conn.send/full",
    "conn.send/timeout",
    "conn.send/epipe",
    "conn.write",
    "conn.shutdown",
    "conn.addr",
    "conn.set_nagle",
    "conn.set_delay_ack",
    "conn.close",
    "conn.drop",
    "udp.new",
    "udp.new/ipv6",
    "udp.new/unspec",
    "udp.send",
    "udp.send/indefinite",
    "udp.send/wrong-family",
    "udp.recv/ready",
    "udp.recv/wait",
    "udp.recv/timeout",
    "udp.recv/indefinite",
    "udp.recv/eintr",
    "udp.recv/truncated",
    "udp.recv_into",
    "udp.recvfrom/ready",
    "udp.recvfrom/wait",
    "udp.recvfrom/timeout",
    "udp.recv_from_into",
    "udp.addr",
    "udp.close",
    "udp.drop",
    "bind",
    "bind/in-use",
    "set_sock_opt/int",
    "set_sock_opt/bytes",
    "set_sock_opt/null",
    "get_sock_opt/int",
    "get_sock_opt/bytes",
    "get_sock_opt/unknown",
    "get_peer_name",
    "get_peer_name/unconnected",
    "get_sock_name",
    "unix.bind/path",
    "unix.bind/abstract",
    "unix.bind/stale",
    "unix.bind/too-long",
    "unix.accept/queued",
    "unix.accept/wait",
    "unix.accept/timeout",
    "unix.accept/closed",
    "unix.connect/indefinite",
    "unix.connect/timeout",
    "unix.connect/refused",
    "unix.connect/no-file",
    "unix.pair",
    "unix.recv/ready",
    "unix.recv/wait",
    "unix.recv/timeout",
    "unix.read",
    "unix.send/room",
    "unix.send/timeout",
    "unix.send/epipe",
    "unix.write",
    "unix.shutdown",
    "unix.local_addr",
    "unix.peer_addr",
    "unix.peer_credentials",
    "unix.send_with_fds",
    "unix.recv_with_fds/ready",
    "unix.recv_with_fds/too-many",
    "unix.recv_with_fds/truncated",
    "unix.datagram.bind",
    "unix.datagram.unbound",
    "unix.datagram.pair",
    "unix.datagram.connect",
    "unix.datagram.send_to",
    "unix.datagram.send_to/refused",
    "unix.datagram.send",
    "unix.datagram.recv/ready",
    "unix.datagram.recv/timeout",
    "unix.datagram.recv/truncated",
    "unix.datagram.recv_from",
    "unix.listener.close",
    "unix.stream.drop",
    "unix.datagram.close",
];

/// How long a peer thread waits before it acts, so the operation has started waiting.
const PEER_DELAY: Duration = Duration::from_millis(100);
/// For the rows whose first poll gets an injected `EINTR` delayed by 200 ms: the peer acts
/// after that, so the second poll is the one that sees it.
const EINTR_PEER_DELAY: Duration = Duration::from_millis(300);

fn main() {
    let row = std::env::args().nth(1).unwrap_or_default();
    if row == "--list" {
        ROWS.iter().for_each(|r| println!("{r}"));
        return;
    }
    if let Err(e) = run(&row) {
        eprintln!("syscall_driver: {row}: setup failed: {e}");
        std::process::exit(2);
    }
}

type Setup = std::result::Result<(), Box<dyn std::error::Error>>;

fn run(row: &str) -> Setup {
    match row {
        "listen" | "listen/socket-fails" | "listen/bind-fails" => measure(row, || listen(&lo4(), true, 16)),
        "listen/ipv6" => measure(row, || listen(&"[::1]:0".parse()?, true, 16)),
        "listen/in-use" => {
            let holder = server()?;
            let taken = holder.addr()?;
            measure(row, || listen(&taken, true, 16));
        }
        "accept/queued" => {
            let server = server()?;
            let _client = TcpStream::connect(std::net::SocketAddr::from(server.addr()?))?;
            measure(row, || server.accept(1.0));
        }
        "accept/wait" | "accept/indefinite" | "accept/eintr" => {
            let server = server()?;
            // The peer's socket exists before the region, so only the accepted one is new.
            let at = std::net::SocketAddr::from(server.addr()?).into();
            let client = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
            let delay = if row == "accept/eintr" { EINTR_PEER_DELAY } else { PEER_DELAY };
            let peer = later(delay, move || client.connect(&at).map(|()| client));
            match row {
                "accept/wait" => measure(row, || server.accept(4.0)),
                "accept/eintr" => measure(row, || server.accept(1.0)),
                _ => measure(row, || server.accept(INDEFINITE_TIMEOUT)),
            }
            join(peer)?;
        }
        "accept/timeout" => {
            let server = server()?;
            measure(row, || server.accept(0.1));
        }
        "accept/closed" => {
            let mut server = server()?;
            server.close()?;
            measure(row, || server.accept(1.0));
        }
        "listener.addr" => {
            let server = server()?;
            measure(row, || server.addr());
        }
        "listener.set_nagle" => {
            let server = server()?;
            measure(row, || server.set_nagle(false));
        }
        "listener.set_delay_ack" => {
            let server = server()?;
            measure(row, || server.set_delay_ack(false));
        }
        "listener.close" => {
            let server = server()?;
            measure(row, || close_twice_then_drop(server, TcpListener::close));
        }
        "listener.drop" => {
            let server = server()?;
            measure(row, || dropped(server));
        }
        "connect/indefinite" | "connect/timeout" | "connect/eintr" | "connect/connect-fails" => {
            let server = server()?;
            let at = server.addr()?;
            let timeout = match row {
                "connect/timeout" => Timeout::from(4.0),
                "connect/eintr" => Timeout::from(1.0),
                _ => Timeout::INDEFINITE,
            };
            measure(row, || connect(&at, timeout));
        }
        "connect/refused" | "connect/socket-fails" => {
            let at = closed_port()?;
            measure(row, || connect(&at, INDEFINITE_TIMEOUT));
        }
        "connect/refused-timeout" => {
            let at = closed_port()?;
            measure(row, || connect(&at, 4.0));
        }
        "connect/expired" => {
            // A backlog of 0 holds one connection; with it queued, the kernel drops the SYNs
            // of the next, so that connect can only time out. The second setup connect makes
            // sure the queue is full before the measured one.
            let full = listen(&lo4(), true, 0)?;
            let at = full.addr()?;
            let _queued = connect(&at, 1.0)?;
            let _dropped = connect(&at, 0.05);
            measure(row, || connect(&at, 0.2));
        }
        "connect_host/numeric" => {
            let server = server()?;
            let port = server.addr()?.port();
            measure(row, || connect_host("127.0.0.1", port, IPFamily::IPv4, 4.0));
        }
        "connect_host/numeric-service" | "connect_host/localhost" => {
            let server = server()?;
            let port = server.addr()?.port().to_string();
            let host = if row == "connect_host/localhost" { "localhost" } else { "127.0.0.1" };
            measure(row, || connect_host(host, &port, IPFamily::IPv4, 4.0));
        }
        "connect_host/bad-service" => {
            measure(row, || connect_host("127.0.0.1", "no-such-service", IPFamily::IPv4, 4.0));
        }
        "conn.recv/ready" | "conn.read" | "conn.recv/eof" => {
            let (conn, mut peer) = pair()?;
            if row == "conn.recv/eof" {
                peer.shutdown(Shutdown::Write)?;
            } else {
                peer.write_all(b"hello")?;
            }
            let mut buf = [0; 16];
            match row {
                "conn.read" => measure(row, || (&conn).read(&mut buf)),
                _ => measure(row, || conn.recv(&mut buf, 1.0)),
            }
        }
        "conn.recv/wait" | "conn.recv/indefinite" | "conn.recv/eintr" => {
            let (conn, mut peer) = pair()?;
            let delay = if row == "conn.recv/eintr" { EINTR_PEER_DELAY } else { PEER_DELAY };
            let peer = later(delay, move || peer.write_all(b"hello").map(|()| peer));
            let mut buf = [0; 16];
            match row {
                "conn.recv/wait" => measure(row, || conn.recv(&mut buf, 4.0)),
                "conn.recv/eintr" => measure(row, || conn.recv(&mut buf, 1.0)),
                _ => measure(row, || conn.recv(&mut buf, INDEFINITE_TIMEOUT)),
            }
            join(peer)?;
        }
        "conn.recv/timeout" => {
            let (conn, _peer) = pair()?;
            measure(row, || conn.recv(&mut [0; 16], 0.1));
        }
        "conn.send/room" | "conn.write" | "conn.send/epipe" => {
            let (conn, _peer) = pair()?;
            if row == "conn.send/epipe" {
                conn.shutdown(Shutdown::Write)?;
            }
            match row {
                "conn.write" => measure(row, || (&conn).write(b"hello")),
                _ => measure(row, || conn.send(b"hello", 1.0)),
            }
        }
        "conn.send/full" => {
            let (conn, mut peer) = pair()?;
            fill(&conn)?;
            let drain = later(PEER_DELAY, move || drain(&mut peer).map(|()| peer));
            measure(row, || conn.send(&[7; 64], 4.0));
            join(drain)?;
        }
        "conn.send/timeout" => {
            let (conn, _peer) = pair()?;
            fill(&conn)?;
            measure(row, || conn.send(&[7; 64], 0.1));
        }
        "conn.shutdown" => {
            let (conn, _peer) = pair()?;
            measure(row, || conn.shutdown(Shutdown::Write));
        }
        "conn.addr" => {
            let (conn, _peer) = pair()?;
            measure(row, || conn.addr());
        }
        "conn.set_nagle" => {
            let (conn, _peer) = pair()?;
            measure(row, || conn.set_nagle(false));
        }
        "conn.set_delay_ack" => {
            let (conn, _peer) = pair()?;
            measure(row, || conn.set_delay_ack(false));
        }
        "conn.close" => {
            let (conn, _peer) = pair()?;
            measure(row, || close_twice_then_drop(conn, TcpConn::close));
        }
        "conn.drop" => {
            let (conn, _peer) = pair()?;
            measure(row, || dropped(conn));
        }
        "udp.new" => measure(row, || UdpSocket::new(IPFamily::IPv4)),
        "udp.new/ipv6" => measure(row, || UdpSocket::new(IPFamily::IPv6)),
        "udp.new/unspec" => measure(row, || UdpSocket::new(IPFamily::IPUnspec)),
        "udp.send" | "udp.send/indefinite" | "udp.send/wrong-family" => {
            let (sender, receiver) = (UdpSocket::new(IPFamily::IPv4)?, udp()?);
            let to = if row == "udp.send/wrong-family" { "[::1]:9".parse()? } else { receiver.addr()? };
            match row {
                "udp.send/indefinite" => measure(row, || sender.send(b"hello", &to, INDEFINITE_TIMEOUT)),
                _ => measure(row, || sender.send(b"hello", &to, 1.0)),
            }
        }
        "udp.recv/ready" | "udp.recv/truncated" | "udp.recv_into" | "udp.recvfrom/ready" | "udp.recv_from_into" => {
            let socket = udp()?;
            let data: &[u8] = if row == "udp.recv/truncated" { b"0123456789" } else { b"hello" };
            UdpSocket::new(IPFamily::IPv4)?.send(data, &socket.addr()?, 1.0)?;
            let mut buf = [0; 40];
            match row {
                "udp.recv/truncated" => measure(row, || socket.recv(4, 1.0)),
                "udp.recv_into" => measure(row, || socket.recv_into(&mut buf, 1.0)),
                "udp.recvfrom/ready" => measure(row, || socket.recvfrom(40, 1.0, libc::MSG_PEEK)),
                "udp.recv_from_into" => measure(row, || socket.recv_from_into(&mut buf, 1.0, 0)),
                _ => measure(row, || socket.recv(40, 1.0)),
            }
        }
        "udp.recv/wait" | "udp.recv/indefinite" | "udp.recv/eintr" | "udp.recvfrom/wait" => {
            let socket = udp()?;
            let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, socket.addr()?);
            let delay = if row == "udp.recv/eintr" { EINTR_PEER_DELAY } else { PEER_DELAY };
            let peer = later(delay, move || sender.send(b"hello", &to, 1.0).map(|_| sender).map_err(Into::into));
            match row {
                "udp.recv/wait" => measure(row, || socket.recv(40, 4.0)),
                "udp.recv/eintr" => measure(row, || socket.recv(40, 1.0)),
                "udp.recvfrom/wait" => measure(row, || socket.recvfrom(40, 4.0, 0)),
                _ => measure(row, || socket.recv(40, INDEFINITE_TIMEOUT)),
            }
            join(peer)?;
        }
        "udp.recv/timeout" => {
            let socket = udp()?;
            measure(row, || socket.recv(40, 0.1));
        }
        "udp.recvfrom/timeout" => {
            let socket = udp()?;
            measure(row, || socket.recvfrom(40, 0.1, 0));
        }
        "udp.addr" => {
            let socket = udp()?;
            measure(row, || socket.addr());
        }
        "udp.close" => {
            let socket = udp()?;
            measure(row, || close_twice_then_drop(socket, UdpSocket::close));
        }
        "udp.drop" => {
            let socket = udp()?;
            measure(row, || dropped(socket));
        }
        "bind" => {
            let socket = UdpSocket::new(IPFamily::IPv4)?;
            measure(row, || bind(&socket, &lo4(), true));
        }
        "bind/in-use" => {
            let (taken, socket) = (udp()?, UdpSocket::new(IPFamily::IPv4)?);
            let at = taken.addr()?;
            measure(row, || bind(&socket, &at, false));
        }
        "set_sock_opt/int" | "set_sock_opt/bytes" | "set_sock_opt/null" => {
            let socket = udp()?;
            // struct linger { l_onoff: 1, l_linger: 0 }
            let linger = [1i32.to_ne_bytes(), 0i32.to_ne_bytes()].concat();
            let (name, value) = match row {
                "set_sock_opt/int" => (SO_BROADCAST, SockOptValue::Int(1)),
                "set_sock_opt/bytes" => (SO_LINGER, SockOptValue::Bytes(&linger)),
                _ => (SO_BROADCAST, SockOptValue::Null(4)),
            };
            measure(row, || set_sock_opt(&socket, SOL_SOCKET, name, value));
        }
        "get_sock_opt/int" => {
            let socket = udp()?;
            measure(row, || get_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST));
        }
        "get_sock_opt/bytes" => {
            let socket = udp()?;
            measure(row, || get_sock_opt_bytes(&socket, SOL_SOCKET, SO_LINGER, 64));
        }
        "get_sock_opt/unknown" => {
            let socket = udp()?;
            measure(row, || get_sock_opt(&socket, SOL_SOCKET, 9999));
        }
        "get_peer_name" => {
            let (conn, _peer) = pair()?;
            measure(row, || get_peer_name(&conn));
        }
        "get_peer_name/unconnected" => {
            let fresh = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
            let conn = TcpConn::from(OwnedFd::from(fresh));
            measure(row, || get_peer_name(&conn));
        }
        "get_sock_name" => {
            let server = server()?;
            measure(row, || get_sock_name(&server));
        }
        row if row.starts_with("unix.") => run_unix(row)?,
        _ => return Err(format!("no such row (see --list): {row:?}").into()),
    }
    Ok(())
}

/// The Unix-domain rows.
fn run_unix(row: &str) -> Setup {
    let scratch = Scratch::new(row)?;
    match row {
        "unix.bind/path" => measure(row, || UnixListener::bind(&scratch.path, 16)),
        "unix.bind/abstract" => measure(row, || UnixListener::bind(&scratch.name, 16)),
        "unix.bind/stale" => {
            // A listener bound the path and closed: its socket file stays behind.
            drop(UnixListener::bind(&scratch.path, 16)?);
            measure(row, || UnixListener::bind(&scratch.path, 16));
        }
        "unix.bind/too-long" => {
            let long = scratch.dir.join("x".repeat(200));
            measure(row, || UnixAddr::from_path(&long).and_then(|a| UnixListener::bind(&a, 16)));
        }
        "unix.accept/queued" => {
            let server = UnixListener::bind(&scratch.path, 16)?;
            let _client = std::os::unix::net::UnixStream::connect(scratch.file())?;
            measure(row, || server.accept(1.0));
        }
        "unix.accept/wait" => {
            let server = UnixListener::bind(&scratch.path, 16)?;
            // The peer's socket exists before the region, so only the accepted one is new.
            let client = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)?;
            let at = socket2::SockAddr::unix(scratch.file())?;
            let peer = later(PEER_DELAY, move || client.connect(&at).map(|()| client));
            measure(row, || server.accept(4.0));
            join(peer)?;
        }
        "unix.accept/timeout" => {
            let server = UnixListener::bind(&scratch.name, 16)?;
            measure(row, || server.accept(0.1));
        }
        "unix.accept/closed" => {
            let mut server = UnixListener::bind(&scratch.name, 16)?;
            server.close()?;
            measure(row, || server.accept(1.0));
        }
        "unix.connect/indefinite" | "unix.connect/timeout" => {
            let _server = UnixListener::bind(&scratch.path, 16)?;
            let timeout = if row == "unix.connect/timeout" { Timeout::from(4.0) } else { Timeout::INDEFINITE };
            measure(row, || UnixStream::connect(&scratch.path, timeout));
        }
        "unix.connect/refused" => measure(row, || UnixStream::connect(&scratch.name, INDEFINITE_TIMEOUT)),
        "unix.connect/no-file" => measure(row, || UnixStream::connect(&scratch.path, INDEFINITE_TIMEOUT)),
        "unix.pair" => measure(row, UnixStream::pair),
        "unix.recv/ready" | "unix.read" => {
            let (conn, peer) = UnixStream::pair()?;
            peer.send(b"hello", 1.0)?;
            let mut buf = [0; 16];
            match row {
                "unix.read" => measure(row, || (&conn).read(&mut buf)),
                _ => measure(row, || conn.recv(&mut buf, 1.0)),
            }
        }
        "unix.recv/wait" => {
            let (conn, peer) = UnixStream::pair()?;
            let peer = later(PEER_DELAY, move || peer.send(b"hello", 1.0).map(|_| peer).map_err(Into::into));
            measure(row, || conn.recv(&mut [0; 16], 4.0));
            join(peer)?;
        }
        "unix.recv/timeout" => {
            let (conn, _peer) = UnixStream::pair()?;
            measure(row, || conn.recv(&mut [0; 16], 0.1));
        }
        "unix.send/room" | "unix.write" | "unix.send/epipe" => {
            let (conn, peer) = UnixStream::pair()?;
            if row == "unix.send/epipe" {
                drop(peer);
                measure(row, || conn.send(b"hello", 1.0));
            } else if row == "unix.write" {
                measure(row, || (&conn).write(b"hello"));
            } else {
                measure(row, || conn.send(b"hello", 1.0));
            }
        }
        "unix.send/timeout" => {
            let (conn, _peer) = UnixStream::pair()?;
            fill_with(|chunk| conn.send(chunk, 0.0))?;
            measure(row, || conn.send(&[7; 64], 0.1));
        }
        "unix.shutdown" => {
            let (conn, _peer) = UnixStream::pair()?;
            measure(row, || conn.shutdown(Shutdown::Write));
        }
        "unix.local_addr" => {
            let server = UnixListener::bind(&scratch.name, 16)?;
            measure(row, || server.local_addr());
        }
        "unix.peer_addr" => {
            let _server = UnixListener::bind(&scratch.name, 16)?;
            let conn = UnixStream::connect(&scratch.name, INDEFINITE_TIMEOUT)?;
            measure(row, || conn.peer_addr());
        }
        "unix.peer_credentials" => {
            let (conn, _peer) = UnixStream::pair()?;
            measure(row, || conn.peer_credentials());
        }
        "unix.send_with_fds" => {
            let (conn, _peer) = UnixStream::pair()?;
            let file = std::fs::File::open("/dev/null")?;
            measure(row, || conn.send_with_fds(b"hello", &[file.as_fd()], 1.0));
        }
        "unix.recv_with_fds/ready" | "unix.recv_with_fds/too-many" => {
            let (conn, peer) = UnixStream::pair()?;
            let files = [(); 3].map(|()| std::fs::File::open("/dev/null"));
            let files: Vec<_> = files.into_iter().collect::<std::io::Result<_>>()?;
            let fds: Vec<_> = files.iter().map(AsFd::as_fd).collect();
            let sent = if row == "unix.recv_with_fds/ready" { &fds[..1] } else { &fds[..] };
            peer.send_with_fds(b"hello", sent, 1.0)?;
            drop(files);
            // Kept past the END marker, so the received descriptors count as opened.
            let mut kept = None;
            measure(row, || conn.recv_with_fds(&mut [0; 16], 1, 1.0).map(|got| kept = Some(got)));
        }
        "unix.recv_with_fds/truncated" => {
            let (socket, peer) = UnixDatagram::pair()?;
            let files = [std::fs::File::open("/dev/null")?, std::fs::File::open("/dev/null")?];
            peer.send_with_fds(b"0123456789", &[files[0].as_fd(), files[1].as_fd()], None, 1.0)?;
            drop(files);
            measure(row, || socket.recv_with_fds(&mut [0; 4], 2, 1.0));
        }
        "unix.datagram.bind" => measure(row, || UnixDatagram::bind(&scratch.name)),
        "unix.datagram.unbound" => measure(row, UnixDatagram::unbound),
        "unix.datagram.pair" => measure(row, UnixDatagram::pair),
        "unix.datagram.connect" => {
            let _server = UnixDatagram::bind(&scratch.name)?;
            let socket = UnixDatagram::unbound()?;
            measure(row, || socket.connect(&scratch.name));
        }
        "unix.datagram.send_to" | "unix.datagram.send_to/refused" => {
            let socket = UnixDatagram::unbound()?;
            let _server = if row == "unix.datagram.send_to" { Some(UnixDatagram::bind(&scratch.name)?) } else { None };
            measure(row, || socket.send_to(b"hello", &scratch.name, 1.0));
        }
        "unix.datagram.send" => {
            let (socket, _peer) = UnixDatagram::pair()?;
            measure(row, || socket.send(b"hello", 1.0));
        }
        "unix.datagram.recv/ready" | "unix.datagram.recv/truncated" | "unix.datagram.recv_from" => {
            let (socket, peer) = UnixDatagram::pair()?;
            let data: &[u8] = if row == "unix.datagram.recv/truncated" { b"0123456789" } else { b"hello" };
            peer.send(data, 1.0)?;
            match row {
                "unix.datagram.recv/truncated" => measure(row, || socket.recv(&mut [0; 4], 1.0)),
                "unix.datagram.recv_from" => measure(row, || socket.recv_from(&mut [0; 40], 1.0)),
                _ => measure(row, || socket.recv(&mut [0; 40], 1.0)),
            }
        }
        "unix.datagram.recv/timeout" => {
            let (socket, _peer) = UnixDatagram::pair()?;
            measure(row, || socket.recv(&mut [0; 40], 0.1));
        }
        "unix.listener.close" => {
            let server = UnixListener::bind(&scratch.path, 16)?;
            measure(row, || close_twice_then_drop(server, UnixListener::close));
        }
        "unix.stream.drop" => {
            let (conn, _peer) = UnixStream::pair()?;
            measure(row, || dropped(conn));
        }
        "unix.datagram.close" => {
            let socket = UnixDatagram::unbound()?;
            measure(row, || close_twice_then_drop(socket, UnixDatagram::close));
        }
        _ => return Err(format!("no such row (see --list): {row:?}").into()),
    }
    Ok(())
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

/// Runs `op` between the markers and reports its outcome and the change in open
/// descriptors. The result is dropped only after the END marker, so a drop's `close` is
/// not counted as the operation's.
fn measure<T, E: Outcome>(row: &str, op: impl FnOnce() -> std::result::Result<T, E>) {
    let (begin, end) = (format!("BEGIN {row}"), format!("END {row}"));
    let before = open_fds();
    marker(&begin);
    let result = op();
    marker(&end);
    let after = open_fds();
    match &result {
        Ok(_) => println!("outcome ok"),
        Err(e) => println!("outcome {}", e.outcome()),
    }
    println!("fds {:+}", after as i64 - before as i64);
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
