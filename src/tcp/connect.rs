//! [`connect`] to an address and [`connect_host`] to a name.

use std::ffi::CString;
use std::fmt;

use crate::addr::IPFamily;
use crate::addr::{IpAddr, is_literal, is_numeric_but_not_literal};
use crate::error::{Cause, Error, Op, Result, Target, echo};
use crate::sys;
use crate::sys::{Domain, SockType};
use crate::tcp::{TcpConn, TcpSocket};
use crate::timeout::Timeout;

/// Chapel's `connect(address, timeout)`: a TCP connection to `address`, waiting at most
/// `timeout` for the handshake. A refused connection is an error, never a success; an expired
/// timeout is `TimedOut`. Every failure closes the socket it made.
///
/// The connection's [`addr`](TcpConn::addr) is the peer the kernel connected to. That is
/// `address` itself, except for an unspecified one (`0.0.0.0` or `::`, as a wildcard
/// listener's `addr()` reports), which the kernel takes as this host: then one
/// `getpeername` after connecting learns the real peer (`127.0.0.1:P` or `[::1]:P`).
///
/// Syscalls ([contract](crate::syscalls#connect)): indefinite —
/// `socket(family, SOCK_STREAM|SOCK_CLOEXEC, 0)`, `connect`: 2. With a timeout —
/// `socket(…|SOCK_CLOEXEC|SOCK_NONBLOCK)`, `connect → EINPROGRESS`, `ppoll([POLLOUT])`,
/// `ioctl(FIONBIO, 0)` back to blocking: 4. When the poll reports `POLLERR`/`POLLHUP`, a
/// `getsockopt(SO_ERROR)` fetches why; a hang-up with no error is a `connect` interrupted
/// (`EINTR`) before the kernel saw it, made again while time is left — at once the first
/// time, then with sleeps of 1 ms doubling to 10 ms if it keeps failing at once, so it never
/// spins. To an unspecified address, one `getpeername` more.
///
#[doc = man_links!(socket(2), connect(2), ppoll(2), getsockopt(2), ioctl(2), getpeername(2))]
///
/// # Errors
/// `InvalidInput` for a NaN timeout, before any syscall; `TimedOut` when the handshake did not
/// finish within `timeout`; the kernel's error from `socket`, `connect` (`ConnectionRefused`
/// when nobody listens) or `getpeername`, naming the address. The socket is closed on every
/// error.
///
/// ```
/// use chapel_socket::{connect, listen, struct_timeval};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let conn = connect(&server.addr()?, struct_timeval { tv_sec: 4, tv_usec: 0 })?;
/// assert_eq!(conn.addr()?, server.addr()?);
/// // 0.0.0.0 (a wildcard listener's address) dials this host; addr() is the peer reached.
/// let port = server.addr()?.port();
/// let conn = connect(&format!("0.0.0.0:{port}").parse()?, 4.0)?;
/// assert_eq!(conn.addr()?, server.addr()?);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn connect(address: &IpAddr, timeout: impl Into<Timeout>) -> Result<TcpConn> {
    let timeout = timeout.into().check().map_err(|nan| Error::new(Op::Connect, Target::Addr(*address), nan.into()))?;
    connect_to(address, timeout)
}

/// `connect` with a checked timeout: a [`TcpSocket`] made for it (blocking when the wait is
/// indefinite, so the connect is one blocking call), connected.
fn connect_to(address: &IpAddr, timeout: Timeout) -> Result<TcpConn> {
    let domain = Domain::of(address.as_socket_addr());
    TcpSocket::create(domain, !timeout.is_indefinite(), &Target::Addr(*address))?.connect_checked(address, timeout)
}

/// A service to connect to: a name from `/etc/services` (`"http"`), a number as text
/// (`"8080"`), or a port. Covers Chapel's `connect(host, service: string)` and
/// `connect(host, port: uint(16))` in one parameter.
///
/// ```
/// use chapel_socket::Service;
/// assert_eq!(Service::from("8080").port(), Some(8080));
/// assert_eq!(Service::from(443).port(), Some(443));
/// assert_eq!(Service::from("http").port(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service<'a> {
    /// A service name or a decimal port number.
    Name(&'a str),
    /// A port.
    Port(u16),
}

