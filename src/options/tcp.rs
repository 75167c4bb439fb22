//! [`TcpOptions`]: the TCP-level options (`IPPROTO_TCP`) for the TCP socket types, which
//! name themselves in `tcp/options.rs`; and the one implementation each of Chapel's
//! `setNagle` / `setDelayAck` ([`set_nagle`], [`set_delay_ack`]), which every TCP type's
//! inherent `set_nagle` / `set_delay_ack` forwards to. References: `setsockopt(2)`,
//! `tcp(7)` (linked from the trait's page); the contract's sections are
//! [typed socket options](crate::syscalls#typed-socket-options),
//! [`set_nagle`](crate::syscalls#set_nagle) and
//! [`set_delay_ack`](crate::syscalls#set_delay_ack).

use std::time::Duration;

use super::value::{Millis, get_value, set_value};
use crate::consts::{IPPROTO_TCP, TCP_MAXSEG, TCP_NODELAY, c_int};
use crate::error::{Error, Op, Result, Target};
use crate::handle::Sock;
use crate::socket::AnySocket;
use crate::sys;

#[cfg(has_tcp_keepidle)]
use crate::consts::{TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL};
#[cfg(not(has_tcp_keepidle))]
const TCP_KEEPIDLE: c_int = super::value::MISSING;
#[cfg(not(has_tcp_keepidle))]
const TCP_KEEPINTVL: c_int = super::value::MISSING;
#[cfg(not(has_tcp_keepidle))]
const TCP_KEEPCNT: c_int = super::value::MISSING;
#[cfg(has_linux_sockopts)]
use crate::consts::{TCP_CORK, TCP_USER_TIMEOUT};
#[cfg(not(has_linux_sockopts))]
const TCP_CORK: c_int = super::value::MISSING;
#[cfg(not(has_linux_sockopts))]
const TCP_USER_TIMEOUT: c_int = super::value::MISSING;

/// The TCP-level options (`IPPROTO_TCP`) of [`TcpSocket`](crate::TcpSocket),
/// [`TcpListener`](crate::TcpListener) and [`TcpConn`](crate::TcpConn): the keep-alive timing,
/// and [`nagle`](TcpOptions::nagle), which reads back what the types' own `set_nagle` sets
/// ([`TcpConn::set_nagle`](crate::TcpConn::set_nagle),
/// [`TcpListener::set_nagle`](crate::TcpListener::set_nagle),
/// [`TcpSocket::set_nagle`](crate::TcpSocket::set_nagle): Chapel's `setNagle`, inherent so
/// that it needs no import, and so not here a second time). Each setter is one `setsockopt`
/// and each getter one `getsockopt`, and what a setter sets its getter reads back. A
/// listener passes them on to the connections it accepts.
///
/// Sealed: it needs [`AnySocket`], which no type outside the crate can implement.
///
/// Contract: [typed socket options](crate::syscalls#typed-socket-options).
///
#[doc = man_links!(setsockopt(2), getsockopt(2), tcp(7))]
///
/// ```
/// use chapel_socket::{connect, listen, TcpOptions, INDEFINITE_TIMEOUT};
/// use std::time::Duration;
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// conn.set_keepalive_idle(Duration::from_secs(60))?;
/// conn.set_nagle(false)?;
/// assert_eq!(conn.keepalive_idle()?, Duration::from_secs(60));
/// assert!(!conn.nagle()?);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
///
/// A UDP socket has none of these:
///
/// ```compile_fail,E0599
/// use chapel_socket::{IPFamily, TcpOptions, UdpSocket};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// socket.keepalive_idle()?;
/// # Ok::<(), chapel_socket::Error>(())
/// ```
///
/// Nor can a type outside the crate have them:
///
/// ```compile_fail,E0277
/// struct Mine;
/// impl chapel_socket::TcpOptions for Mine {}
/// ```
pub trait TcpOptions: AnySocket + Sized {
    /// How long a connection idles before the first keep-alive probe (`TCP_KEEPIDLE`), in
    /// whole seconds (a part of a second counts as one more); Linux takes 1 to 32767 s. The
    /// probes themselves are [`SocketOptions::set_keepalive`](crate::SocketOptions::set_keepalive).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_TCP, TCP_KEEPIDLE)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for more seconds than an `int` holds;
    /// `Unsupported` where the platform has no `TCP_KEEPIDLE`; the kernel's error from
    /// `setsockopt` (`EINVAL` out of its range).
    ///
    /// ```
    /// use chapel_socket::{listen, TcpOptions};
    /// use std::time::Duration;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// server.set_keepalive_idle(Duration::from_secs(30))?;
    /// assert_eq!(server.keepalive_idle()?, Duration::from_secs(30));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_keepalive_idle(&self, idle: Duration) -> Result<()> {
        set_value(self, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", idle)
    }

