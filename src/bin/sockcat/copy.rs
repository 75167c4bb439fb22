//! A TCP session: stdin to the socket and the socket to stdout, at the same time.

use std::error::Error;
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use chapel_socket::TcpConn;

/// Bytes moved per read, each way.
const CHUNK: usize = 64 * 1024;

/// How often a sender waiting on stdin or on a full socket checks that its session is over.
const CHECK: Duration = Duration::from_millis(50);

/// Stdin, read by one thread for the whole run, so that with `listen --keep` what one
/// connection did not take goes to the next instead of being lost in a blocked read.
pub struct Input(Mutex<Receiver<io::Result<Vec<u8>>>>);

impl Input {
    /// Starts the reading thread; the channel closes at the end of stdin.
    pub fn stdin() -> Input {
        let (tx, rx) = sync_channel(4);
        thread::spawn(move || {
            let mut stdin = io::stdin().lock();
            loop {
                let mut buf = vec![0; CHUNK];
                let read = match stdin.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        buf.truncate(n);
                        Ok(buf)
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = read.is_err();
                if tx.send(read).is_err() || failed {
                    return;
                }
            }
        });
        Input(Mutex::new(rx))
    }
}

/// Runs one session on `conn` until the peer's end of stream: stdin goes to the peer (and at
/// its end, `shutdown(Write)`), the peer's bytes go to stdout. Returns the bytes received.
pub fn session(conn: &TcpConn, input: &Input) -> Result<u64, Box<dyn Error + Send + Sync>> {
    let over = AtomicBool::new(false);
    thread::scope(|s| {
        let sender = s.spawn(|| send_input(conn, input, &over));
        let received = receive(conn);
        over.store(true, Ordering::Relaxed);
        let sent = sender.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let received = received?;
        sent?;
        Ok(received)
    })
}

/// Copies the peer's bytes to stdout until its end of stream.
fn receive(conn: &TcpConn) -> Result<u64, Box<dyn Error + Send + Sync>> {
    let mut buf = vec![0; CHUNK];
    let mut stdout = io::stdout().lock();
    let mut total = 0;
    loop {
        let n = conn.recv(&mut buf, chapel_socket::INDEFINITE_TIMEOUT)?;
        if n == 0 {
            return Ok(total);
        }
        stdout.write_all(&buf[..n])?;
        stdout.flush()?;
        total += n as u64;
    }
}

/// Sends stdin to the peer until stdin ends (then shuts down the sending side) or the session
/// is `over`.
fn send_input(conn: &TcpConn, input: &Input, over: &AtomicBool) -> Result<(), Box<dyn Error + Send + Sync>> {
    let rx = input.0.lock().unwrap_or_else(PoisonError::into_inner);
    while !over.load(Ordering::Relaxed) {
        let chunk = match rx.recv_timeout(CHECK) {
            Ok(chunk) => chunk?,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return Ok(conn.shutdown(Shutdown::Write)?),
        };
        let mut rest = chunk.as_slice();
        while !rest.is_empty() && !over.load(Ordering::Relaxed) {
            match conn.send(rest, CHECK) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == ErrorKind::TimedOut => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