impl Service<'_> {
    /// The port, when it is given as a number (so no service lookup is needed): a `u16`, or
    /// a name of decimal digits only, from 0 to 65535.
    ///
    /// ```
    /// use chapel_socket::Service;
    /// assert_eq!(Service::from("0080").port(), Some(80));
    /// assert_eq!(Service::from("65536").port(), None); // and connect_host refuses it
    /// assert_eq!(Service::from("+80").port(), None); // likewise
    /// ```
    pub fn port(&self) -> Option<u16> {
        match *self {
            Service::Port(p) => Some(p),
            Service::Name(n) if n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok(),
            Service::Name(_) => None,
        }
    }

    /// Why this service cannot be given to `getaddrinfo`: it is empty, or a number that is
    /// not a port. `getaddrinfo` reads any text `strtoul` takes whole as a port — leading
    /// blanks, a sign, more than 16 bits — and keeps the number modulo 65536, so `"65616"`
    /// would dial port 80 and `""` or `"-0"` port 0. `None` for a port or a name.
    fn refusal(&self) -> Option<&'static str> {
        let Service::Name(n) = *self else { return None };
        if n.is_empty() {
            return Some("the service is empty");
        }
        let unsigned = n.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
        let digits = unsigned.strip_prefix(['+', '-']).unwrap_or(unsigned);
        let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        (numeric && self.port().is_none()).then_some("the service is a number but not a port (digits, 0 to 65535)")
    }
}

impl<'a> From<&'a str> for Service<'a> {
    fn from(name: &'a str) -> Service<'a> {
        Service::Name(name)
    }
}

impl<'a> From<&'a String> for Service<'a> {
    fn from(name: &'a String) -> Service<'a> {
        Service::Name(name)
    }
}

impl From<u16> for Service<'_> {
    fn from(port: u16) -> Self {
        Service::Port(port)
    }
}

impl fmt::Display for Service<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Name(n) => f.write_str(n),
            Service::Port(p) => write!(f, "{p}"),
        }
    }
}

/// Chapel's `connect(host, service, family, timeout)` and `connect(host, port, family,
/// timeout)`: resolves `host` and `service` (for `SOCK_STREAM` and `family`;
/// [`IPFamily::IPUnspec`] takes both) and connects to each address in the resolver's order
/// until one accepts.
///
/// The timeout applies to **each address** in turn, as Chapel documents ("time to wait for
/// each possible connection"), so with `n` addresses the call may take up to `n` times
/// `timeout`.
///
/// A numeric host with a numeric service (or port) is connected to directly: no
/// `getaddrinfo`, so no resolver file (`/etc/hosts`, `nsswitch.conf`) is read; a numeric host
/// with a service name is looked up with `AI_NUMERICHOST`, which reads only the services
/// database. A host written as an IP literal is never looked up as a name: with an unknown
/// scope (`fe80::1%bogus`) it is an error, not a resolver query. A service that is empty or
/// a number outside 0–65535 (`"65536"`, `"-0"`, `" 80"`) is an error before any lookup:
/// `getaddrinfo` would wrap it into some other port. So is a numeric host that is not a whole
/// address (`"127.1"`, `"0x7f.1"`, `"2130706433"`, `"1.2.3"`, which `getaddrinfo` reads as
/// 127.0.0.1 and 1.2.0.3): hosts and ports follow [`IpAddr`]'s grammar everywhere. A resolver failure is an error of op `"getaddrinfo"` with its `EAI_*` code
/// ([`Error::gai_code`]); when every address fails, the error lists each address with its
/// own error ([`Error::attempts`]) — Chapel says "Can't resolve address" for both.
///
/// Syscalls ([contract](crate::syscalls#connect_host)): the resolver's (none for a numeric host
/// and port), then [`connect`]'s for each address tried.
///
#[doc = man_links!(getaddrinfo(3), socket(2), connect(2), ppoll(2))]
///
/// # Errors
/// `InvalidInput`, before any lookup or syscall: a host or service with a NUL byte, an empty
/// service or a numeric one that is not a port, a numeric host that is not a whole address, a NaN timeout, an IP literal that does not
/// parse (unknown scope) or is of the other family. A resolver failure (op `getaddrinfo`,
/// [`Error::gai_code`]); the one address's error, or, when several were tried, an error
/// listing each ([`Error::attempts`]). Messages repeat the host and service with control
/// characters escaped and at most 256 characters of each.
///
/// ```
/// use chapel_socket::{connect_host, listen, IPFamily, INDEFINITE_TIMEOUT};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let port = server.addr()?.port();
/// let conn = connect_host("127.0.0.1", port, IPFamily::IPv4, INDEFINITE_TIMEOUT)?;
/// assert_eq!(conn.addr()?.port(), port);
/// let conn = connect_host("localhost", &port.to_string(), IPFamily::IPv4, 4.0)?;
/// assert_eq!(conn.addr()?.host(), "127.0.0.1");
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn connect_host<'a>(
    host: &str,
    service: impl Into<Service<'a>>,
    family: IPFamily,
    timeout: impl Into<Timeout>,
) -> Result<TcpConn> {
    let service = service.into();
    let named = Target::Host(format!("{}:{}", echo(host), echo(&service.to_string())));
    let invalid = |why: &str| Error::at(Op::Connect, &named, Cause::Invalid(why.into()));
    let c_host = CString::new(host).map_err(|_| invalid("the host contains a NUL byte"))?;
    let c_service = CString::new(service.to_string()).map_err(|_| invalid("the service contains a NUL byte"))?;
    if let Some(why) = service.refusal() {
        return Err(invalid(why));
    }
    if is_numeric_but_not_literal(host) {
        return Err(invalid("a numeric host must be a whole IPv4 or IPv6 address (as 127.0.0.1), not a short form"));
    }
    let timeout = timeout.into().check().map_err(|nan| Error::at(Op::Connect, &named, nan.into()))?;
    let numeric = is_literal(host);
    if numeric {
        // Checks the scope and the family too, with the address parser's message.
        let address = IpAddr::create(host, service.port().unwrap_or(0), family)?;
        if service.port().is_some() {
            return connect_to(&address, timeout);
        }
    }
    let query = sys::resolve::Query {
        host: &c_host,
        service: &c_service,
        family: match family {
            IPFamily::IPv4 => Some(Domain::Ipv4),
            IPFamily::IPv6 => Some(Domain::Ipv6),
            IPFamily::IPUnspec => None,
        },
        socktype: SockType::Stream,
        numeric_host: numeric,
        numeric_service: service.port().is_some(),
    };
    let addresses = sys::resolve::resolve(&query).map_err(|g| Error::at(Op::GetAddrInfo, &named, Cause::Resolve(g)))?;
    connect_each(addresses.into_iter().map(IpAddr::from), timeout, named)
}

