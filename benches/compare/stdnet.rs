//! The workloads on `std::net`, both ends. A per-call receive timeout is `set_read_timeout`
//! (`SO_RCVTIMEO`) before each receive; a fixed one is set once.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;

use crate::clock::Clock;
use crate::workload::{BURST, TIMEOUT, UDP_SIZE, WINDOW, WRITE_SIZE, Workload, datagram};

pub fn run(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    match w {
        Workload::TcpRr1 => tcp_rr(w, n, 1),
        Workload::TcpRr1k => tcp_rr(w, n, 1024),
        Workload::TcpBulk => tcp_bulk(w, n),
        Workload::UdpRrPerCall => udp_rr(w, n, true),
        Workload::UdpRrFixed => udp_rr(w, n, false),
        Workload::UdpOneWay => udp_oneway(w, n),
        Workload::UdpBurst => udp_burst(w, n),
        Workload::Connect => connect_accept_close(w, n),
    }
}

const LOOPBACK: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

fn tcp_rr(w: Workload, n: usize, msg: usize) -> io::Result<Vec<f64>> {
    let server = TcpListener::bind(LOOPBACK)?;
    let to = server.local_addr()?;
    thread::scope(|s| {
        let echo = s.spawn(|| -> io::Result<()> {
            let (mut conn, _) = server.accept()?;
            conn.set_nodelay(true)?;
            let mut buf = vec![0; msg];
            for _ in 0..n {
                conn.read_exact(&mut buf)?;
                conn.write_all(&buf)?;
            }
            Ok(())
        });
        let mut conn = TcpStream::connect(to)?;
        conn.set_nodelay(true)?;
        let (req, mut buf) = (vec![7; msg], vec![0; msg]);
        let mut clock = Clock::new(w, n);
        for _ in 0..n {
            conn.write_all(&req)?;
            conn.read_exact(&mut buf)?;
            clock.tick();
        }
        echo.join().expect("echo thread")?;
        Ok(clock.samples())
    })
}

fn tcp_bulk(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    let server = TcpListener::bind(LOOPBACK)?;
    let to = server.local_addr()?;
    thread::scope(|s| {
        let writer = s.spawn(|| -> io::Result<()> {
            let mut conn = TcpStream::connect(to)?;
            let chunk = vec![0; WRITE_SIZE];
            for _ in 0..n {
                conn.write_all(&chunk)?;
            }
            conn.read_exact(&mut [0])
        });
        let (mut conn, _) = server.accept()?;
        let mut buf = vec![0; WRITE_SIZE];
        let mut clock = Clock::new(w, n);
        let (total, mut got) = (n * WRITE_SIZE, 0);
        while got < total {
            let r = conn.read(&mut buf)?;
            if r == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            for _ in got / WRITE_SIZE..(got + r) / WRITE_SIZE {
                clock.tick();
            }
            got += r;
        }
        conn.write_all(b"k")?;
        writer.join().expect("writer thread")?;
        Ok(clock.samples())
    })
}

fn udp_rr(w: Workload, n: usize, per_call: bool) -> io::Result<Vec<f64>> {
    let (server, client) = (UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?);
    let to = server.local_addr()?;
    if !per_call {
        server.set_read_timeout(Some(TIMEOUT))?;
        client.set_read_timeout(Some(TIMEOUT))?;
    }
    thread::scope(|s| {
        let echo = s.spawn(|| -> io::Result<()> {
            let mut buf = [0; UDP_SIZE];
            for _ in 0..n {
                if per_call {
                    server.set_read_timeout(Some(TIMEOUT))?;
                }
                let (len, from) = server.recv_from(&mut buf)?;
                server.send_to(&buf[..len], from)?;
            }
            Ok(())
        });
        let (req, mut buf) = ([7; UDP_SIZE], [0; UDP_SIZE]);
        let mut clock = Clock::new(w, n);
        for _ in 0..n {
            client.send_to(&req, to)?;
            if per_call {
                client.set_read_timeout(Some(TIMEOUT))?;
            }
            datagram(client.recv(&mut buf)?)?;
            clock.tick();
        }
        echo.join().expect("echo thread")?;
        Ok(clock.samples())
    })
}

fn udp_oneway(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    let (receiver, sender) = (UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?);
    let (to, back) = (receiver.local_addr()?, sender.local_addr()?);
    sender.set_read_timeout(Some(TIMEOUT))?;
    thread::scope(|s| {
        let send = s.spawn(|| -> io::Result<()> {
            let (dgram, mut ack) = ([0; UDP_SIZE], [0; 8]);
            let mut acked = 0;
            for i in 0..n {
                while i - acked * WINDOW >= 2 * WINDOW {
                    sender.recv(&mut ack)?;
                    acked += 1;
                }
                sender.send_to(&dgram, to)?;
            }
            Ok(())
        });
        let mut buf = [0; UDP_SIZE];
        let mut clock = Clock::new(w, n);
        for i in 0..n {
            datagram(receiver.recv(&mut buf)?)?;
            clock.tick();
            if (i + 1) % WINDOW == 0 {
                receiver.send_to(b"a", back)?;
            }
        }
        send.join().expect("sender thread")?;
        Ok(clock.samples())
    })
}

/// As in `ours`: a burst queued, then `go`; each timed receive sets its own timeout.
fn udp_burst(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    let (receiver, go, sender) = (UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?, UdpSocket::bind(LOOPBACK)?);
    let (to, go_to, back) = (receiver.local_addr()?, go.local_addr()?, sender.local_addr()?);
    go.set_read_timeout(Some(TIMEOUT))?;
    sender.set_read_timeout(Some(TIMEOUT))?;
    thread::scope(|s| {
        let send = s.spawn(|| -> io::Result<()> {
            let (dgram, mut ack) = ([0; UDP_SIZE], [0; 8]);
            for _ in 0..n / BURST {
                for _ in 0..BURST {
                    sender.send_to(&dgram, to)?;
                }
                sender.send_to(b"g", go_to)?;
                sender.recv(&mut ack)?;
            }
            Ok(())
        });
        let mut buf = [0; UDP_SIZE];
        let mut clock = Clock::new(w, n);
        for _ in 0..n / BURST {
            go.recv(&mut buf)?;
            clock.restart();
            for _ in 0..BURST {
                receiver.set_read_timeout(Some(TIMEOUT))?;
                datagram(receiver.recv(&mut buf)?)?;
                clock.tick();
            }
            receiver.send_to(b"a", back)?;
        }
        send.join().expect("sender thread")?;
        Ok(clock.samples())
    })
}

fn connect_accept_close(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    let server = TcpListener::bind(LOOPBACK)?;
    let to = server.local_addr()?;
    thread::scope(|s| {
        let acceptor = s.spawn(|| -> io::Result<()> {
            for _ in 0..n {
                drop(server.accept()?);
            }
            Ok(())
        });
        let mut clock = Clock::new(w, n);
        for _ in 0..n {
            let mut conn = TcpStream::connect_timeout(&to, TIMEOUT)?;
            if conn.read(&mut [0])? != 0 {
                return Err(io::Error::other("expected end of stream"));
            }
            drop(conn);
            clock.tick();
        }
        acceptor.join().expect("acceptor thread")?;
        Ok(clock.samples())
    })
}