    /// How long a connection idles before the first keep-alive probe (`TCP_KEEPIDLE`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_TCP, TCP_KEEPIDLE)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `TCP_KEEPIDLE`; the kernel's
    /// error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{TcpOptions, TcpSocket};
    /// assert!(TcpSocket::v4()?.keepalive_idle()? > std::time::Duration::ZERO);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn keepalive_idle(&self) -> Result<Duration> {
        get_value(self, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE")
    }

    /// The time between keep-alive probes (`TCP_KEEPINTVL`), in whole seconds (a part of a
    /// second counts as one more); Linux takes 1 to 32767 s.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_TCP, TCP_KEEPINTVL)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for more seconds than an `int` holds;
    /// `Unsupported` where the platform has no `TCP_KEEPINTVL`; the kernel's error from
    /// `setsockopt` (`EINVAL` out of its range).
    ///
    /// ```
    /// use chapel_socket::{listen, TcpOptions};
    /// use std::time::Duration;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// server.set_keepalive_interval(Duration::from_millis(4500))?;
    /// assert_eq!(server.keepalive_interval()?, Duration::from_secs(5));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_keepalive_interval(&self, interval: Duration) -> Result<()> {
        set_value(self, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", interval)
    }

    /// The time between keep-alive probes (`TCP_KEEPINTVL`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_TCP, TCP_KEEPINTVL)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `TCP_KEEPINTVL`; the kernel's
    /// error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{TcpOptions, TcpSocket};
    /// assert!(TcpSocket::v6()?.keepalive_interval()? > std::time::Duration::ZERO);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn keepalive_interval(&self) -> Result<Duration> {
        get_value(self, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL")
    }

    /// How many unanswered keep-alive probes end the connection (`TCP_KEEPCNT`); Linux takes
    /// 1 to 127.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_TCP, TCP_KEEPCNT)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for a count above `i32::MAX`;
    /// `Unsupported` where the platform has no `TCP_KEEPCNT`; the kernel's error from
    /// `setsockopt` (`EINVAL` out of its range).
    ///
    /// ```
    /// use chapel_socket::{listen, TcpOptions};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// server.set_keepalive_count(4)?;
    /// assert_eq!(server.keepalive_count()?, 4);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_keepalive_count(&self, count: u32) -> Result<()> {
        set_value(self, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", count)
    }

    /// How many unanswered keep-alive probes end the connection (`TCP_KEEPCNT`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_TCP, TCP_KEEPCNT)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `TCP_KEEPCNT`; the kernel's
    /// error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{TcpOptions, TcpSocket};
    /// assert!(TcpSocket::v4()?.keepalive_count()? > 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn keepalive_count(&self) -> Result<u32> {
        get_value(self, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT")
    }

    /// Whether Nagle's algorithm is on (`TCP_NODELAY` is 0): what Chapel's `set_nagle` sets
    /// ([`TcpConn::set_nagle`](crate::TcpConn::set_nagle) and the other TCP types'). `std`'s
    /// `nodelay()` is its negation.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_TCP, TCP_NODELAY)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen, TcpOptions, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// assert!(conn.nagle()?);
    /// conn.set_nagle(false)?;
    /// assert!(!conn.nagle()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn nagle(&self) -> Result<bool> {
        get_value(self, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY").map(|nodelay: bool| !nodelay)
    }

