//! [`Error`]: what failed (the operation), where (address, host or option), and why (the OS
//! error, the resolver's `EAI_*` code, a timeout, or bad input).

use std::fmt;
use std::io;

use crate::addr::IpAddr;
use crate::family::IPFamily;
use crate::sys::resolve::GaiError;
use crate::timeout::Timeout;
use crate::unix::UnixAddr;

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
/// assert!(err.raw_os_error().is_some()); // ECONNREFUSED
/// assert!(err.to_string().starts_with("connect to 127.0.0.1:1: "));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Debug)]
pub struct Error {
    op: Op,
    target: Target,
    cause: Cause,
}

/// The operations an error can name: each knows the name [`Error::op`] reports (its
/// syscall's, or Chapel's for what is not one) and how its message joins the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Accept,
    Bind,
    Close,
    Connect,
    /// Reading `SO_ERROR` after a connect's wait.
    ConnectError,
    GetAddrInfo,
    /// Reading `SO_PEERCRED`.
    GetPeerCred,
    GetPeerName,
    GetSockName,
    GetSockOpt,
    /// Handing the descriptor over (`OwnedFd` and `std` conversions).
    IntoFd,
    Listen,
    ParseAddress,
    Poll,
    Recv,
    RecvFrom,
    Send,
    /// `sendmsg`, with control messages (descriptors).
    SendMsg,
    /// `recvmsg`, with control messages (descriptors).
    RecvMsg,
    /// `ioctl(FIONBIO)`.
    SetNonblocking,
    SetSockOpt,
    Shutdown,
    Socket,
    SocketPair,
}

impl Op {
    /// The name [`Error::op`] reports.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Op::Accept => "accept",
            Op::Bind => "bind",
            Op::Close => "close",
            Op::Connect => "connect",
            Op::ConnectError => "getsockopt(SO_ERROR)",
            Op::GetAddrInfo => "getaddrinfo",
            Op::GetPeerCred => "getsockopt(SO_PEERCRED)",
            Op::GetPeerName => "getpeername",
            Op::GetSockName => "getsockname",
            Op::GetSockOpt => "getsockopt",
            Op::IntoFd => "into fd",
            Op::Listen => "listen",
            Op::ParseAddress => "parse address",
            Op::Poll => "poll",
            Op::Recv => "recv",
            Op::RecvFrom => "recvfrom",
            Op::Send => "send",
            Op::SendMsg => "sendmsg",
            Op::RecvMsg => "recvmsg",
            Op::SetNonblocking => "ioctl(FIONBIO)",
            Op::SetSockOpt => "setsockopt",
            Op::Shutdown => "shutdown",
            Op::Socket => "socket",
            Op::SocketPair => "socketpair",
        }
    }

    /// How the message joins an address: `connect to …`, `recvfrom from …`, `accept on …`.
    const fn preposition(self) -> &'static str {
        match self {
            Op::Connect | Op::Bind | Op::Send | Op::SendMsg => "to",
            Op::RecvFrom | Op::RecvMsg => "from",
            _ => "on",
        }
    }
}

