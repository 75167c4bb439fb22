//! The workloads on `std::net`, both ends: its calls in `shared`'s shapes. A per-call receive
//! timeout is `set_read_timeout` (`SO_RCVTIMEO`) before each receive; a fixed one is set once.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};

use crate::shared::{self, Workloads};
use crate::workload::{TIMEOUT, UDP_SIZE, Workload, datagram};

pub struct StdNet;

const LOOPBACK: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

impl Workloads for StdNet {
    fn tcp(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        let server = TcpListener::bind(LOOPBACK)?;
        let to = server.local_addr()?;
        let accept = || server.accept().map(|(conn, _)| conn);
        let dial = || TcpStream::connect(to);
        match w {
            Workload::TcpBulk => shared::tcp_bulk(w, n, accept, dial),
            _ => shared::tcp_rr(w, n, accept, dial, |conn| conn.set_nodelay(true)),
        }
    }

    /// `UdpRrFixed` and `UdpRrAdopted` (std's sockets are its own either way) run the same
    /// code: `set_read_timeout` once.
    fn udp_rr(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        let (server, client) = (UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?);
        let to = server.local_addr()?;
        let per_call = w == Workload::UdpRrPerCall;
        if !per_call {
            server.set_read_timeout(Some(TIMEOUT))?;
            client.set_read_timeout(Some(TIMEOUT))?;
        }
        let per_call_timeout =
            |socket: &UdpSocket| if per_call { socket.set_read_timeout(Some(TIMEOUT)) } else { Ok(()) };
        let (mut echo_buf, mut buf) = ([0; UDP_SIZE], [0; UDP_SIZE]);
        shared::udp_rr(
            w,
            n,
            || {
                per_call_timeout(&server)?;
                let (len, from) = server.recv_from(&mut echo_buf)?;
                server.send_to(&echo_buf[..len], from)
            },
            |req| client.send_to(req, to),
            || {
                per_call_timeout(&client)?;
                client.recv(&mut buf)
            },
        )
    }

    /// Per-call timeouts as in `UdpRrPerCall`: each server thread sets the socket's
    /// `SO_RCVTIMEO` before its blocking receive (both set the same value, so neither changes
    /// the other's wait).
    fn udp_rr_shared(n: usize) -> io::Result<Vec<f64>> {
        let (server, client) = (UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?);
        let to = server.local_addr()?;
        let mut buf = [0; UDP_SIZE];
        shared::udp_rr_shared(
            n,
            || {
                let mut echo_buf = [0; UDP_SIZE];
                server.set_read_timeout(Some(TIMEOUT))?;
                let (len, from) = server.recv_from(&mut echo_buf)?;
                if len != UDP_SIZE {
                    return Ok(false);
                }
                server.send_to(&echo_buf[..len], from)?;
                Ok(true)
            },
            |req| client.send_to(req, to),
            || {
                client.set_read_timeout(Some(TIMEOUT))?;
                client.recv(&mut buf)
            },
            |stop| client.send_to(stop, to),
        )
    }

    fn udp_oneway(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, sender) = (UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?);
        let (to, back) = (receiver.local_addr()?, sender.local_addr()?);
        sender.set_read_timeout(Some(TIMEOUT))?;
        let (mut ack, mut buf) = ([0; 8], [0; UDP_SIZE]);
        shared::udp_oneway(
            n,
            |dgram| sender.send_to(dgram, to),
            || sender.recv(&mut ack),
            || receiver.recv(&mut buf),
            |a| receiver.send_to(a, back),
        )
    }

    /// The go signal and the acks wait with a fixed timeout; each timed receive sets its own.
    fn udp_burst(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, go, sender) =
            (UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?);
        let (to, go_to, back) = (receiver.local_addr()?, go.local_addr()?, sender.local_addr()?);
        go.set_read_timeout(Some(TIMEOUT))?;
        sender.set_read_timeout(Some(TIMEOUT))?;
        let (mut ack, mut go_buf, mut buf) = ([0; 8], [0; UDP_SIZE], [0; UDP_SIZE]);
        shared::udp_burst(
            n,
            |dgram| sender.send_to(dgram, to),
            |g| sender.send_to(g, go_to),
            || sender.recv(&mut ack),
            || go.recv(&mut go_buf),
            || {
                receiver.set_read_timeout(Some(TIMEOUT))?;
                receiver.recv(&mut buf)
            },
            |a| receiver.send_to(a, back),
        )
    }

    /// No batch calls: 128 `send_to`s queue, then one `recv` per datagram, the one-at-a-time
    /// receive; every wait has the fixed 2 s timeout, set once per socket.
    fn udp_batch_recv(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, go, sender) =
            (UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?);
        let (to, go_to, back) = (receiver.local_addr()?, go.local_addr()?, sender.local_addr()?);
        for socket in [&receiver, &go, &sender] {
            socket.set_read_timeout(Some(TIMEOUT))?;
        }
        let (dgram, mut ack, mut go_buf, mut buf) = ([0; UDP_SIZE], [0; 8], [0; UDP_SIZE], [0; UDP_SIZE]);
        shared::udp_batch_recv(
            n,
            |count| {
                for _ in 0..count {
                    sender.send_to(&dgram, to)?;
                }
                Ok(count)
            },
            |g| sender.send_to(g, go_to),
            || sender.recv(&mut ack),
            || go.recv(&mut go_buf),
            || {
                datagram(receiver.recv(&mut buf)?)?;
                Ok(1)
            },
            |a| receiver.send_to(a, back),
        )
    }

    /// `std::os::unix::net` on an abstract name: blocking `accept`, `connect_addr`.
    fn unix(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::net::{SocketAddr as UnixSocketAddr, UnixListener, UnixStream};
        let name = UnixSocketAddr::from_abstract_name(shared::unix_name("std"))?;
        let server = UnixListener::bind_addr(&name)?;
        let accept = || server.accept().map(|(conn, _)| conn);
        let dial = || UnixStream::connect_addr(&name);
        match w {
            Workload::UnixBulk => shared::tcp_bulk(w, n, accept, dial),
            _ => shared::tcp_rr(w, n, accept, dial, |_| Ok(())),
        }
    }

    fn connect_accept_close(n: usize) -> io::Result<Vec<f64>> {
        let server = TcpListener::bind(LOOPBACK)?;
        let to = server.local_addr()?;
        shared::connect_accept_close(
            n,
            || server.accept().map(drop),
            || TcpStream::connect_timeout(&to, TIMEOUT),
            |conn| {
                drop(conn);
                Ok(())
            },
        )
    }
}
