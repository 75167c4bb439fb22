//! [`Error`]: what failed (the operation), where (address, host or option), and why (the OS
//! error, the resolver's `EAI_*` code, a timeout, or bad input).

use std::fmt;
use std::io;
use std::os::fd::RawFd;

use crate::addr::IPFamily;
use crate::addr::IpAddr;
use crate::addr::UnixAddr;
use crate::sys::resolve::GaiError;
use crate::timeout::Timeout;

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// A failed socket operation: which operation ([`op`](Error::op)), on what (an address, a
/// Unix name, an option), and why (the OS error, a resolver code, or invalid input, before
/// any syscall). Its methods read what it holds and make no syscall.
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
///
/// Its `Debug` names the kind and the message, as `std::io::Error`'s does, so a `main` that
/// returns `Result<(), Box<dyn Error>>` prints
/// `Error { op: "connect", kind: ConnectionRefused, code: 111, message: "connect to 127.0.0.1:1: Connection refused (os error 111)" }`.
pub struct Error(Box<Inner>);

/// What an [`Error`] holds, boxed so a `Result` of the crate stays two words wide on the paths
/// where nothing failed.
#[derive(Debug)]
struct Inner {
    op: Op,
    target: Target,
    cause: Cause,
}

/// The operations an error can name: each knows the name [`Error::op`] reports (its
/// syscall's, or Chapel's for what is not one) and how its message joins the address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Accept,
    /// Borrowing the descriptor (`try_as_fd`).
    AsFd,
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
    /// Adopting a descriptor (`TryFrom<OwnedFd>` and the `std` conversions): checking what
    /// kind of socket it is.
    FromFd,
    /// Handing the descriptor over (`OwnedFd` and `std` conversions).
    IntoFd,
    Listen,
    ParseAddress,
    /// A receive that leaves the data queued (`MSG_PEEK`).
    Peek,
    Poll,
    Recv,
    /// A receive of TCP's urgent byte (`MSG_OOB`).
    RecvOob,
    RecvFrom,
    /// `recvmsg(2)`: one datagram with its control data.
    RecvMsg,
    /// `recvmmsg(2)`: a batch of datagrams.
    RecvMmsg,
    Send,
    /// A send of TCP's urgent byte (`MSG_OOB`).
    SendOob,
    /// `sendmsg(2)`: data with control messages (an address, descriptors).
    SendMsg,
    /// `sendmmsg(2)`: a batch of datagrams.
    SendMmsg,
    /// `ioctl(FIONBIO)`.
    SetNonblocking,
    SetSockOpt,
    Shutdown,
    Socket,
    SocketPair,
    /// `fcntl(F_DUPFD_CLOEXEC)`: a second handle (`try_clone`).
    TryClone,
}

impl Op {
    /// The name [`Error::op`] reports.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Op::Accept => "accept",
            Op::AsFd => "as fd",
            Op::Bind => "bind",
            Op::Close => "close",
            Op::Connect => "connect",
            Op::ConnectError => "getsockopt(SO_ERROR)",
            Op::GetAddrInfo => "getaddrinfo",
            Op::GetPeerCred => "getsockopt(SO_PEERCRED)",
            Op::GetPeerName => "getpeername",
            Op::GetSockName => "getsockname",
            Op::GetSockOpt => "getsockopt",
            Op::FromFd => "from fd",
            Op::IntoFd => "into fd",
            Op::Listen => "listen",
            Op::ParseAddress => "parse address",
            Op::Peek => "recv(MSG_PEEK)",
            Op::Poll => "poll",
            Op::Recv => "recv",
            Op::RecvOob => "recv(MSG_OOB)",
            Op::RecvFrom => "recvfrom",
            Op::RecvMsg => "recvmsg",
            Op::RecvMmsg => "recvmmsg",
            Op::Send => "send",
            Op::SendOob => "send(MSG_OOB)",
            Op::SendMsg => "sendmsg",
            Op::SendMmsg => "sendmmsg",
            Op::SetNonblocking => "ioctl(FIONBIO)",
            Op::SetSockOpt => "setsockopt",
            Op::Shutdown => "shutdown",
            Op::Socket => "socket",
            Op::SocketPair => "socketpair",
            Op::TryClone => "fcntl(F_DUPFD_CLOEXEC)",
        }
    }

    /// How the message joins an address: `connect to …`, `recvfrom from …`, `accept on …`.
    const fn preposition(self) -> &'static str {
        match self {
            Op::Connect | Op::Bind | Op::Send | Op::SendOob | Op::SendMsg | Op::SendMmsg => "to",
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
    /// The socket's own address (a UDP socket's, from `getsockname` on the error path).
    Local(IpAddr),
    /// The socket's own address and the peer's (a UDP send, a datagram's sender).
    Between {
        local: IpAddr,
        peer: IpAddr,
    },
    /// A Unix-domain socket's name.
    Unix(UnixAddr),
    /// A host (and service) as the caller wrote it.
    Host(String),
    /// The family a socket was asked for.
    Family(IPFamily),
    /// A socket option, by level and name.
    Opt(i32, i32),
    /// A descriptor that need not be a socket (one [`wait_readable`](crate::wait_readable)
    /// waits on).
    Fd(RawFd),
}

