//! `sockcat demo`: the crate's main moves on loopback, each step timed and explained.

use std::fmt::Display;
use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use chapel_socket::{BACKLOG_DEFAULT, IPFamily, IpAddr, Timeout, UdpSocket, bind, connect, get_sock_name, listen};

use crate::BoxError;
use crate::tcp::echo;
use crate::udp::MAX_DATAGRAM;

/// How long any step may wait for the other side before the demo fails: the demo's bound.
const PATIENCE: f64 = 2.0;

/// The timeout the demo lets expire on purpose.
const SHORT: Duration = Duration::from_millis(250);

/// Prints one finished step: how long it took since `started`, and what it did.
fn step(started: Instant, what: &str, detail: impl Display) {
    println!("{:>9.3} ms  {what:<15} {detail}", started.elapsed().as_secs_f64() * 1e3);
}

/// Runs the tour; fails on the first step that does not do what it says.
pub fn run() -> Result<(), BoxError> {
    let begin = Instant::now();
    println!("sockcat demo: a TCP and a UDP echo server on loopback, and a client for each\n");
    println!("{:>12}  {:<15} what", "took", "step");
    let loopback = IpAddr::create("127.0.0.1", 0, IPFamily::IPv4)?;

    let t = Instant::now();
    let listener = listen(&loopback, true, BACKLOG_DEFAULT)?;
    let server = listener.addr()?;
    step(t, "listen", format!("TCP echo server on {server} (port 0 asked, the kernel chose {})", server.port()));

    thread::scope(|s| -> Result<(), BoxError> {
        let echoer = s.spawn(|| listener.accept(PATIENCE).and_then(|conn| echo(&conn, Timeout::INDEFINITE)));

        let t = Instant::now();
        let mut conn = connect(&server, PATIENCE)?;
        step(t, "connect", format!("from {} to {server}, timeout {PATIENCE} s", get_sock_name(&conn)?));

        let t = Instant::now();
        let message = b"hello over TCP";
        conn.write_all(message)?;
        let mut back = [0; 14];
        conn.read_exact(&mut back)?;
        expect(&back == message, "the TCP echo differs from what was sent")?;
        step(t, "TCP round trip", format!("sent {:?}, got it back", String::from_utf8_lossy(message)));

        let t = Instant::now();
        let expired = conn.recv(&mut back, SHORT).err().filter(|e| e.kind() == ErrorKind::TimedOut);
        let waited = t.elapsed();
        let expired = expired.ok_or("a recv with nothing to read did not time out")?;
        expect(waited >= SHORT, "the timeout expired early")?;
        step(t, "timeout", format!("recv with nothing to read, {SHORT:?} allowed: \"{expired}\""));

        let t = Instant::now();
        conn.shutdown(Shutdown::Write)?;
        let at_end = conn.recv(&mut back, PATIENCE)?;
        let echoed = echoer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        expect(at_end == 0, "the server sent more than the echo")?;
        conn.close()?;
        step(t, "TCP close", format!("shutdown(Write); the server echoed {echoed} bytes in all, then closed"));
        Ok(())
    })?;

    let t = Instant::now();
    let udp_server = UdpSocket::new(IPFamily::IPv4)?;
    bind(&udp_server, &loopback, true)?;
    let udp_at = udp_server.addr()?;
    step(t, "bind UDP", format!("UDP echo server on {udp_at}"));

    thread::scope(|s| -> Result<(), BoxError> {
        let echoer = s.spawn(|| {
            let (payload, from) = udp_server.recvfrom(MAX_DATAGRAM, PATIENCE, 0)?;
            udp_server.send(&payload, &from, PATIENCE)
        });

        let t = Instant::now();
        let client = UdpSocket::new(IPFamily::IPv4)?;
        let message = b"hello over UDP";
        client.send(message, &udp_at, PATIENCE)?;
        let (back, from) = client.recvfrom(MAX_DATAGRAM, PATIENCE, 0)?;
        echoer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        expect(back == message && from == udp_at, "the UDP echo differs from what was sent")?;
        step(
            t,
            "UDP round trip",
            format!(
                "sent {:?} from {}, got it back from {from}",
                String::from_utf8_lossy(message),
                get_sock_name(&client)?
            ),
        );
        Ok(())
    })?;

    step(begin, "done", "every step did what it said");
    Ok(())
}

fn expect(holds: bool, otherwise: &'static str) -> Result<(), BoxError> {
    if holds { Ok(()) } else { Err(otherwise.into()) }
}
