//! TCP: connecting (`HOST PORT`), probing (`-z`), listening (`-l`, `-k`) and echoing
//! (`--echo`).

use std::io::ErrorKind;
use std::net::Shutdown;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use chapel_socket::{
    BACKLOG_DEFAULT, INDEFINITE_TIMEOUT, IPFamily, IpAddr, TcpConn, TcpListener, Timeout, connect_host, listen,
};

use crate::args::Settings;
use crate::session::{self, End, Got, Input, Link, Outcome};

/// Bytes moved per read, each way.
pub const CHUNK: usize = 64 * 1024;

/// How long to wait before accepting again when accept fails for want of resources.
const BACKOFF: Duration = Duration::from_millis(100);

/// A TCP connection as a session's peer side.
struct Tcp(TcpConn);

impl Link for Tcp {
    fn receive(&self, buf: &mut [u8]) -> Result<Got, chapel_socket::Error> {
        Ok(match self.0.recv(buf, INDEFINITE_TIMEOUT)? {
            0 => Got::End,
            n => Got::Data(n),
        })
    }

    fn transmit(&self, bytes: &[u8], timeout: Timeout) -> Result<(), chapel_socket::Error> {
        send_all(&self.0, bytes, timeout)
    }

    fn half_close(&self) -> Result<(), chapel_socket::Error> {
        self.0.shutdown(Shutdown::Write)
    }

    fn abort(&self) {
        // Not connected any more (the peer reset it) is as good as shut down.
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

/// Sends all of `bytes`, however many sends that takes, each bounded by `timeout`.
pub fn send_all(conn: &TcpConn, mut bytes: &[u8], timeout: Timeout) -> Result<(), chapel_socket::Error> {
    while !bytes.is_empty() {
        bytes = &bytes[conn.send(bytes, timeout)?..];
    }
    Ok(())
}

/// `HOST PORT`: one session with the first address of `host` that accepts.
pub fn connect(
    host: &str,
    service: &str,
    family: IPFamily,
    timeout: Timeout,
    verbose: bool,
    settings: Settings,
) -> Outcome {
    let conn = connect_host(host, service, family, timeout)?;
    if verbose {
        eprintln!("connected to {}", conn.addr()?);
    }
    session::run(&Arc::new(Tcp(conn)), &mut Input::new(CHUNK), settings)
}

/// `-z`: connects to each port from `first` to `last` and closes at once; done if any
/// accepted. A name that does not resolve is an error, whatever the ports.
pub fn probe(host: &str, first: u16, last: u16, family: IPFamily, timeout: Timeout, verbose: bool) -> Outcome {
    let mut any_open = false;
    for port in first..=last {
        match connect_host(host, port, family, timeout) {
            Ok(conn) => {
                any_open = true;
                if verbose {
                    eprintln!("connection to {} succeeded", conn.addr()?);
                }
            }
            Err(e) if e.op() == "getaddrinfo" => return Err(e.into()),
            Err(e) if verbose => eprintln!("sockcat: {e}"),
            Err(_) => {}
        }
    }
    Ok(if any_open { End::Done } else { End::NoneOpen })
}

/// `-l`: sessions with whoever connects, one after another with `keep`; a failed session is
/// then reported and the next one served.
pub fn listen_and_serve(at: &IpAddr, keep: bool, verbose: bool, settings: Settings) -> Outcome {
    let listener = listen_at(at, verbose)?;
    session::serve_each(listener, keep, CHUNK, settings, |listener| {
        let conn = accept(listener, verbose)?;
        if verbose {
            eprintln!("connection from {}", conn.addr()?);
        }
        Ok(Tcp(conn))
    })
}

/// `-l --echo`: sends back what each connection sends; with `keep` every connection at once,
/// a thread each, until killed.
pub fn echo_server(at: &IpAddr, keep: bool, verbose: bool, idle: Option<Duration>) -> Outcome {
    let listener = listen_at(at, verbose)?;
    let idle = idle.map_or(Timeout::INDEFINITE, Timeout::from);
    if !keep {
        let conn = accept(&listener, verbose)?;
        drop(listener);
        echo_and_report(&conn, idle, verbose);
        return Ok(End::Done);
    }
    loop {
        let conn = accept(&listener, verbose)?;
        if let Err(e) = session::spawn("echo", move || echo_and_report(&conn, idle, verbose)) {
            // The connection closes here; the server goes on, as for a lack of descriptors.
            eprintln!("sockcat: {e}");
            thread::sleep(BACKOFF);
        }
    }
}

fn echo_and_report(conn: &TcpConn, idle: Timeout, verbose: bool) {
    let peer = conn.addr().map_or_else(|e| e.to_string(), |a| a.to_string());
    match echo(conn, idle) {
        Ok(n) if verbose => eprintln!("{peer}: echoed {n} bytes"),
        Ok(_) => {}
        Err(e) => eprintln!("sockcat: {e}"),
    }
}

/// Sends back what `conn` receives until its end of stream, or until it has been idle for
/// `idle`; returns the bytes echoed.
pub fn echo(conn: &TcpConn, idle: Timeout) -> Result<u64, chapel_socket::Error> {
    let mut buf = vec![0; CHUNK];
    let mut total = 0;
    loop {
        let n = match conn.recv(&mut buf, idle) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::TimedOut => return Ok(total),
            Err(e) => return Err(e),
        };
        send_all(conn, &buf[..n], idle)?;
        total += n as u64;
    }
}

fn listen_at(at: &IpAddr, verbose: bool) -> Result<TcpListener, chapel_socket::Error> {
    let listener = listen(at, true, BACKLOG_DEFAULT)?;
    if verbose {
        eprintln!("listening on {}", listener.addr()?);
    }
    Ok(listener)
}

/// The next connection. A lack of descriptors or memory, or a connection aborted before it
/// was accepted, is a bad moment, not the end: wait a little and accept again.
fn accept(listener: &TcpListener, verbose: bool) -> Result<TcpConn, chapel_socket::Error> {
    accept_retrying(|| listener.accept(INDEFINITE_TIMEOUT), verbose)
}

/// What `accept` brings next, accepting again after [`BACKOFF`] while it fails in a way that
/// passes (reported once with `verbose`); the accept of every kind of listener.
pub fn accept_retrying<C>(
    accept: impl Fn() -> Result<C, chapel_socket::Error>,
    verbose: bool,
) -> Result<C, chapel_socket::Error> {
    let mut reported = false;
    loop {
        match accept() {
            Ok(conn) => return Ok(conn),
            Err(e) if passing(&e) => {
                if verbose && !reported {
                    eprintln!("sockcat: {e}; accepting again every {BACKOFF:?}");
                    reported = true;
                }
                thread::sleep(BACKOFF);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether an accept error passes with time: resources run out, or the client gave up.
fn passing(e: &chapel_socket::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::EMFILE
                | libc::ENFILE
                | libc::ENOBUFS
                | libc::ENOMEM
                | libc::ECONNABORTED
                | libc::EPROTO
                | libc::EPERM
        )
    )
}