/// Why it failed.
#[derive(Debug)]
pub(crate) enum Cause {
    Os(io::Error),
    Resolve(GaiError),
    TimedOut(Timeout),
    Closed,
    Invalid(String),
    /// A datagram of `len` bytes arrived for a buffer of `capacity` (`None`: of more than
    /// `capacity`, when the receive could not learn its length without trusting a count that
    /// is not one of bytes written; see `sys::socket::recv_appending`).
    Truncated {
        len: Option<usize>,
        capacity: usize,
    },
    /// Each address tried, with its own error.
    AllFailed(Vec<Error>),
    /// A send of the whole (`send_all`) stopped by `cause` once `sent` of its `total` bytes
    /// had gone: the error is `cause`'s, and its message says how far the send got.
    Partial {
        sent: usize,
        total: usize,
        cause: Box<Cause>,
    },
    /// A feature this kernel or platform lacks (named), with the kernel's refusal if it gave one.
    Unsupported(&'static str, Option<io::Error>),
}

impl From<crate::timeout::NanTimeout> for Cause {
    fn from(_: crate::timeout::NanTimeout) -> Cause {
        Cause::Invalid("the timeout is NaN, not a number of seconds".into())
    }
}
impl Error {
    /// Errors are the cold path: kept out of line, so the calls that can fail stay small.
    #[cold]
    #[inline(never)]
    pub(crate) fn new(op: Op, target: Target, cause: Cause) -> Error {
        Error(Box::new(Inner { op, target, cause }))
    }

    /// An error of `op` aimed at a copy of `target`: [`new`](Error::new) with the clone made
    /// out of line too, so a call site that can fail in several ways holds one call per way
    /// rather than a copy of `Target`'s clone each.
    #[cold]
    #[inline(never)]
    pub(crate) fn at(op: Op, target: &Target, cause: Cause) -> Error {
        Error::new(op, target.clone(), cause)
    }

    /// A mapper from an OS error of `op` aimed at `target`, for `map_err`.
    pub(crate) fn os<'t>(op: Op, target: &'t Target) -> impl FnOnce(io::Error) -> Error + 't {
        move |e| Error::os_at(op, target, e)
    }

    /// [`os`](Error::os)'s error, made out of line: a call site hands over the `io::Error`
    /// alone, not a `Cause` it has built.
    #[cold]
    #[inline(never)]
    fn os_at(op: Op, target: &Target, e: io::Error) -> Error {
        Error::at(op, target, Cause::Os(e))
    }

    /// The operation that failed, named after its syscall or Chapel procedure: `"connect"`,
    /// `"accept"`, `"getaddrinfo"`, `"setsockopt"`, `"parse address"`…
    pub fn op(&self) -> &str {
        self.0.op.name()
    }

    /// The address the message names: the one the operation was aimed at (a connect's or a
    /// send's destination, a connection's peer, a datagram's sender), or, when there is none,
    /// the socket's own (a listener's for `accept`, a UDP socket's for a receive).
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// let err = socket.recv(64, 0.0).unwrap_err();
    /// assert_eq!(err.address(), Some(socket.addr()?));
    /// assert!(err.to_string().starts_with(&format!("recv on {}: timed out", socket.addr()?)));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn address(&self) -> Option<IpAddr> {
        match self.0.target {
            Target::Addr(a) | Target::Local(a) | Target::Between { peer: a, .. } => Some(a),
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
        match &self.0.target {
            Target::Unix(a) => Some(a),
            _ => None,
        }
    }

    /// The category, as `std::io` names it: `TimedOut` for an expired timeout,
    /// `InvalidInput` for bad arguments or a closed socket, `InvalidData` for a truncated
    /// datagram, the errno's own kind for OS errors.
    pub fn kind(&self) -> io::ErrorKind {
        self.0.cause.kind()
    }

    /// The OS error number, when the failure came from the kernel (for a resolver failure,
    /// the `errno` behind `EAI_SYSTEM`; for several attempts, the last one's).
    pub fn raw_os_error(&self) -> Option<i32> {
        self.0.cause.raw_os_error()
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
        match &self.0.cause {
            Cause::Resolve(g) => Some(g.code),
            _ => None,
        }
    }

    /// Every address a multi-address connect tried, each with its own error; empty for
    /// other errors.
    pub fn attempts(&self) -> &[Error] {
        match &self.0.cause {
            Cause::AllFailed(all) => all,
            _ => &[],
        }
    }

    /// Whether the operation was refused because the socket had been closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.0.cause, Cause::Closed)
    }
}

