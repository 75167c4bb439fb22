//! [`SocketOptions`]: the `SOL_SOCKET` options, which every socket has, on every socket type
//! ([`AnySocket`]) through one blanket implementation. References: `setsockopt(2)`,
//! `getsockopt(2)`, `socket(7)` (linked from the trait's page); the contract's section is
//! [typed socket options](crate::syscalls#typed-socket-options).

use std::time::Duration;

use super::set_with;
use super::value::{IntValue, get_value, invalid, set_value};
use crate::consts::{SO_BROADCAST, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_SNDBUF, SOL_SOCKET};
use crate::error::{Error, Op, Result, Target};
use crate::socket::{AnySocket, fd_of};
use crate::sys;

#[cfg(has_so_peercred)]
use crate::consts::SO_PASSCRED;
#[cfg(not(has_so_peercred))]
const SO_PASSCRED: crate::consts::c_int = super::value::MISSING;
#[cfg(has_so_reuseport)]
use crate::consts::SO_REUSEPORT;
#[cfg(not(has_so_reuseport))]
const SO_REUSEPORT: crate::consts::c_int = super::value::MISSING;

/// The socket-level options (`SOL_SOCKET`), which every socket has: typed setters and
/// getters, each setter one `setsockopt` and each getter one `getsockopt`, and what a setter
/// sets its getter reads back. Implemented for every socket type of the crate
/// ([`AnySocket`]), so `use chapel_socket::SocketOptions;` brings them to all of them.
///
/// The other levels have their own homes, on the types they apply to:
/// [`IpOptions`](crate::IpOptions) (`IPPROTO_IP`, `IPPROTO_IPV6`) on the TCP types and
/// [`UdpSocket`](crate::UdpSocket), [`TcpOptions`](crate::TcpOptions) (`IPPROTO_TCP`) on the
/// TCP types, and multicast and the receive switches as methods of `UdpSocket` itself.
///
/// Not here, on purpose: read and write timeouts (every blocking call of the crate takes its
/// own; `SO_RCVTIMEO` through [`set_sock_opt`](crate::set_sock_opt) still works, see there).
/// Any other option: [`set_sock_opt`](crate::set_sock_opt) /
/// [`get_sock_opt`](crate::get_sock_opt).
///
/// Contract: [typed socket options](crate::syscalls#typed-socket-options).
///
#[doc = man_links!(setsockopt(2), getsockopt(2), socket(7))]
///
/// ```
/// use chapel_socket::{connect, listen, SocketOptions, INDEFINITE_TIMEOUT};
/// use std::time::Duration;
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// conn.set_keepalive(true)?;
/// conn.set_linger(Some(Duration::from_secs(2)))?;
/// assert!(conn.keepalive()?);
/// assert_eq!(conn.linger()?, Some(Duration::from_secs(2)));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub trait SocketOptions: AnySocket + Sized {
    /// Turns keep-alive probes on an idle connection on or off (`SO_KEEPALIVE`); their timing
    /// is [`TcpOptions`](crate::TcpOptions)'
    /// [`set_keepalive_idle`](crate::TcpOptions::set_keepalive_idle),
    /// [`set_keepalive_interval`](crate::TcpOptions::set_keepalive_interval) and
    /// [`set_keepalive_count`](crate::TcpOptions::set_keepalive_count). A listener passes it on
    /// to the connections it accepts.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(SOL_SOCKET, SO_KEEPALIVE)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{connect, listen, SocketOptions, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// conn.set_keepalive(true)?;
    /// assert!(conn.keepalive()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_keepalive(&self, on: bool) -> Result<()> {
        set_value(self, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", on)
    }

    /// Whether keep-alive probes are on (`SO_KEEPALIVE`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(SOL_SOCKET, SO_KEEPALIVE)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{listen, SocketOptions};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// assert!(!server.keepalive()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn keepalive(&self) -> Result<bool> {
        get_value(self, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE")
    }

    /// What `close` does with data not sent yet (`SO_LINGER`): `None` (the default) returns
    /// at once and the kernel sends it in the background; `Some(d)` makes `close` wait up to
    /// `d` for it to go, in whole seconds (a part of a second counts as one more);
    /// `Some(Duration::ZERO)` discards it and resets the connection (an RST, no `TIME_WAIT`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(SOL_SOCKET, SO_LINGER)` with a `struct linger` — 1; none on a closed socket
    /// or for a duration refused.
    ///
    /// # Errors
    /// `InvalidInput`, with no syscall, for more seconds than an `int` holds; a closed socket;
    /// the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::time::Duration;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.linger()?, None);
    /// socket.set_linger(Some(Duration::from_millis(1500)))?;
    /// assert_eq!(socket.linger()?, Some(Duration::from_secs(2)));
    /// socket.set_linger(None)?;
    /// assert_eq!(socket.linger()?, None);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_linger(&self, linger: Option<Duration>) -> Result<()> {
        let seconds = linger.map(Duration::to_c).transpose().map_err(invalid(Op::SetSockOpt, SOL_SOCKET, SO_LINGER))?;
        set_with(self, SOL_SOCKET, SO_LINGER, |fd| sys::opt::set_linger(fd, seconds))
    }

    /// What `close` does with data not sent yet (`SO_LINGER`): `None` when it returns at once,
    /// `Some(d)` when it waits up to `d` (`Duration::ZERO`: it resets the connection).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(SOL_SOCKET, SO_LINGER)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::time::Duration;
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_linger(Some(Duration::ZERO))?;
    /// assert_eq!(socket.linger()?, Some(Duration::ZERO));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn linger(&self) -> Result<Option<Duration>> {
        let fd = fd_of(self, Op::GetSockOpt)?;
        let seconds = sys::opt::linger(fd).map_err(Error::os(Op::GetSockOpt, &Target::Opt(SOL_SOCKET, SO_LINGER)))?;
        seconds.map(Duration::from_c).transpose().map_err(invalid(Op::GetSockOpt, SOL_SOCKET, SO_LINGER))
    }

    /// Asks for a send buffer of `bytes` (`SO_SNDBUF`). Linux doubles the value (the other
    /// half is its bookkeeping) and keeps it between a floor (4608) and twice
    /// `net.core.wmem_max`; a size beyond an `int` is asked as `i32::MAX`, which that cap then
    /// cuts.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(SOL_SOCKET, SO_SNDBUF)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_send_buffer_size(64 * 1024)?;
    /// assert!(socket.send_buffer_size()? >= 64 * 1024); // 128 KiB on Linux
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_send_buffer_size(&self, bytes: usize) -> Result<()> {
        set_value(self, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", bytes)
    }

    /// The send buffer's size (`SO_SNDBUF`) as the kernel keeps it: on Linux twice what
    /// [`set_send_buffer_size`](SocketOptions::set_send_buffer_size) asked, within the floor
    /// and the cap (see there).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(SOL_SOCKET, SO_SNDBUF)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{SocketOptions, UnixStream};
    /// let (a, _b) = UnixStream::pair()?;
    /// assert!(a.send_buffer_size()? > 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn send_buffer_size(&self) -> Result<usize> {
        get_value(self, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF")
    }

    /// Asks for a receive buffer of `bytes` (`SO_RCVBUF`). Linux doubles the value (the other
    /// half is its bookkeeping) and keeps it between a floor (2304) and twice
    /// `net.core.rmem_max`; a size beyond an `int` is asked as `i32::MAX`, which that cap then
    /// cuts.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(SOL_SOCKET, SO_RCVBUF)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_recv_buffer_size(64 * 1024)?;
    /// assert!(socket.recv_buffer_size()? >= 64 * 1024); // 128 KiB on Linux
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_recv_buffer_size(&self, bytes: usize) -> Result<()> {
        set_value(self, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", bytes)
    }

    /// The receive buffer's size (`SO_RCVBUF`) as the kernel keeps it: on Linux twice what
    /// [`set_recv_buffer_size`](SocketOptions::set_recv_buffer_size) asked, within the floor
    /// and the cap (see there).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(SOL_SOCKET, SO_RCVBUF)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{SocketOptions, UnixDatagram};
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert!(a.recv_buffer_size()? > 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn recv_buffer_size(&self) -> Result<usize> {
        get_value(self, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF")
    }

    /// Lets sockets of one user bind the same address and port, each with this on
    /// (`SO_REUSEPORT`): Linux spreads the connections or datagrams among them. Set it before
    /// `bind`.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(SOL_SOCKET, SO_REUSEPORT)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `SO_REUSEPORT`; the kernel's
    /// error from `setsockopt` (`EOPNOTSUPP` from a Unix-domain socket turning it on).
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, SocketOptions, UdpSocket};
    /// let (a, b) = (UdpSocket::new(IPFamily::IPv4)?, UdpSocket::new(IPFamily::IPv4)?);
    /// a.set_reuse_port(true)?;
    /// b.set_reuse_port(true)?;
    /// bind(&a, &"127.0.0.1:0".parse()?, false)?;
    /// bind(&b, &a.addr()?, false)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_reuse_port(&self, on: bool) -> Result<()> {
        set_value(self, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT", on)
    }

    /// Whether `SO_REUSEPORT` is on.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(SOL_SOCKET, SO_REUSEPORT)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `SO_REUSEPORT`; the kernel's
    /// error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, TcpSocket};
    /// let socket = TcpSocket::new(IPFamily::IPv4)?;
    /// assert!(!socket.reuse_port()?);
    /// socket.set_reuse_port(true)?;
    /// assert!(socket.reuse_port()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn reuse_port(&self) -> Result<bool> {
        get_value(self, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT")
    }

    /// Permits sending to broadcast addresses (`SO_BROADCAST`): a UDP socket's sends to
    /// `255.255.255.255` or a subnet's broadcast address are `EACCES` without it.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(SOL_SOCKET, SO_BROADCAST)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_broadcast(true)?;
    /// assert!(socket.broadcast()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_broadcast(&self, on: bool) -> Result<()> {
        set_value(self, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST", on)
    }

    /// Whether sending to broadcast addresses is permitted (`SO_BROADCAST`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(SOL_SOCKET, SO_BROADCAST)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// assert!(!UdpSocket::new(IPFamily::IPv6)?.broadcast()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn broadcast(&self) -> Result<bool> {
        get_value(self, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST")
    }

    /// Asks the kernel to attach the sender's credentials (`SCM_CREDENTIALS`: pid, uid, gid)
    /// to each message a Unix-domain socket receives (`SO_PASSCRED`); the descriptor-passing
    /// receives report them (the [`credentials`](crate::ReceivedFds::credentials) of
    /// [`ReceivedFds`](crate::ReceivedFds)) —
    /// socket2's `set_passcred`. It is a Unix-domain (and netlink) option: recent kernels
    /// refuse it on an IP socket (`EOPNOTSUPP`), older ones take it and ignore it.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(SOL_SOCKET, SO_PASSCRED)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `SO_PASSCRED`, or from the
    /// kernel on an IP socket (`EOPNOTSUPP`); the kernel's other errors from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{SocketOptions, UnixDatagram};
    /// let (a, _b) = UnixDatagram::pair()?;
    /// a.set_passcred(true)?;
    /// assert!(a.passcred()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_passcred(&self, on: bool) -> Result<()> {
        set_value(self, SOL_SOCKET, SO_PASSCRED, "SO_PASSCRED", on)
    }

    /// Whether received messages carry the sender's credentials (`SO_PASSCRED`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(SOL_SOCKET, SO_PASSCRED)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `SO_PASSCRED`; the kernel's
    /// error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{SocketOptions, UnixStream};
    /// let (a, _b) = UnixStream::pair()?;
    /// assert!(!a.passcred()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn passcred(&self) -> Result<bool> {
        get_value(self, SOL_SOCKET, SO_PASSCRED, "SO_PASSCRED")
    }
}

impl<S: AnySocket> SocketOptions for S {}
