//! Chapel's `setSockOpt` / `getSockOpt`: raw `(level, optname, value)` access to socket
//! options, and the typed setters behind `set_nagle` / `set_delay_ack`.

use crate::consts::{IPPROTO_TCP, TCP_NODELAY, c_int, socklen_t};
use crate::error::{Error, Op, Result, Target};
use crate::sock::Sock;
use crate::socket::{AnySocket, fd_of};
use crate::sys;

/// A value for [`set_sock_opt`]: the three forms of Chapel's `setSockOpt` overloads.
///
/// ```
/// use chapel_socket::SockOptValue;
/// assert_eq!(SockOptValue::from(1), SockOptValue::Int(1));
/// assert_eq!(SockOptValue::from(&[1u8, 0, 0, 0][..]), SockOptValue::Bytes(&[1, 0, 0, 0]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockOptValue<'a> {
    /// An `int` option (`setSockOpt(…, value: c_int)`).
    Int(c_int),
    /// A C struct's bytes, such as a `struct linger` or a `struct_timeval`
    /// (`setSockOpt(…, value: bytes)`); making them right is the caller's job.
    Bytes(&'a [u8]),
    /// A null `optval` with this `optlen` (`setSockOpt(…, value: nothing, optlen)`).
    Null(socklen_t),
}

impl From<c_int> for SockOptValue<'_> {
    fn from(v: c_int) -> Self {
        SockOptValue::Int(v)
    }
}

impl<'a> From<&'a [u8]> for SockOptValue<'a> {
    fn from(v: &'a [u8]) -> Self {
        SockOptValue::Bytes(v)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for SockOptValue<'a> {
    fn from(v: &'a [u8; N]) -> Self {
        SockOptValue::Bytes(v)
    }
}

impl<'a> From<&'a Vec<u8>> for SockOptValue<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        SockOptValue::Bytes(v)
    }
}

/// Chapel's `setSockOpt` (all three overloads): `setsockopt(2)` with an `int`, bytes, or a
/// null pointer. Errors name the level and the option.
/// Syscalls ([contract](crate::syscalls#set_sock_opt)): `setsockopt` — 1.
///
/// ```
/// use chapel_socket::{get_sock_opt, set_sock_opt, IPFamily, SockOptValue, UdpSocket, SOL_SOCKET, SO_BROADCAST};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// set_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST, 1)?;
/// assert_eq!(get_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST)?, 1);
/// set_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST, &0i32.to_ne_bytes())?;
/// assert_eq!(get_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST)?, 0);
/// // The null form: the kernel reads nothing, and refuses a non-zero optlen with EFAULT.
/// assert!(set_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST, SockOptValue::Null(4)).is_err());
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn set_sock_opt<'a, S: AnySocket>(
    socket: &S,
    level: c_int,
    optname: c_int,
    value: impl Into<SockOptValue<'a>>,
) -> Result<()> {
    let fd = fd_of(socket, Op::SetSockOpt)?;
    let done = match value.into() {
        SockOptValue::Int(v) => sys::opt::set_int(fd, level, optname, v),
        SockOptValue::Bytes(b) => sys::opt::set_bytes(fd, level, optname, b),
        SockOptValue::Null(len) => sys::opt::set_null(fd, level, optname, len),
    };
    done.map_err(Error::os(Op::SetSockOpt, &Target::Opt(level, optname)))
}

/// Chapel's `getSockOpt(socket, level, optname)`: an `int` option.
/// Syscalls ([contract](crate::syscalls#get_sock_opt)): `getsockopt` — 1.
///
#[doc = man_links!(getsockopt(2), socket(7))]
///
/// # Errors
/// A closed socket; the kernel's error (`ENOPROTOOPT` for an unknown option); `EINVAL` when the
/// option is not an `int`.
///
/// ```
/// use chapel_socket::{get_sock_opt, listen, SOL_SOCKET, SO_ACCEPTCONN};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// assert_eq!(get_sock_opt(&server, SOL_SOCKET, SO_ACCEPTCONN)?, 1);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn get_sock_opt<S: AnySocket>(socket: &S, level: c_int, optname: c_int) -> Result<c_int> {
    let fd = fd_of(socket, Op::GetSockOpt)?;
    sys::opt::get_int(fd, level, optname).map_err(Error::os(Op::GetSockOpt, &Target::Opt(level, optname)))
}