impl fmt::Debug for Error {
    /// `Error { op: "connect", kind: ConnectionRefused, code: 111, message: "connect to …" }`:
    /// what a program that returns the error from `main` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("op", &self.op()).field("kind", &self.kind());
        if let Some(code) = self.raw_os_error() {
            d.field("code", &code);
        }
        if let Some(code) = self.gai_code() {
            d.field("gai_code", &code);
        }
        d.field("message", &self.to_string()).finish()
    }
}

impl fmt::Display for Error {
    /// `connect to 127.0.0.1:1: Connection refused (os error 111)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.op.name())?;
        match &self.0.target {
            Target::None => {}
            Target::Addr(a) => write!(f, " {} {a}", self.0.op.preposition())?,
            Target::Local(a) => write!(f, " on {a}")?,
            Target::Between { local, peer } => write!(f, " on {local} {} {peer}", self.0.op.preposition())?,
            Target::Unix(a) => write!(f, " {} {a}", self.0.op.preposition())?,
            Target::Host(h) => {
                f.write_str(" ")?;
                f.write_str(h)?;
            }
            Target::Family(family) => write!(f, " ({family})")?,
            Target::Opt(level, name) => write!(f, " (level {level}, option {name})")?,
            Target::Fd(fd) => write!(f, " on fd {fd}")?,
        }
        f.write_str(": ")?;
        // Handed `f` itself: no `Cause` (nor `Timeout`) reads its flags, so the text is
        // `write!`'s, without the formatting machinery every error message would carry.
        fmt::Display::fmt(&self.0.cause, f)
    }
}

impl Cause {
    /// The category [`Error::kind`] reports.
    fn kind(&self) -> io::ErrorKind {
        match self {
            Cause::Os(e) => e.kind(),
            Cause::Resolve(g) => g.kind(),
            Cause::TimedOut(_) => io::ErrorKind::TimedOut,
            Cause::Closed | Cause::Invalid(_) => io::ErrorKind::InvalidInput,
            Cause::Truncated { .. } => io::ErrorKind::InvalidData,
            Cause::Unsupported(..) => io::ErrorKind::Unsupported,
            Cause::AllFailed(all) => all.last().map_or(io::ErrorKind::NotFound, Error::kind),
            Cause::Partial { cause, .. } => cause.kind(),
        }
    }

    /// The OS error number [`Error::raw_os_error`] reports.
    fn raw_os_error(&self) -> Option<i32> {
        match self {
            Cause::Os(e) | Cause::Unsupported(_, Some(e)) => e.raw_os_error(),
            Cause::Resolve(g) => g.errno,
            Cause::AllFailed(all) => all.last().and_then(Error::raw_os_error),
            Cause::Partial { cause, .. } => cause.raw_os_error(),
            _ => None,
        }
    }

    /// The error underneath, for [`std::error::Error::source`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Cause::Os(e) | Cause::Unsupported(_, Some(e)) => Some(e),
            Cause::AllFailed(all) => all.last().map(|e| e as _),
            Cause::Partial { cause, .. } => cause.source(),
            _ => None,
        }
    }
}

impl fmt::Display for Cause {
    /// The part of an error's message after the operation and its target.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Os(e) => write!(f, "{e}"),
            Cause::Resolve(g) => match g.errno {
                Some(errno) => {
                    write!(f, "{} (EAI code {}): {}", g.message, g.code, io::Error::from_raw_os_error(errno))
                }
                None => write!(f, "{} (EAI code {})", g.message, g.code),
            },
            Cause::TimedOut(t) => {
                f.write_str("timed out after ")?;
                fmt::Display::fmt(t, f)
            }
            Cause::Closed => f.write_str("the socket is closed"),
            Cause::Invalid(why) => f.write_str(why),
            Cause::Unsupported(what, None) => write!(f, "{what} is not supported on this platform"),
            Cause::Unsupported(what, Some(e)) => write!(f, "{what} is not supported by this kernel ({e})"),
            Cause::Truncated { len: Some(len), capacity } => {
                write!(f, "datagram of {len} bytes truncated to the {capacity}-byte buffer")
            }
            Cause::Truncated { len: None, capacity } => {
                write!(f, "datagram of more than {capacity} bytes truncated to the {capacity}-byte buffer")
            }
            Cause::AllFailed(all) => {
                f.write_str("every address failed")?;
                for (i, e) in all.iter().enumerate() {
                    f.write_str(if i == 0 { " (" } else { "; " })?;
                    write!(f, "{e}")?;
                }
                if all.is_empty() { Ok(()) } else { f.write_str(")") }
            }
            Cause::Partial { sent, total, cause } => write!(f, "{cause}; {sent} of {total} bytes were sent"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.cause.source()
    }
}

