//! The workloads on `socket2`, both ends, as a `socket2` user writes them (its receives take
//! `MaybeUninit` buffers; replies are sent from the program's own buffer), in `shared`'s shapes.
//! Timeouts as in `stdnet`: `set_read_timeout` before each receive, or once.

use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddr};

use socket2::{Domain, SockAddr, Socket, Type};

use crate::shared::{self, Workloads};
use crate::workload::{TIMEOUT, UDP_SIZE, Workload, datagram};

pub struct Socket2;

fn loopback() -> SockAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into()
}

fn listener() -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&loopback())?;
    socket.listen(128)?;
    Ok(socket)
}

fn stream_to(to: &SockAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.connect(to)?;
    Ok(socket)
}

fn udp_socket() -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    socket.bind(&loopback())?;
    Ok(socket)
}

impl Workloads for Socket2 {
    fn tcp(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        let server = listener()?;
        let to = server.local_addr()?;
        let accept = || server.accept().map(|(conn, _)| conn);
        let dial = || stream_to(&to);
        match w {
            Workload::TcpBulk => shared::tcp_bulk(w, n, accept, dial),
            _ => shared::tcp_rr(w, n, accept, dial, |conn| conn.set_nodelay(true)),
        }
    }

    /// As in `stdnet`: `UdpRrFixed` and `UdpRrAdopted` run the same code.
    fn udp_rr(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        let (server, client) = (udp_socket()?, udp_socket()?);
        let to = server.local_addr()?;
        let per_call = w == Workload::UdpRrPerCall;
        if !per_call {
            server.set_read_timeout(Some(TIMEOUT))?;
            client.set_read_timeout(Some(TIMEOUT))?;
        }
        let per_call_timeout = |socket: &Socket| if per_call { socket.set_read_timeout(Some(TIMEOUT)) } else { Ok(()) };
        let (mut echo_buf, reply, mut buf) =
            ([MaybeUninit::uninit(); UDP_SIZE], [7; UDP_SIZE], [MaybeUninit::uninit(); UDP_SIZE]);
        shared::udp_rr(
            w,
            n,
            || {
                per_call_timeout(&server)?;
                let (len, from) = server.recv_from(&mut echo_buf)?;
                server.send_to(&reply[..len], &from)
            },
            |req| client.send_to(req, &to),
            || {
                per_call_timeout(&client)?;
                client.recv(&mut buf)
            },
        )
    }

    /// As in `stdnet`: each server thread sets `SO_RCVTIMEO` before its blocking receive.
    fn udp_rr_shared(n: usize) -> io::Result<Vec<f64>> {
        let (server, client) = (udp_socket()?, udp_socket()?);
        let to = server.local_addr()?;
        let (reply, mut buf) = ([7; UDP_SIZE], [MaybeUninit::uninit(); UDP_SIZE]);
        shared::udp_rr_shared(
            n,
            || {
                let mut echo_buf = [MaybeUninit::uninit(); UDP_SIZE];
                server.set_read_timeout(Some(TIMEOUT))?;
                let (len, from) = server.recv_from(&mut echo_buf)?;
                if len != UDP_SIZE {
                    return Ok(false);
                }
                server.send_to(&reply[..len], &from)?;
                Ok(true)
            },
            |req| client.send_to(req, &to),
            || {
                client.set_read_timeout(Some(TIMEOUT))?;
                client.recv(&mut buf)
            },
            |stop| client.send_to(stop, &to),
        )
    }

    fn udp_oneway(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, sender) = (udp_socket()?, udp_socket()?);
        let (to, back) = (receiver.local_addr()?, sender.local_addr()?);
        sender.set_read_timeout(Some(TIMEOUT))?;
        let (mut ack, mut buf) = ([MaybeUninit::uninit(); 8], [MaybeUninit::uninit(); UDP_SIZE]);
        shared::udp_oneway(
            n,
            |dgram| sender.send_to(dgram, &to),
            || sender.recv(&mut ack),
            || receiver.recv(&mut buf),
            |a| receiver.send_to(a, &back),
        )
    }

    /// As in `stdnet`: the go signal and the acks wait with a fixed timeout; each timed receive
    /// sets its own.
    fn udp_burst(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, go, sender) = (udp_socket()?, udp_socket()?, udp_socket()?);
        let (to, go_to, back) = (receiver.local_addr()?, go.local_addr()?, sender.local_addr()?);
        go.set_read_timeout(Some(TIMEOUT))?;
        sender.set_read_timeout(Some(TIMEOUT))?;
        let (mut ack, mut go_buf, mut buf) =
            ([MaybeUninit::uninit(); 8], [MaybeUninit::uninit(); UDP_SIZE], [MaybeUninit::uninit(); UDP_SIZE]);
        shared::udp_burst(
            n,
            |dgram| sender.send_to(dgram, &to),
            |g| sender.send_to(g, &go_to),
            || sender.recv(&mut ack),
            || go.recv(&mut go_buf),
            || {
                receiver.set_read_timeout(Some(TIMEOUT))?;
                receiver.recv(&mut buf)
            },
            |a| receiver.send_to(a, &back),
        )
    }

    /// As in `stdnet`: 128 `send_to`s queue, one `recv` per datagram drains; every wait has
    /// the fixed 2 s timeout, set once per socket.
    fn udp_batch_recv(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, go, sender) = (udp_socket()?, udp_socket()?, udp_socket()?);
        let (to, go_to, back) = (receiver.local_addr()?, go.local_addr()?, sender.local_addr()?);
        for socket in [&receiver, &go, &sender] {
            socket.set_read_timeout(Some(TIMEOUT))?;
        }
        let dgram = [0; UDP_SIZE];
        let (mut ack, mut go_buf, mut buf) =
            ([MaybeUninit::uninit(); 8], [MaybeUninit::uninit(); UDP_SIZE], [MaybeUninit::uninit(); UDP_SIZE]);
        shared::udp_batch_recv(
            n,
            |count| {
                for _ in 0..count {
                    sender.send_to(&dgram, &to)?;
                }
                Ok(count)
            },
            |g| sender.send_to(g, &go_to),
            || sender.recv(&mut ack),
            || go.recv(&mut go_buf),
            || {
                datagram(receiver.recv(&mut buf)?)?;
                Ok(1)
            },
            |a| receiver.send_to(a, &back),
        )
    }

    /// A socket file in the temp directory (socket2 0.5 makes no abstract names), removed
    /// afterwards.
    fn unix(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        let path = std::env::temp_dir().join(shared::unix_name("socket2"));
        let at = SockAddr::unix(&path)?;
        let server = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        server.bind(&at)?;
        server.listen(128)?;
        let accept = || server.accept().map(|(conn, _)| conn);
        let dial = || {
            let conn = Socket::new(Domain::UNIX, Type::STREAM, None)?;
            conn.connect(&at)?;
            Ok(conn)
        };
        let samples = match w {
            Workload::UnixBulk => shared::tcp_bulk(w, n, accept, dial),
            _ => shared::tcp_rr(w, n, accept, dial, |_| Ok(())),
        };
        let _ = std::fs::remove_file(&path);
        samples
    }

    fn connect_accept_close(n: usize) -> io::Result<Vec<f64>> {
        let server = listener()?;
        let to = server.local_addr()?;
        shared::connect_accept_close(
            n,
            || server.accept().map(drop),
            || {
                let conn = Socket::new(Domain::IPV4, Type::STREAM, None)?;
                conn.connect_timeout(&to, TIMEOUT)?;
                Ok(conn)
            },
            |conn| {
                drop(conn);
                Ok(())
            },
        )
    }
}
