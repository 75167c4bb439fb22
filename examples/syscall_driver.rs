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
use std::os::fd::OwnedFd;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use chapel_socket::{
    INDEFINITE_TIMEOUT, IPFamily, IpAddr, Result, SO_BROADCAST, SO_LINGER, SOL_SOCKET, SockOptValue, TcpConn,
    TcpListener, Timeout, UdpSocket, bind, connect, connect_host, get_peer_name, get_sock_name, get_sock_opt,
    get_sock_opt_bytes, listen, set_sock_opt,
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
    "udp.recv_msg/ready",
    "udp.recv_msg/timeout",
    "udp.recv_msg/indefinite",
    "udp.send_msg",
    "udp.send_msg/unsendable",
    "udp.recv_batch/ready",
    "udp.recv_batch/wait",
    "udp.recv_batch/timeout",
    "udp.recv_batch/indefinite",
    "udp.send_batch",
    "udp.send_batch/over-max",
    "udp.send_batch/empty",
    "udp.set_recv_pktinfo",
    "udp.set_recv_pktinfo/ipv6",
    "udp.set_recv_ttl",
    "udp.set_recv_tos",
    "udp.set_recv_timestamp",
    "udp.set_gro",
    "udp.set_gro/unsupported",
    "udp.set_segment_size",
    "udp.segment_size",
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
        row if row.starts_with("udp.") && message_row(row)? => {}
        _ => return Err(format!("no such row (see --list): {row:?}").into()),
    }
    Ok(())
}

/// The message and batch rows (`UdpSocket::recv_msg` … UDP segmentation offload); `false`
/// when `row` is not one of them.
fn message_row(row: &str) -> std::result::Result<bool, Box<dyn std::error::Error>> {
    use chapel_socket::{ControlMessage, RecvBatch, SendMsg};
    match row {
        "udp.recv_msg/ready" => {
            let socket = udp()?;
            UdpSocket::new(IPFamily::IPv4)?.send(b"hello", &socket.addr()?, 1.0)?;
            let (mut buf, mut control) = ([0; 40], [0; 64]);
            measure(row, || socket.recv_msg(&mut buf, &mut control, 1.0));
        }
        "udp.recv_msg/timeout" => {
            let socket = udp()?;
            measure(row, || socket.recv_msg(&mut [0; 40], &mut [0; 64], 0.1));
        }
        "udp.recv_msg/indefinite" => {
            let socket = udp()?;
            let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, socket.addr()?);
            let peer = later(PEER_DELAY, move || sender.send(b"hello", &to, 1.0).map(|_| sender).map_err(Into::into));
            measure(row, || socket.recv_msg(&mut [0; 40], &mut [0; 64], INDEFINITE_TIMEOUT));
            join(peer)?;
        }
        "udp.send_msg" | "udp.send_msg/unsendable" => {
            let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, udp()?.addr()?);
            let control = match row {
                "udp.send_msg" => ControlMessage::Ttl(3),
                _ => ControlMessage::Timestamp(std::time::SystemTime::now()),
            };
            measure(row, || sender.send_msg(b"hello", &to, &[control], 1.0));
        }
        "udp.recv_batch/ready" => {
            let socket = udp()?;
            let to = socket.addr()?;
            UdpSocket::new(IPFamily::IPv4)?.send_batch(&[SendMsg::new(b"a", to); 3], 1.0)?;
            let mut batch = RecvBatch::new(32, 40)?;
            measure(row, || socket.recv_batch(&mut batch, 1.0));
        }
        "udp.recv_batch/wait" | "udp.recv_batch/indefinite" => {
            let socket = udp()?;
            let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, socket.addr()?);
            let peer = later(PEER_DELAY, move || {
                sender.send_batch(&[SendMsg::new(b"a", to); 3], 1.0).map(|_| sender).map_err(Into::into)
            });
            let mut batch = RecvBatch::new(32, 40)?;
            match row {
                "udp.recv_batch/wait" => measure(row, || socket.recv_batch(&mut batch, 4.0)),
                _ => measure(row, || socket.recv_batch(&mut batch, INDEFINITE_TIMEOUT)),
            }
            join(peer)?;
        }
        "udp.recv_batch/timeout" => {
            let socket = udp()?;
            let mut batch = RecvBatch::new(32, 40)?;
            measure(row, || socket.recv_batch(&mut batch, 0.1));
        }
        "udp.send_batch" | "udp.send_batch/over-max" | "udp.send_batch/empty" => {
            let (sender, to) = (UdpSocket::new(IPFamily::IPv4)?, udp()?.addr()?);
            let count = match row {
                "udp.send_batch" => 3,
                "udp.send_batch/over-max" => 70,
                _ => 0,
            };
            let msgs = vec![SendMsg::new(b"a", to); count];
            measure(row, || sender.send_batch(&msgs, 1.0));
        }
        "udp.set_recv_pktinfo" | "udp.set_recv_ttl" | "udp.set_recv_tos" | "udp.set_recv_timestamp" => {
            let socket = udp()?;
            match row {
                "udp.set_recv_pktinfo" => measure(row, || socket.set_recv_pktinfo(true)),
                "udp.set_recv_ttl" => measure(row, || socket.set_recv_ttl(true)),
                "udp.set_recv_tos" => measure(row, || socket.set_recv_tos(true)),
                _ => measure(row, || socket.set_recv_timestamp(true)),
            }
        }
        "udp.set_recv_pktinfo/ipv6" => {
            let socket = UdpSocket::new(IPFamily::IPv6)?;
            measure(row, || socket.set_recv_pktinfo(true));
        }
        "udp.set_gro" | "udp.set_gro/unsupported" => {
            let socket = udp()?;
            measure(row, || socket.set_gro(true));
        }
        "udp.set_segment_size" => {
            let socket = udp()?;
            measure(row, || socket.set_segment_size(1200));
        }
        "udp.segment_size" => {
            let socket = udp()?;
            measure(row, || socket.segment_size());
        }
        _ => return Ok(false),
    }
    Ok(true)
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
