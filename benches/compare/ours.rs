//! The workloads on this crate, both ends.

use std::io::{self, Read, Write};
use std::thread;

use chapel_socket::{INDEFINITE_TIMEOUT, IPFamily, IpAddr, TcpListener, UdpSocket, bind, connect, listen};

use crate::clock::Clock;
use crate::workload::{BURST, TIMEOUT, UDP_SIZE, WINDOW, WRITE_SIZE, Workload, datagram};

pub fn run(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    match w {
        Workload::TcpRr1 => tcp_rr(w, n, 1),
        Workload::TcpRr1k => tcp_rr(w, n, 1024),
        Workload::TcpBulk => tcp_bulk(w, n),
        Workload::UdpRrPerCall | Workload::UdpRrFixed => udp_rr(w, n),
        Workload::UdpOneWay => udp_oneway(w, n),
        Workload::UdpBurst => udp_burst(w, n),
        Workload::Connect => connect_accept_close(w, n),
    }
}

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

fn tcp_rr(w: Workload, n: usize, msg: usize) -> io::Result<Vec<f64>> {
    let server = listener()?;
    let to = server.addr()?;
    thread::scope(|s| {
        let echo = s.spawn(|| -> io::Result<()> {
            let mut conn = server.accept(TIMEOUT)?;
            conn.set_nagle(false)?;
            let mut buf = vec![0; msg];
            for _ in 0..n {
                conn.read_exact(&mut buf)?;
                conn.write_all(&buf)?;
            }
            Ok(())
        });
        let mut conn = connect(&to, INDEFINITE_TIMEOUT)?;
        conn.set_nagle(false)?;
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
    let server = listener()?;
    let to = server.addr()?;
    thread::scope(|s| {
        let writer = s.spawn(|| -> io::Result<()> {
            let mut conn = connect(&to, INDEFINITE_TIMEOUT)?;
            let chunk = vec![0; WRITE_SIZE];
            for _ in 0..n {
                conn.write_all(&chunk)?;
            }
            conn.read_exact(&mut [0])
        });
        let mut conn = server.accept(TIMEOUT)?;
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

/// This crate has one kind of timeout, per call: the fixed-timeout row runs the same code.
fn udp_rr(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    let (server, client) = (udp_socket()?, udp_socket()?);
    let to = server.addr()?;
    thread::scope(|s| {
        let echo = s.spawn(|| -> io::Result<()> {
            let mut buf = [0; UDP_SIZE];
            for _ in 0..n {
                let (len, from) = server.recv_from_into(&mut buf, TIMEOUT, 0)?;
                server.send(&buf[..len], &from, TIMEOUT)?;
            }
            Ok(())
        });
        let (req, mut buf) = ([7; UDP_SIZE], [0; UDP_SIZE]);
        let mut clock = Clock::new(w, n);
        for _ in 0..n {
            client.send(&req, &to, TIMEOUT)?;
            datagram(client.recv_into(&mut buf, TIMEOUT)?)?;
            clock.tick();
        }
        echo.join().expect("echo thread")?;
        Ok(clock.samples())
    })
}

fn udp_oneway(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    let (receiver, sender) = (udp_socket()?, udp_socket()?);
    let (to, back) = (receiver.addr()?, sender.addr()?);
    thread::scope(|s| {
        let send = s.spawn(|| -> io::Result<()> {
            let (dgram, mut ack) = ([0; UDP_SIZE], [0; 8]);
            let mut acked = 0;
            for i in 0..n {
                while i - acked * WINDOW >= 2 * WINDOW {
                    sender.recv_into(&mut ack, TIMEOUT)?;
                    acked += 1;
                }
                sender.send(&dgram, &to, TIMEOUT)?;
            }
            Ok(())
        });
        let mut buf = [0; UDP_SIZE];
        let mut clock = Clock::new(w, n);
        for i in 0..n {
            datagram(receiver.recv_into(&mut buf, INDEFINITE_TIMEOUT)?)?;
            clock.tick();
            if (i + 1) % WINDOW == 0 {
                receiver.send(b"a", &back, TIMEOUT)?;
            }
        }
        send.join().expect("sender thread")?;
        Ok(clock.samples())
    })
}

/// The sender queues a burst, then says so on the receiver's second socket (`go`); only the
/// receives are timed, each with its own timeout.
fn udp_burst(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    let (receiver, go, sender) = (udp_socket()?, udp_socket()?, udp_socket()?);
    let (to, go_to, back) = (receiver.addr()?, go.addr()?, sender.addr()?);
    thread::scope(|s| {
        let send = s.spawn(|| -> io::Result<()> {
            let (dgram, mut ack) = ([0; UDP_SIZE], [0; 8]);
            for _ in 0..n / BURST {
                for _ in 0..BURST {
                    sender.send(&dgram, &to, TIMEOUT)?;
                }
                sender.send(b"g", &go_to, TIMEOUT)?;
                sender.recv_into(&mut ack, TIMEOUT)?;
            }
            Ok(())
        });
        let mut buf = [0; UDP_SIZE];
        let mut clock = Clock::new(w, n);
        for _ in 0..n / BURST {
            go.recv_into(&mut buf, TIMEOUT)?;
            clock.restart();
            for _ in 0..BURST {
                datagram(receiver.recv_into(&mut buf, TIMEOUT)?)?;
                clock.tick();
            }
            receiver.send(b"a", &back, TIMEOUT)?;
        }
        send.join().expect("sender thread")?;
        Ok(clock.samples())
    })
}

fn connect_accept_close(w: Workload, n: usize) -> io::Result<Vec<f64>> {
    let server = listener()?;
    let to = server.addr()?;
    thread::scope(|s| {
        let acceptor = s.spawn(|| -> io::Result<()> {
            for _ in 0..n {
                server.accept(INDEFINITE_TIMEOUT)?.close()?;
            }
            Ok(())
        });
        let mut clock = Clock::new(w, n);
        for _ in 0..n {
            let mut conn = connect(&to, TIMEOUT)?;
            if conn.read(&mut [0])? != 0 {
                return Err(io::Error::other("expected end of stream"));
            }
            conn.close()?;
            clock.tick();
        }
        acceptor.join().expect("acceptor thread")?;
        Ok(clock.samples())
    })
}