/// Connects to each address in turn, giving each the whole `timeout`, until one accepts; the
/// error of a single address as it is, of several as the list of them all.
fn connect_each(addresses: impl IntoIterator<Item = IpAddr>, timeout: Timeout, named: Target) -> Result<TcpConn> {
    let mut failures = Vec::new();
    for address in addresses {
        match connect_to(&address, timeout) {
            Ok(conn) => return Ok(conn),
            Err(e) => failures.push(e),
        }
    }
    match failures.len() {
        0 => {
            Err(Error::new(Op::Connect, named, Cause::Invalid("the resolver returned no IPv4 or IPv6 address".into())))
        }
        1 => Err(failures.remove(0)),
        _ => Err(Error::new(Op::Connect, named, Cause::AllFailed(failures))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcp::listen;
    use std::io::ErrorKind;
    use std::time::{Duration, Instant};

    /// A listener that never accepts, its queue filled, so one more connect times out; with
    /// the connections that fill it.
    fn full_listener() -> (IpAddr, Vec<TcpConn>, crate::tcp::TcpListener) {
        let listener = listen(&"127.0.0.1:0".parse().unwrap(), true, 0).unwrap();
        let address = listener.addr().unwrap();
        let mut queued = Vec::new();
        for _ in 0..64 {
            match connect_to(&address, Timeout::from(0.2)) {
                Ok(conn) => queued.push(conn),
                Err(e) if e.kind() == ErrorKind::TimedOut => return (address, queued, listener),
                Err(e) => panic!("filling the queue: {e}"),
            }
        }
        panic!("64 connects and the accept queue of {address} is still not full");
    }

    #[test]
    fn the_timeout_applies_to_each_address() {
        let (first, _q1, _l1) = full_listener();
        let (second, _q2, _l2) = full_listener();
        let timeout = Duration::from_millis(250);
        let start = Instant::now();
        let err = connect_each([first, second], timeout.into(), Target::Host("both:0".into())).unwrap_err();
        let elapsed = start.elapsed();
        assert!(elapsed >= 2 * timeout, "two addresses gave up after {elapsed:?}");
        assert!(elapsed < 2 * timeout + Duration::from_secs(4), "two addresses took {elapsed:?}");
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        let tried: Vec<_> = err.attempts().iter().map(|e| e.address()).collect();
        assert_eq!(tried, [Some(first), Some(second)]);
        assert!(err.to_string().starts_with("connect both:0: every address failed (connect to 127.0.0.1:"), "{err}");
    }

    #[test]
    fn the_first_address_that_accepts_wins() {
        let (full, _queued, _listener) = full_listener();
        let open = listen(&"127.0.0.1:0".parse().unwrap(), true, 16).unwrap();
        let conn = connect_each([full, open.addr().unwrap()], Timeout::from(0.1), Target::None).unwrap();
        assert_eq!(conn.addr().unwrap(), open.addr().unwrap());
        let err = connect_each([], Timeout::from(0.1), Target::None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
