//! A TCP session: stdin to the socket and the socket to stdout, at the same time.

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::thread;

use chapel_socket::{INDEFINITE_TIMEOUT, TcpConn};

use crate::BoxError;

/// Bytes moved per read, each way.
pub const CHUNK: usize = 64 * 1024;

/// Runs one session on `conn` until both sides have finished sending: stdin goes to the peer
/// (and at its end, `shutdown(Write)`), the peer's bytes go to stdout until its end of
/// stream. Neither end stops the other, so a peer that half-closes first still gets all of
/// stdin.
pub fn session(conn: &TcpConn) -> Result<(), BoxError> {
    thread::scope(|s| {
        let sender = s.spawn(|| send_stdin(conn));
        let received = receive(conn);
        let sent = sender.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        received.and(sent)
    })
}

/// Copies the peer's bytes to stdout until its end of stream.
fn receive(conn: &TcpConn) -> Result<(), BoxError> {
    let mut buf = vec![0; CHUNK];
    let mut stdout = io::stdout().lock();
    loop {
        let n = conn.recv(&mut buf, INDEFINITE_TIMEOUT)?;
        if n == 0 {
            return Ok(());
        }
        stdout.write_all(&buf[..n]).and_then(|()| stdout.flush()).map_err(|e| format!("stdout: {e}"))?;
    }
}

/// Sends stdin to the peer, then shuts down the sending side.
fn send_stdin(conn: &TcpConn) -> Result<(), BoxError> {
    let mut buf = vec![0; CHUNK];
    let mut stdin = io::stdin().lock();
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => return Ok(conn.shutdown(Shutdown::Write)?),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("stdin: {e}").into()),
        };
        send_all(conn, &buf[..n])?;
    }
}

/// Sends all of `bytes`, however many sends that takes.
pub fn send_all(conn: &TcpConn, mut bytes: &[u8]) -> Result<(), chapel_socket::Error> {
    while !bytes.is_empty() {
        bytes = &bytes[conn.send(bytes, INDEFINITE_TIMEOUT)?..];
    }
    Ok(())
}
