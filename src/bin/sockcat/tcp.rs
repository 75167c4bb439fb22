//! TCP: connecting (`HOST PORT`), probing (`-z`), listening (`-l`, `-k`) and echoing
//! (`--echo`).

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use chapel_socket::{
    BACKLOG_DEFAULT, INDEFINITE_TIMEOUT, IPFamily, IpAddr, SO_REUSEADDR, SOL_SOCKET, Service, TcpConn, TcpListener,
    TcpSocket, Timeout, connect_host, listen, set_sock_opt,
};

use crate::BoxError;
use crate::args::{Ports, Settings, Source};
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

/// `HOST PORT`: one session with the first address of `host` that accepts, from `source` if
/// given (`service` is then a port number).
pub fn connect(
    host: &str,
    service: &str,
    family: IPFamily,
    source: Option<Source>,
    timeout: Timeout,
    verbose: bool,
    settings: Settings,
) -> Outcome {
    let conn = match source {
        None => connect_host(host, service, family, timeout)?,
        Some(source) => {
            let port = service.parse()?;
            connect_from(source, host, &addresses(host, family)?, port, timeout)??
        }
    };
    if verbose {
        eprintln!("connected to {}", conn.addr()?);
    }
    session::run(&Arc::new(Tcp(conn)), &mut Input::new(CHUNK), settings)
}

/// `-z`: connects to each port from `first` to `last` (from `source` if given) and closes at
/// once; done if any accepted. A name that does not resolve is an error, whatever the ports,
/// and so is a source that cannot be bound.
pub fn probe(
    host: &str,
    ports: &[Ports],
    family: IPFamily,
    source: Option<Source>,
    timeout: Timeout,
    verbose: bool,
) -> Outcome {
    let sourced = source.map(|source| addresses(host, family).map(|to| (source, to))).transpose()?;
    let mut any_open = false;
    let each = ports.iter().flat_map(|p| match p {
        Ports::Range(first, last) => (*first..=*last).map(Service::Port).collect::<Vec<_>>(),
        Ports::Service(name) => vec![Service::Name(name)],
    });
    for service in each {
        let attempt = match (&sourced, service) {
            (None, service) => match connect_host(host, service, family, timeout) {
                Err(e) if e.op() == "getaddrinfo" => return Err(e.into()),
                other => other.map_err(|e| e.to_string()),
            },
            (Some((source, to)), Service::Port(port)) => connect_from(*source, host, to, port, timeout)?,
            // The parser lets only ports through with -s or -p.
            (Some(_), Service::Name(name)) => return Err(format!("{name}: a service name with -s or -p").into()),
        };
        match attempt {
            Ok(conn) => {
                any_open = true;
                if verbose {
                    eprintln!("connection to {} succeeded", conn.addr()?);
                }
            }
            Err(why) if verbose => eprintln!("sockcat: {why}"),
            Err(_) => {}
        }
    }
    Ok(if any_open { End::Done } else { End::NoneOpen })
}

/// The addresses of `host` of `family` (either with `IPUnspec`), in the resolver's order, with
/// port 0: a numeric host as it is, a name looked up (`getaddrinfo`, through std).
fn addresses(host: &str, family: IPFamily) -> Result<Vec<IpAddr>, BoxError> {
    if let Ok(numeric) = IpAddr::create(host, 0, family) {
        return Ok(vec![numeric]);
    }
    let found = (host, 0).to_socket_addrs().map_err(|e| format!("getaddrinfo {host}: {e}"))?;
    let wanted: Vec<IpAddr> =
        found.map(IpAddr::from).filter(|a| family == IPFamily::IPUnspec || a.family() == family).collect();
    if wanted.is_empty() {
        let which = if family == IPFamily::IPv6 { "IPv6" } else { "IPv4" };
        return Err(format!("getaddrinfo {host}: no {which} address (the family of -s, -4 or -6)").into());
    }
    Ok(wanted)
}

/// A connection from `source` to the first of `host`'s `addresses` (with `port`) that
/// accepts: each
/// tried on a fresh socket of its family with `SO_REUSEADDR` (a source port just used may
/// still be in TIME_WAIT), bound to the source, then connected. The outer error is the
/// source's (`SO_REUSEADDR` or the bind: fatal, as nc's `bind failed`); the inner one says why no
/// address accepted, one line: the one error, or each address's, as `connect_host` says it.
fn connect_from(
    source: Source,
    host: &str,
    addresses: &[IpAddr],
    port: u16,
    timeout: Timeout,
) -> Result<Result<TcpConn, String>, chapel_socket::Error> {
    let mut failures = Vec::new();
    for &to in addresses {
        let mut at = SocketAddr::from(to);
        at.set_port(port);
        let to = IpAddr::from(at);
        // A family this host lacks (no IPv6) is that address's failure, as in nc.
        let mut socket = match TcpSocket::new(to.family()) {
            Ok(socket) => socket,
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        set_sock_opt(&socket, SOL_SOCKET, SO_REUSEADDR, 1)?;
        socket.bind(&source.for_family(to.family()))?;
        match socket.connect(&to, timeout) {
            Ok(conn) => return Ok(Ok(conn)),
            Err(e) => failures.push(e.to_string()),
        }
    }
    Ok(Err(match failures.as_slice() {
        [one] => one.clone(),
        all => format!("connect {host}:{port}: every address failed ({})", all.join("; ")),
    }))
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
