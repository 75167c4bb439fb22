//! The workloads on this crate, both ends: its calls in `shared`'s shapes.

use std::io;

use chapel_socket::{
    ControlMessage, INDEFINITE_TIMEOUT, IPFamily, IpAddr, RecvBatch, SendMsg, TcpConn, TcpListener, UdpSocket,
    UnixAddr, UnixListener, UnixStream, bind, connect, listen,
};

use crate::shared::{self, Workloads};
use crate::workload::{BATCH, TIMEOUT, UDP_SIZE, Workload, datagram};

pub struct Ours;

fn loopback() -> IpAddr {
    IpAddr::create("127.0.0.1", 0, IPFamily::IPv4).expect("a numeric address")
}

fn listener() -> io::Result<TcpListener> {
    Ok(listen(&loopback(), true, 128)?)
}

fn udp_socket() -> io::Result<UdpSocket> {
    let socket = UdpSocket::new(IPFamily::IPv4)?;
    bind(&socket, &loopback(), false)?;
    Ok(socket)
}

/// A UDP socket bound by std on loopback and adopted: someone else may hold it, so the crate
/// never relies on its kernel state (adoption checks the kind: three `getsockopt`s, once).
fn adopted_udp_socket() -> io::Result<UdpSocket> {
    let socket = std::net::UdpSocket::bind((std::net::Ipv4Addr::LOCALHOST, 0))?;
    UdpSocket::try_from(socket).map_err(io::Error::other)
}

impl Workloads for Ours {
    fn tcp(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        let server = listener()?;
        let to = server.addr()?;
        let accept = || Ok(server.accept(TIMEOUT)?);
        let dial = || Ok(connect(&to, INDEFINITE_TIMEOUT)?);
        match w {
            Workload::TcpBulk => shared::tcp_bulk(w, n, accept, dial),
            _ => shared::tcp_rr(w, n, accept, dial, |conn: &TcpConn| Ok(conn.set_nagle(false)?)),
        }
    }

    /// This crate has one kind of timeout, per call: the fixed-timeout row runs the same code.
    /// The adopted row runs it too, on two sockets made by std and adopted, which the crate
    /// does not hold alone: their timed receives do not rely on `SO_RCVTIMEO`.
    fn udp_rr(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        let (server, client) = match w {
            Workload::UdpRrAdopted => (adopted_udp_socket()?, adopted_udp_socket()?),
            _ => (udp_socket()?, udp_socket()?),
        };
        let to = server.addr()?;
        let (mut echo_buf, mut buf) = ([0; UDP_SIZE], [0; UDP_SIZE]);
        shared::udp_rr(
            w,
            n,
            || {
                let (len, from) = server.recv_from_into(&mut echo_buf, TIMEOUT, 0)?;
                Ok(server.send(&echo_buf[..len], &from, TIMEOUT)?)
            },
            |req| Ok(client.send(req, &to, TIMEOUT)?),
            || Ok(client.recv_into(&mut buf, TIMEOUT)?),
        )
    }

    /// Both server threads call `recv_from_into` with the per-call timeout: one at a time
    /// holds the socket's `SO_RCVTIMEO` and blocks in `recvfrom`, the other tries, `ppoll`s
    /// and retries.
    fn udp_rr_shared(n: usize) -> io::Result<Vec<f64>> {
        let (server, client) = (udp_socket()?, udp_socket()?);
        let to = server.addr()?;
        let mut buf = [0; UDP_SIZE];
        shared::udp_rr_shared(
            n,
            || {
                let mut echo_buf = [0; UDP_SIZE];
                let (len, from) = server.recv_from_into(&mut echo_buf, TIMEOUT, 0)?;
                if len != UDP_SIZE {
                    return Ok(false);
                }
                server.send(&echo_buf[..len], &from, TIMEOUT)?;
                Ok(true)
            },
            |req| Ok(client.send(req, &to, TIMEOUT)?),
            || Ok(client.recv_into(&mut buf, TIMEOUT)?),
            |stop| Ok(client.send(stop, &to, TIMEOUT)?),
        )
    }