/// Where an operation was aimed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    None,
    Addr(IpAddr),
    /// A Unix-domain socket's name.
    Unix(UnixAddr),
    /// A host (and service) as the caller wrote it.
    Host(String),
    /// The family a socket was asked for.
    Family(IPFamily),
    /// A socket option, by level and name.
    Opt(i32, i32),
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
    pub(crate) fn new(op: Op, target: Target, cause: Cause) -> Error {
        Error { op, target, cause }
    }

    /// A mapper from an OS error of `op` aimed at `target`, for `map_err`.
    pub(crate) fn os<'t>(op: Op, target: &'t Target) -> impl FnOnce(io::Error) -> Error + 't {
        move |e| Error::new(op, target.clone(), Cause::Os(e))
    }

    /// The operation that failed, named after its syscall or Chapel procedure: `"connect"`,
    /// `"accept"`, `"getaddrinfo"`, `"setsockopt"`, `"parse address"`…
    pub fn op(&self) -> &str {
        self.op.name()
    }

    /// The address the operation was aimed at, when it had one.
    pub fn address(&self) -> Option<IpAddr> {
        match self.target {
            Target::Addr(a) => Some(a),
            _ => None,
        }
    }

    /// The Unix-domain address the operation was aimed at, when it had one.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixStream};
    /// let nobody = UnixAddr::from_path("/nonexistent/chapel-socket.sock")?;
    /// let err = UnixStream::connect(&nobody, 1.0).unwrap_err();
    /// assert_eq!(err.unix_address(), Some(&nobody));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn unix_address(&self) -> Option<&UnixAddr> {
        match &self.target {
            Target::Unix(a) => Some(a),
            _ => None,
        }
    }

    /// The category, as `std::io` names it: `TimedOut` for an expired timeout,
    /// `InvalidInput` for bad arguments or a closed socket, `InvalidData` for a truncated
    /// datagram, the errno's own kind for OS errors.
    pub fn kind(&self) -> io::ErrorKind {
        match &self.cause {
            Cause::Os(e) => e.kind(),
            Cause::Resolve(g) => g.kind(),
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
    /// // A name with a space fails inside the resolver, before any query leaves the machine.
    /// let err = connect_host("no such host.invalid", 80, IPFamily::IPUnspec, INDEFINITE_TIMEOUT).unwrap_err();
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

impl fmt::Display for Error {
    /// `connect to 127.0.0.1:1: Connection refused (os error 111)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.op.name())?;
        match &self.target {
            Target::None => {}
            Target::Addr(a) => write!(f, " {} {a}", self.op.preposition())?,
            Target::Unix(a) => write!(f, " {} {a}", self.op.preposition())?,
            Target::Host(h) => write!(f, " {h}")?,
            Target::Family(family) => write!(f, " ({family})")?,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Target {
        Target::Addr(text.parse().unwrap())
    }

    fn refused() -> io::Error {
        io::Error::from_raw_os_error(libc::ECONNREFUSED)
    }

    #[test]
    fn os_errors_name_operation_address_and_errno() {
        let e = Error::new(Op::Connect, at("127.0.0.1:1"), Cause::Os(refused()));
        let expected = format!("connect to 127.0.0.1:1: {}", refused());
        assert_eq!(e.to_string(), expected);
        assert!(expected.ends_with(&format!("(os error {})", libc::ECONNREFUSED)));
        assert_eq!(
            (e.op(), e.kind(), e.raw_os_error()),
            ("connect", io::ErrorKind::ConnectionRefused, Some(libc::ECONNREFUSED))
        );
        assert_eq!(e.address(), Some("127.0.0.1:1".parse().unwrap()));
        assert!(std::error::Error::source(&e).is_some());
        let e = Error::new(Op::Accept, at("[::1]:80"), Cause::TimedOut(Timeout::from(0.5)));
        assert_eq!(e.to_string(), "accept on [::1]:80: timed out after 500ms");
        assert_eq!((e.kind(), e.raw_os_error()), (io::ErrorKind::TimedOut, None));
        let e = Error::new(Op::RecvFrom, at("10.0.0.1:9"), Cause::Truncated { len: 100, capacity: 40 });
        assert_eq!(e.to_string(), "recvfrom from 10.0.0.1:9: datagram of 100 bytes truncated to the 40-byte buffer");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn other_targets_and_causes() {
        let e = Error::new(
            Op::SetSockOpt,
            Target::Opt(1, 12345),
            Cause::Os(io::Error::from_raw_os_error(libc::ENOPROTOOPT)),
        );
        assert!(e.to_string().starts_with("setsockopt (level 1, option 12345): "), "{e}");
        let e = Error::new(Op::Close, Target::None, Cause::Closed);
        assert_eq!(e.to_string(), "close: the socket is closed");
        assert!(e.is_closed());
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let gai = GaiError::from_code(libc::EAI_NONAME, None);
        let e = Error::new(Op::GetAddrInfo, Target::Host("no-such-host.invalid:80".into()), Cause::Resolve(gai));
        assert_eq!(
            e.to_string(),
            format!("getaddrinfo no-such-host.invalid:80: Name or service not known (EAI code {})", libc::EAI_NONAME)
        );
        assert_eq!((e.gai_code(), e.kind(), e.raw_os_error()), (Some(libc::EAI_NONAME), io::ErrorKind::NotFound, None));
        let system = GaiError::from_code(libc::EAI_SYSTEM, Some(libc::EMFILE));
        let e = Error::new(Op::GetAddrInfo, Target::Host("h:1".into()), Cause::Resolve(system));
        assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
    }

    #[test]
    fn every_failed_attempt_is_listed() {
        let one = Error::new(Op::Connect, at("[::1]:8"), Cause::Os(refused()));
        let two = Error::new(Op::Connect, at("127.0.0.1:8"), Cause::TimedOut(Timeout::from(1.0)));
        let e = Error::new(Op::Connect, Target::Host("localhost:8".into()), Cause::AllFailed(vec![one, two]));
        assert_eq!(
            e.to_string(),
            format!(
                "connect localhost:8: every address failed (connect to [::1]:8: {}; connect to 127.0.0.1:8: timed out after 1s)",
                refused()
            )
        );
        assert_eq!(e.attempts().len(), 2);
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(e.address(), None);
    }

    #[test]
    fn into_io_error_keeps_kind_and_errno() {
        let io_err = io::Error::from(Error::new(Op::Connect, at("127.0.0.1:1"), Cause::Os(refused())));
        assert_eq!(
            (io_err.kind(), io_err.raw_os_error()),
            (io::ErrorKind::ConnectionRefused, Some(libc::ECONNREFUSED))
        );
        let io_err = io::Error::from(Error::new(Op::Accept, Target::None, Cause::TimedOut(Timeout::from(0.0))));
        assert_eq!(io_err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(io_err.to_string(), "accept: timed out after 0ns");
    }
}