    /// How long data sent may stay unacknowledged before the kernel drops the connection
    /// (`TCP_USER_TIMEOUT`), in whole milliseconds (a part of one counts as one more);
    /// `None` is the system's default (the retransmission limits decide) — socket2's
    /// `set_tcp_user_timeout`.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_TCP, TCP_USER_TIMEOUT)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for more milliseconds than an `int`
    /// holds; `Unsupported` where the platform has no `TCP_USER_TIMEOUT`; the kernel's error
    /// from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{TcpOptions, TcpSocket};
    /// use std::time::Duration;
    /// let socket = TcpSocket::v4()?;
    /// socket.set_tcp_user_timeout(Some(Duration::from_secs(10)))?;
    /// assert_eq!(socket.tcp_user_timeout()?, Some(Duration::from_secs(10)));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_tcp_user_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        set_value(self, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", Millis(timeout))
    }

    /// How long data sent may stay unacknowledged before the kernel drops the connection
    /// (`TCP_USER_TIMEOUT`); `None` for the system's default.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_TCP, TCP_USER_TIMEOUT)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `TCP_USER_TIMEOUT`; the
    /// kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{TcpOptions, TcpSocket};
    /// assert_eq!(TcpSocket::v6()?.tcp_user_timeout()?, None);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn tcp_user_timeout(&self) -> Result<Option<Duration>> {
        get_value(self, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT").map(|Millis(t)| t)
    }

    /// Corks the connection (`TCP_CORK`): while on, the kernel sends only full segments,
    /// holding back a partial one (for at most 200 ms); turning it off sends what is held —
    /// socket2's `set_tcp_cork`.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_TCP, TCP_CORK)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `TCP_CORK`; the kernel's error
    /// from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen, TcpOptions, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// conn.set_tcp_cork(true)?;
    /// assert!(conn.tcp_cork()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_tcp_cork(&self, cork: bool) -> Result<()> {
        set_value(self, IPPROTO_TCP, TCP_CORK, "TCP_CORK", cork)
    }

    /// Whether the connection is corked (`TCP_CORK`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_TCP, TCP_CORK)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `TCP_CORK`; the kernel's error
    /// from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{TcpOptions, TcpSocket};
    /// assert!(!TcpSocket::v4()?.tcp_cork()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn tcp_cork(&self) -> Result<bool> {
        get_value(self, IPPROTO_TCP, TCP_CORK, "TCP_CORK")
    }

    /// Caps the segments the connection sends (`TCP_MAXSEG`, the MSS), in bytes; set before
    /// connecting, it is also what the handshake announces. Linux takes 88 to 32767 —
    /// socket2's `set_mss`.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_TCP, TCP_MAXSEG)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for a value above `i32::MAX`;
    /// `EINVAL` from the kernel outside its range; the kernel's other errors from
    /// `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{TcpOptions, TcpSocket};
    /// let socket = TcpSocket::v4()?;
    /// socket.set_mss(1200)?;
    /// assert_eq!(socket.mss()?, 1200);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_mss(&self, mss: u32) -> Result<()> {
        set_value(self, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", mss)
    }

    /// The largest segment the connection sends (`TCP_MAXSEG`): on a connection, what the
    /// path and the peer allow; before connecting, what was set (or a default of 536).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_TCP, TCP_MAXSEG)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen, TcpOptions, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// assert!(conn.mss()? > 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn mss(&self) -> Result<u32> {
        get_value(self, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG")
    }
}

/// Nagle's algorithm on (`TCP_NODELAY` = 0) or off: Chapel's `setNagle`, behind every TCP
/// type's `set_nagle`.
pub(crate) fn set_nagle(sock: &Sock, enable: bool) -> Result<()> {
    set_tcp(sock, TCP_NODELAY, !enable)
}

/// Delayed ACKs on (`TCP_QUICKACK` = 0) or off; `ENOPROTOOPT` where the option is missing:
/// Chapel's `setDelayAck`, behind every TCP type's `set_delay_ack`.
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