impl From<Error> for io::Error {
    /// Wraps the error whole: the `io::Error` has the same [`kind`](Error::kind) (so `std`'s
    /// `read_exact` and `write_all` still retry an `Interrupted` and see a `WouldBlock`) and
    /// the same message, operation and address included. Its own `raw_os_error()` is `None`,
    /// as for any `io::Error::new`; the errno, the `EAI_*` code and the attempts are on the
    /// [`Error`] inside, reached by downcasting.
    ///
    /// ```
    /// use chapel_socket::{connect, IpAddr, INDEFINITE_TIMEOUT};
    /// use std::io::ErrorKind;
    /// fn dial(to: &IpAddr) -> std::io::Result<chapel_socket::TcpConn> {
    ///     Ok(connect(to, INDEFINITE_TIMEOUT)?)
    /// }
    /// let err = dial(&"127.0.0.1:1".parse()?).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    /// assert!(err.to_string().starts_with("connect to 127.0.0.1:1: "));
    /// let inner = err.get_ref().and_then(|e| e.downcast_ref::<chapel_socket::Error>()).unwrap();
    /// assert_eq!(inner.raw_os_error(), Some(chapel_socket::ECONNREFUSED));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    #[cold]
    fn from(e: Error) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

/// What `format!` makes, written through the same `String` writer as `to_string` (which every
/// error's `Debug` uses). `format!` brings `alloc`'s own writer and an inlined fast path
/// besides: 1.2 KB more in the smallest program that parses an address, so the messages on
/// that path (parsing, [`echo_quoted`]) are built with this.
pub(crate) fn formatted(args: fmt::Arguments<'_>) -> String {
    let mut out = String::new();
    fmt::Write::write_fmt(&mut out, args).expect("a Display implementation returned an error unexpectedly");
    out
}

/// How many characters of a caller's text an error message repeats.
const ECHO_LIMIT: usize = 256;

/// A caller's text as an error message repeats it: control characters (NUL, ESC…) and other
/// unprintable ones escaped as Rust writes them (`\0`, `\u{1b}`), and at most
/// [`ECHO_LIMIT`] characters, followed by the full length when there were more.
pub(crate) fn echo(text: &str) -> String {
    let (head, total) = capped(text);
    let mut out: String = head.escape_debug().collect();
    if let Some(total) = total {
        out.push_str(&format!("… ({total} characters)"));
    }
    out
}

/// As [`echo`], in double quotes (as `{:?}` writes a string).
pub(crate) fn echo_quoted(text: &str) -> String {
    let (head, total) = capped(text);
    match total {
        Some(total) => formatted(format_args!("{head:?}… ({total} characters)")),
        None => formatted(format_args!("{head:?}")),
    }
}

/// The first [`ECHO_LIMIT`] characters of `text`, and its length in characters when that
/// cut something off.
fn capped(text: &str) -> (&str, Option<usize>) {
    match text.char_indices().nth(ECHO_LIMIT) {
        Some((end, _)) => (&text[..end], Some(text.chars().count())),
        None => (text, None),
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
    fn a_nan_timeout_is_invalid_input_saying_so() {
        let nan = crate::timeout::Timeout::from(f64::NAN).check().unwrap_err();
        assert!(matches!(Cause::from(nan), Cause::Invalid(why) if why.contains("NaN")));
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
        let e = Error::new(Op::RecvFrom, at("10.0.0.1:9"), Cause::Truncated { len: Some(100), capacity: 40 });
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
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        assert!(e.to_string().ends_with(&format!("(EAI code {}): {emfile}", libc::EAI_SYSTEM)), "{e}");
    }

    #[test]
    fn debug_names_the_kind_and_the_message() {
        let e = Error::new(Op::Connect, at("127.0.0.1:1"), Cause::Os(refused()));
        assert_eq!(
            format!("{e:?}"),
            format!(
                "Error {{ op: \"connect\", kind: ConnectionRefused, code: {}, message: \"connect to 127.0.0.1:1: {}\" }}",
                libc::ECONNREFUSED,
                refused()
            )
        );
        let e = Error::new(Op::Accept, at("[::1]:80"), Cause::TimedOut(Timeout::from(0.5)));
        assert_eq!(
            format!("{e:?}"),
            "Error { op: \"accept\", kind: TimedOut, message: \"accept on [::1]:80: timed out after 500ms\" }"
        );
        let gai = GaiError::from_code(libc::EAI_NONAME, None);
        let e = Error::new(Op::GetAddrInfo, Target::Host("h:1".into()), Cause::Resolve(gai));
        assert!(
            format!("{e:?}").contains(&format!("kind: NotFound, gai_code: {}, message: ", libc::EAI_NONAME)),
            "{e:?}"
        );
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
    fn into_io_error_keeps_kind_message_and_the_error_inside() {
        let io_err = io::Error::from(Error::new(Op::Connect, at("127.0.0.1:1"), Cause::Os(refused())));
        assert_eq!(io_err.kind(), io::ErrorKind::ConnectionRefused);
        assert_eq!(io_err.to_string(), format!("connect to 127.0.0.1:1: {}", refused()));
        let inner = io_err.get_ref().and_then(|e| e.downcast_ref::<Error>()).expect("the crate's error inside");
        assert_eq!((inner.raw_os_error(), inner.op()), (Some(libc::ECONNREFUSED), "connect"));
        let io_err = io::Error::from(Error::new(Op::Accept, Target::None, Cause::TimedOut(Timeout::from(0.0))));
        assert_eq!(io_err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(io_err.to_string(), "accept: timed out after 0ns");
        // The kinds std's read_exact and write_all act on survive.
        for errno in [libc::EINTR, libc::EAGAIN] {
            let os = io::Error::from_raw_os_error(errno);
            let kind = os.kind();
            assert_eq!(io::Error::from(Error::new(Op::Recv, Target::None, Cause::Os(os))).kind(), kind);
        }
        let attempts = Error::new(
            Op::Connect,
            Target::Host("h:1".into()),
            Cause::AllFailed(vec![Error::new(Op::Connect, at("127.0.0.1:1"), Cause::Os(refused()))]),
        );
        let io_err = io::Error::from(attempts);
        let inner = io_err.into_inner().unwrap().downcast::<Error>().unwrap();
        assert_eq!(inner.attempts().len(), 1);
    }

    #[test]
    fn local_and_peer_targets() {
        let local: IpAddr = "127.0.0.1:5000".parse().unwrap();
        let peer: IpAddr = "127.0.0.1:6000".parse().unwrap();
        let e = Error::new(Op::RecvFrom, Target::Local(local), Cause::TimedOut(Timeout::from(0.5)));
        assert_eq!(e.to_string(), "recvfrom on 127.0.0.1:5000: timed out after 500ms");
        assert_eq!(e.address(), Some(local));
        let e =
            Error::new(Op::RecvFrom, Target::Between { local, peer }, Cause::Truncated { len: Some(9), capacity: 4 });
        assert_eq!(
            e.to_string(),
            "recvfrom on 127.0.0.1:5000 from 127.0.0.1:6000: datagram of 9 bytes truncated to the 4-byte buffer"
        );
        assert_eq!(e.address(), Some(peer));
        let e = Error::new(Op::Send, Target::Between { local, peer }, Cause::Os(refused()));
        assert!(e.to_string().starts_with("send on 127.0.0.1:5000 to 127.0.0.1:6000: "), "{e}");
    }

    #[test]
    fn echoed_text_is_escaped_and_capped() {
        assert_eq!(echo("localhost"), "localhost");
        assert_eq!(echo("a\0b\u{1b}[31mc\n"), "a\\0b\\u{1b}[31mc\\n");
        assert_eq!(echo_quoted("a\0b"), "\"a\\0b\"");
        let long = "x".repeat(100_000);
        assert_eq!(echo(&long), format!("{}… (100000 characters)", "x".repeat(ECHO_LIMIT)));
        assert_eq!(echo_quoted(&long), format!("\"{}\"… (100000 characters)", "x".repeat(ECHO_LIMIT)));
        assert_eq!(echo(&"y".repeat(ECHO_LIMIT)), "y".repeat(ECHO_LIMIT));
        // Characters, not bytes, are counted, and a cut never splits one.
        let wide = "é".repeat(300);
        assert_eq!(echo(&wide), format!("{}… (300 characters)", "é".repeat(ECHO_LIMIT)));
        // Whatever the input, nothing a terminal acts on gets through.
        let nasty: String = (0u32..0x100).filter_map(char::from_u32).collect();
        assert!(!echo(&nasty).chars().any(char::is_control));
    }
}