    fn udp_oneway(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, sender) = (udp_socket()?, udp_socket()?);
        let (to, back) = (receiver.addr()?, sender.addr()?);
        let (mut ack, mut buf) = ([0; 8], [0; UDP_SIZE]);
        shared::udp_oneway(
            n,
            |dgram| Ok(sender.send(dgram, &to, TIMEOUT)?),
            || Ok(sender.recv_into(&mut ack, TIMEOUT)?),
            || Ok(receiver.recv_into(&mut buf, INDEFINITE_TIMEOUT)?),
            |a| Ok(receiver.send(a, &back, TIMEOUT)?),
        )
    }

    /// `send_batch` (one `sendmmsg`) and `recv_batch` (one `recvmmsg`, waiting for the first
    /// datagram only) of up to `BATCH`; the batch's buffers are made once.
    fn udp_pipeline_batch(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, sender) = (udp_socket()?, udp_socket()?);
        let (to, back) = (receiver.addr()?, sender.addr()?);
        let dgram = [0; UDP_SIZE];
        let msgs = [SendMsg::new(&dgram, to); BATCH];
        let (mut ack, mut batch) = ([0; 8], RecvBatch::new(BATCH, UDP_SIZE)?);
        shared::udp_pipeline_batch(
            Workload::UdpPipelineBatch,
            n,
            |count| Ok(sender.send_batch(&msgs[..count], TIMEOUT)?),
            || Ok(sender.recv_into(&mut ack, TIMEOUT)?),
            || {
                let k = receiver.recv_batch(&mut batch, INDEFINITE_TIMEOUT)?;
                batch.iter().try_for_each(|d| datagram(d.full_len()))?;
                Ok(k)
            },
            |a| Ok(receiver.send(a, &back, TIMEOUT)?),
        )
    }

    /// One `send_msg` of up to `BATCH` datagrams cut by the kernel (`UDP_SEGMENT`), and a
    /// receiver with `UDP_GRO`, whose `recv_batch` buffers each hold one coalesced send.
    fn udp_oneway_gso(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, sender) = (udp_socket()?, udp_socket()?);
        let (to, back) = (receiver.addr()?, sender.addr()?);
        receiver.set_gro(true)?;
        let data = [0; UDP_SIZE * BATCH];
        let segment = [ControlMessage::SegmentSize(UDP_SIZE as u16)];
        let (mut ack, mut batch) = ([0; 8], RecvBatch::new(BATCH, UDP_SIZE * BATCH)?);
        shared::udp_pipeline_batch(
            Workload::UdpOneWayGso,
            n,
            |count| Ok(sender.send_msg(&data[..count * UDP_SIZE], &to, &segment, TIMEOUT)? / UDP_SIZE),
            || Ok(sender.recv_into(&mut ack, TIMEOUT)?),
            || {
                receiver.recv_batch(&mut batch, INDEFINITE_TIMEOUT)?;
                batch.iter().try_fold(0, |k, d| match d.is_truncated() || d.data().len() % UDP_SIZE != 0 {
                    true => Err(io::Error::other(format!("a {}-byte buffer", d.full_len()))),
                    false => Ok(k + d.data().len() / UDP_SIZE),
                })
            },
            |a| Ok(receiver.send(a, &back, TIMEOUT)?),
        )
    }

    /// Every wait has its own timeout, the timed receives' too.
    fn udp_burst(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, go, sender) = (udp_socket()?, udp_socket()?, udp_socket()?);
        let (to, go_to, back) = (receiver.addr()?, go.addr()?, sender.addr()?);
        let (mut ack, mut go_buf, mut buf) = ([0; 8], [0; UDP_SIZE], [0; UDP_SIZE]);
        shared::udp_burst(
            n,
            |dgram| Ok(sender.send(dgram, &to, TIMEOUT)?),
            |g| Ok(sender.send(g, &go_to, TIMEOUT)?),
            || Ok(sender.recv_into(&mut ack, TIMEOUT)?),
            || Ok(go.recv_into(&mut go_buf, TIMEOUT)?),
            || Ok(receiver.recv_into(&mut buf, TIMEOUT)?),
            |a| Ok(receiver.send(a, &back, TIMEOUT)?),
        )
    }

    /// `send_batch` of `BATCH` (one `sendmmsg`) to queue, `recv_batch` into a `RecvBatch` of
    /// `BATCH` (one `recvmmsg` each, the datagrams being there) to drain; every wait with the
    /// bench's fixed 2 s timeout, given per call (the crate's only kind).
    fn udp_batch_recv(n: usize) -> io::Result<Vec<f64>> {
        let (receiver, go, sender) = (udp_socket()?, udp_socket()?, udp_socket()?);
        let (to, go_to, back) = (receiver.addr()?, go.addr()?, sender.addr()?);
        let dgram = [0; UDP_SIZE];
        let msgs = [SendMsg::new(&dgram, to); BATCH];
        let (mut ack, mut go_buf, mut batch) = ([0; 8], [0; UDP_SIZE], RecvBatch::new(BATCH, UDP_SIZE)?);
        shared::udp_batch_recv(
            n,
            |count| Ok(sender.send_batch(&msgs[..count], TIMEOUT)?),
            |g| Ok(sender.send(g, &go_to, TIMEOUT)?),
            || Ok(sender.recv_into(&mut ack, TIMEOUT)?),
            || Ok(go.recv_into(&mut go_buf, TIMEOUT)?),
            || {
                let k = receiver.recv_batch(&mut batch, TIMEOUT)?;
                batch.iter().try_for_each(|d| datagram(d.full_len()))?;
                Ok(k)
            },
            |a| Ok(receiver.send(a, &back, TIMEOUT)?),
        )
    }

    /// An abstract name, `UnixListener::accept` with a timeout (as the TCP rows), an
    /// indefinite `UnixStream::connect` (socket + connect) and `Read`/`Write`.
    fn unix(w: Workload, n: usize) -> io::Result<Vec<f64>> {
        let name = UnixAddr::from_abstract(shared::unix_name("ours"))?;
        let server = UnixListener::bind(&name, 128)?;
        let accept = || Ok(server.accept(TIMEOUT)?);
        let dial = || Ok(UnixStream::connect(&name, INDEFINITE_TIMEOUT)?);
        match w {
            Workload::UnixBulk => shared::tcp_bulk(w, n, accept, dial),
            _ => shared::tcp_rr(w, n, accept, dial, |_: &UnixStream| Ok(())),
        }
    }

    fn connect_accept_close(n: usize) -> io::Result<Vec<f64>> {
        let server = listener()?;
        let to = server.addr()?;
        shared::connect_accept_close(
            n,
            || Ok(server.accept(INDEFINITE_TIMEOUT)?.close()?),
            || Ok(connect(&to, TIMEOUT)?),
            |mut conn: TcpConn| Ok(conn.close()?),
        )
    }
}
