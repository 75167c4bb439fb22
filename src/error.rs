//! [`Error`]: what failed (the operation), where (address, host or option), and why (the OS
//! error, the resolver's `EAI_*` code, a timeout, or bad input).

use std::fmt;
use std::io;

use crate::addr::IpAddr;
use crate::sys::resolve::GaiError;
use crate::timeout::Timeout;

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// A failed socket operation.
///
/// ```
/// use chapel_socket::{connect, IpAddr, IPFamily, INDEFINITE_TIMEOUT};
/// use std::io::ErrorKind;
/// // Port 1 on loopback is closed on any sane machine.
/// let err = connect(&IpAddr::create("127.0.0.1", 1, IPFamily::IPv4)?, INDEFINITE_TIMEOUT).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
/// assert_eq!(err.op(), "connect");
/// assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
/// assert!(err.to_string().starts_with("connect to 127.0.0.1:1: "));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Debug)]
pub struct Error {
    op: &'static str,
    target: Target,
    cause: Cause,
}

/// Where an operation was aimed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    None,
    Addr(IpAddr),
    /// A host (and service) as the caller wrote it.
    Host(String),
    /// A socket option, by level and name.
    Opt(libc::c_int, libc::c_int),
}

/// Why it failed.
#[derive(Debug)]
pub(crate) enum Cause {
    Os(io::Error),
    Resolve(GaiError),
    TimedOut(Timeout),
    Closed,
    Invalid(String),
    /// A datagram of `len` bytes arrived for a buffer of `capacity`.
    Truncated {
        len: usize,
        capacity: usize,
    },
    /// Each address tried, with its own error.
    AllFailed(Vec<Error>),
}

impl Error {
    pub(crate) fn new(op: &'static str, target: Target, cause: Cause) -> Error {
        Error { op, target, cause }
    }

    /// A mapper from an OS error of `op` aimed at `target`, for `map_err`.
    pub(crate) fn os<'t>(op: &'static str, target: &'t Target) -> impl FnOnce(io::Error) -> Error + 't {
        move |e| Error::new(op, target.clone(), Cause::Os(e))
    }

    /// The operation that failed, named after its syscall or Chapel procedure: `"connect"`,
    /// `"accept"`, `"getaddrinfo"`, `"setsockopt"`, `"parse address"`…
    pub fn op(&self) -> &str {
        self.op
    }

    /// The address the operation was aimed at, when it had one.
    pub fn address(&self) -> Option<IpAddr> {
        match self.target {
            Target::Addr(a) => Some(a),
            _ => None,
        }
    }

    /// The category, as `std::io` names it: `TimedOut` for an expired timeout,
    /// `InvalidInput` for bad arguments or a closed socket, `InvalidData` for a truncated
    /// datagram, the errno's own kind for OS errors.
    pub fn kind(&self) -> io::ErrorKind {
        match &self.cause {
            Cause::Os(e) => e.kind(),
            Cause::Resolve(g) => gai_kind(g),
            Cause::TimedOut(_) => io::ErrorKind::TimedOut,
            Cause::Closed | Cause::Invalid(_) => io::ErrorKind::InvalidInput,
            Cause::Truncated { .. } => io::ErrorKind::InvalidData,
            Cause::AllFailed(all) => all.last().map_or(io::ErrorKind::NotFound, Error::kind),
        }
    }

    /// The OS error number, when the failure came from the kernel (for a resolver failure,
    /// the `errno` behind `EAI_SYSTEM`; for several attempts, the last one's).
    pub fn raw_os_error(&self) -> Option<i32> {
        match &self.cause {
            Cause::Os(e) => e.raw_os_error(),
            Cause::Resolve(g) => g.errno,
            Cause::AllFailed(all) => all.last().and_then(Error::raw_os_error),
            _ => None,
        }
    }

    /// The resolver's `EAI_*` code, when `getaddrinfo` failed.
    ///
    /// ```
    /// use chapel_socket::{connect_host, IPFamily, INDEFINITE_TIMEOUT};
    /// let err = connect_host("no-such-host.invalid", 80, IPFamily::IPUnspec, INDEFINITE_TIMEOUT).unwrap_err();
    /// assert!(err.gai_code().is_some());
    /// ```
    pub fn gai_code(&self) -> Option<i32> {
        match &self.cause {
            Cause::Resolve(g) => Some(g.code),
            _ => None,
        }
    }

    /// Every address a multi-address connect tried, each with its own error; empty for
    /// other errors.
    pub fn attempts(&self) -> &[Error] {
        match &self.cause {
            Cause::AllFailed(all) => all,
            _ => &[],
        }
    }

    /// Whether the operation was refused because the socket had been closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.cause, Cause::Closed)
    }
}

fn gai_kind(g: &GaiError) -> io::ErrorKind {
    match g.code {
        libc::EAI_SYSTEM => g.errno.map_or(io::ErrorKind::Other, |e| io::Error::from_raw_os_error(e).kind()),
        libc::EAI_MEMORY => io::ErrorKind::OutOfMemory,
        libc::EAI_FAMILY | libc::EAI_SOCKTYPE | libc::EAI_BADFLAGS => io::ErrorKind::InvalidInput,
        libc::EAI_AGAIN => io::ErrorKind::Other,
        _ => io::ErrorKind::NotFound,
    }
}

impl fmt::Display for Error {
    /// `connect to 127.0.0.1:1: Connection refused (os error 111)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.op)?;
        match &self.target {
            Target::None => {}
            Target::Addr(a) => {
                let joiner = match self.op {
                    "connect" | "bind" | "send" => "to",
                    "recvfrom" => "from",
                    _ => "on",
                };
                write!(f, " {joiner} {a}")?;
            }
            Target::Host(h) => write!(f, " {h}")?,
            Target::Opt(level, name) => write!(f, " (level {level}, option {name})")?,
        }
        f.write_str(": ")?;
        match &self.cause {
            Cause::Os(e) => write!(f, "{e}"),
            Cause::Resolve(g) => write!(f, "{} (EAI code {})", g.message, g.code),
            Cause::TimedOut(t) => write!(f, "timed out after {t}"),
            Cause::Closed => f.write_str("the socket is closed"),
            Cause::Invalid(why) => f.write_str(why),
            Cause::Truncated { len, capacity } => {
                write!(f, "datagram of {len} bytes truncated to the {capacity}-byte buffer")
            }
            Cause::AllFailed(all) => {
                f.write_str("every address failed")?;
                for (i, e) in all.iter().enumerate() {
                    f.write_str(if i == 0 { " (" } else { "; " })?;
                    write!(f, "{e}")?;
                }
                if all.is_empty() { Ok(()) } else { f.write_str(")") }
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Cause::Os(e) => Some(e),
            Cause::AllFailed(all) => all.last().map(|e| e as _),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    /// An OS error becomes that errno (same kind, same `raw_os_error`); any other error keeps
    /// its kind and its message.
    fn from(e: Error) -> io::Error {
        match e.cause {
            Cause::Os(os) => os,
            _ => io::Error::new(e.kind(), e),
        }
    }
}