/// Chapel's `getSockOpt(socket, level, optname, buflen)`: up to `buflen` bytes of an option,
/// exactly as many as the kernel wrote (a short `buflen` gives the kernel's truncated
/// answer). Syscalls ([contract](crate::syscalls#get_sock_opt)): `getsockopt` — 1.
///
#[doc = man_links!(getsockopt(2), socket(7))]
///
/// # Errors
/// A closed socket; the kernel's error (`ENOPROTOOPT` for an unknown option).
///
/// ```
/// use chapel_socket::{get_sock_opt_bytes, IPFamily, UdpSocket, SOL_SOCKET, SO_LINGER};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// assert_eq!(get_sock_opt_bytes(&socket, SOL_SOCKET, SO_LINGER, 64)?, vec![0; 8]);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn get_sock_opt_bytes<S: AnySocket>(socket: &S, level: c_int, optname: c_int, buflen: u16) -> Result<Vec<u8>> {
    let fd = fd_of(socket, Op::GetSockOpt)?;
    sys::opt::get_bytes(fd, level, optname, buflen.into())
        .map_err(Error::os(Op::GetSockOpt, &Target::Opt(level, optname)))
}

/// Nagle's algorithm on (`TCP_NODELAY` = 0) or off.
pub(crate) fn set_nagle(sock: &Sock, enable: bool) -> Result<()> {
    set_tcp(sock, TCP_NODELAY, !enable)
}

/// Delayed ACKs on (`TCP_QUICKACK` = 0) or off; `ENOPROTOOPT` where the option is missing.
pub(crate) fn set_delay_ack(sock: &Sock, enable: bool) -> Result<()> {
    #[cfg(has_tcp_quickack)]
    return set_tcp(sock, crate::consts::TCP_QUICKACK, !enable);
    #[cfg(not(has_tcp_quickack))]
    {
        let _ = (sock.fd(Op::SetSockOpt)?, enable);
        Err(Error::os(Op::SetSockOpt, &Target::None)(sys::opt::unsupported()))
    }
}

fn set_tcp(sock: &Sock, optname: c_int, on: bool) -> Result<()> {
    let fd = sock.fd(Op::SetSockOpt)?;
    sys::opt::set_int(fd, IPPROTO_TCP, optname, on.into())
        .map_err(Error::os(Op::SetSockOpt, &Target::Opt(IPPROTO_TCP, optname)))
}

/// `set_nagle` and `set_delay_ack`, Chapel's `setNagle` / `setDelayAck`, for a TCP socket
/// type: `$chapel` is Chapel's name of the type, `$make` an expression that makes one in the
/// doc examples (with `server`, a listener, in scope).
macro_rules! tcp_options {
    ($chapel:literal, $make:literal) => {
        #[doc = concat!("Chapel's `", $chapel, ".setNagle`: `enable` turns Nagle's algorithm on (`TCP_NODELAY` = 0);")]
        /// for a listener, Linux passes the setting on to the connections it accepts.
        ///
        /// Syscalls ([contract](crate::syscalls#set_nagle)): `setsockopt` — 1.
        #[doc = man_links!(setsockopt(2), tcp(7))]
        ///
        /// # Errors
        /// A closed socket; the kernel's error from `setsockopt`.
        ///
        /// ```
        /// use chapel_socket::{connect, get_sock_opt, listen, INDEFINITE_TIMEOUT, IPPROTO_TCP, TCP_NODELAY};
        /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
        #[doc = concat!("let socket = ", $make, ";")]
        /// socket.set_nagle(false)?;
        /// assert_eq!(get_sock_opt(&socket, IPPROTO_TCP, TCP_NODELAY)?, 1);
        /// # Ok::<(), chapel_socket::Error>(())
        /// ```
        pub fn set_nagle(&self, enable: bool) -> Result<()> {
            crate::sockopt::set_nagle(&self.sock, enable)
        }

        #[doc = concat!("Chapel's `", $chapel, ".setDelayAck`: `enable` lets the kernel delay ACKs (`TCP_QUICKACK` = 0).")]
        /// Linux leaves quick-ack mode by itself over time, so reading it back later may differ.
        ///
        /// Syscalls ([contract](crate::syscalls#set_delay_ack)): `setsockopt` — 1.
        #[doc = man_links!(setsockopt(2), tcp(7))]
        ///
        /// # Errors
        /// A closed socket; the kernel's error from `setsockopt`; `ENOPROTOOPT` where the
        /// platform has no `TCP_QUICKACK` (only Linux has it).
        ///
        /// ```
        /// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
        /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
        #[doc = concat!("let socket = ", $make, ";")]
        /// socket.set_delay_ack(false)?;
        /// # Ok::<(), chapel_socket::Error>(())
        /// ```
        pub fn set_delay_ack(&self, enable: bool) -> Result<()> {
            crate::sockopt::set_delay_ack(&self.sock, enable)
        }
    };
}
pub(crate) use tcp_options;
