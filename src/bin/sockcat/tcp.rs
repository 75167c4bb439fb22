//! The TCP commands: `listen`, `connect` and `echo`.

use std::thread;

use chapel_socket::{BACKLOG_DEFAULT, INDEFINITE_TIMEOUT, IPFamily, IpAddr, TcpConn, Timeout, connect_host, listen};

use crate::BoxError;
use crate::copy::{CHUNK, send_all, session};

/// `sockcat listen`: serves one connection, or with `keep` one after another (a failed
/// session is then reported and the next one served; stdin goes to the first, and to later
/// ones only what a failed session left).
pub fn listen_and_copy(host: &str, port: u16, timeout: Timeout, keep: bool) -> Result<(), BoxError> {
    let listener = listen(&IpAddr::create(host, port, IPFamily::IPUnspec)?, true, BACKLOG_DEFAULT)?;
    eprintln!("listening on {}", listener.addr()?);
    loop {
        let conn = listener.accept(timeout)?;
        eprintln!("connection from {}", conn.addr()?);
        match session(&conn) {
            Err(e) if keep => eprintln!("sockcat: {e}"),
            done => done?,
        }
        if !keep {
            return Ok(());
        }
    }
}

/// `sockcat connect`: one session with the first address of `host` that accepts.
pub fn connect_and_copy(host: &str, service: &str, family: IPFamily, timeout: Timeout) -> Result<(), BoxError> {
    let conn = connect_host(host, service, family, timeout)?;
    eprintln!("connected to {}", conn.addr()?);
    session(&conn)
}

/// `sockcat echo`: sends every connection's bytes back to it, a thread per connection, until
/// killed.
pub fn echo_server(host: &str, port: u16) -> Result<(), BoxError> {
    let listener = listen(&IpAddr::create(host, port, IPFamily::IPUnspec)?, true, BACKLOG_DEFAULT)?;
    eprintln!("listening on {}", listener.addr()?);
    loop {
        let conn = listener.accept(INDEFINITE_TIMEOUT)?;
        thread::spawn(move || {
            let peer = conn.addr().map_or_else(|e| e.to_string(), |a| a.to_string());
            match echo(&conn) {
                Ok(n) => eprintln!("{peer}: echoed {n} bytes"),
                Err(e) => eprintln!("sockcat: {e}"),
            }
        });
    }
}

/// Sends back what `conn` receives until its end of stream; returns the bytes echoed.
pub fn echo(conn: &TcpConn) -> Result<u64, chapel_socket::Error> {
    let mut buf = vec![0; CHUNK];
    let mut total = 0;
    loop {
        let n = conn.recv(&mut buf, INDEFINITE_TIMEOUT)?;
        if n == 0 {
            return Ok(total);
        }
        send_all(conn, &buf[..n])?;
        total += n as u64;
    }
}
