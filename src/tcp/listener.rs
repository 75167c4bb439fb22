//! [`listen`] and [`TcpListener`].

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use crate::addr::IpAddr;
use crate::error::{Error, Result, Target};
use crate::sock::{Indefinite, Sock, with_timeout};
use crate::sockopt;
use crate::sys;
use crate::tcp::TcpConn;
use crate::timeout::Timeout;

/// Chapel's `listen`: a TCP socket bound to `address` and listening, with `SO_REUSEADDR` set
/// to `reuse_addr` (1 or 0; nothing else, no `SO_REUSEPORT`) and a queue of `backlog`
/// pending connections ([`BACKLOG_DEFAULT`](crate::BACKLOG_DEFAULT) is Chapel's default).
/// Port 0 lets the kernel pick one; [`TcpListener::addr`] tells which.
///
/// Syscalls ([contract](crate::syscalls#listen)): `socket(family, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)`,
/// `setsockopt(SOL_SOCKET, SO_REUSEADDR)`, `bind`, `listen` — 4. On failure the socket is
/// closed (one more `close`) and the error names the step and the address.
///
/// ```
/// use chapel_socket::{listen, IpAddr, IPFamily, BACKLOG_DEFAULT};
/// let server = listen(&IpAddr::create("127.0.0.1", 0, IPFamily::IPv4)?, true, BACKLOG_DEFAULT)?;
/// assert_ne!(server.addr()?.port(), 0);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn listen(address: &IpAddr, reuse_addr: bool, backlog: u16) -> Result<TcpListener> {
    let at = Target::Addr(*address);
    let sock = Sock::new(
        sys::socket::socket(address.family() as libc::c_int, libc::SOCK_STREAM, true)
            .map_err(Error::os("socket", &at))?,
    );
    let fd = sock.fd("listen")?;
    sys::opt::set_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, reuse_addr.into())
        .map_err(Error::os("setsockopt", &at))?;
    sys::socket::bind(fd, &(*address).into()).map_err(Error::os("bind", &at))?;
    sys::socket::listen(fd, backlog.into()).map_err(Error::os("listen", &at))?;
    Ok(TcpListener { sock })
}

/// Chapel's `tcpListener`: a bound, listening TCP socket. Its descriptor is close-on-exec and
/// non-blocking (so an accept with a timeout is one syscall when a connection is queued);
/// connections it accepts are blocking. Dropping it closes the descriptor.
///
/// ```
/// use chapel_socket::{connect, listen, IpAddr, INDEFINITE_TIMEOUT};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let client = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// let accepted = server.accept(1.0)?;
/// assert_eq!(accepted.addr()?, chapel_socket::get_sock_name(&client)?);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub struct TcpListener {
    pub(crate) sock: Sock,
}

impl TcpListener {
    /// Chapel's `tcpListener.accept`: the next connection, waiting at most `timeout`
    /// ([`INDEFINITE_TIMEOUT`](crate::INDEFINITE_TIMEOUT) waits for ever). An expired timeout is
    /// an error of kind `TimedOut`, never earlier than asked; a wake-up that finds the queue
    /// empty again keeps waiting.
    ///
    /// Syscalls ([contract](crate::syscalls#tcplisteneraccept)): `accept4(SOCK_CLOEXEC)` — 1
    /// when a connection is queued; otherwise `accept4 → EAGAIN`, `poll([POLLIN], ms)`,
    /// `accept4`. On an error, a `getsockname` names the listener's address in the message.
    ///
    /// ```
    /// use chapel_socket::{listen, IpAddr};
    /// use std::io::ErrorKind;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// assert_eq!(server.accept(0.01).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn accept(&self, timeout: impl Into<Timeout>) -> Result<TcpConn> {
        let fd = self.sock.fd("accept")?;
        match with_timeout(fd, sys::wait::POLLIN, timeout.into(), Indefinite::Polls, |_| sys::socket::accept(fd)) {
            Ok((conn, peer)) => Ok(TcpConn::new(Sock::new(conn), peer.map(IpAddr::from))),
            Err(cause) => Err(Error::new("accept", self.addr().map_or(Target::None, Target::Addr), cause)),
        }
    }

    /// Chapel's `tcpListener.addr`: the address it is bound to, with the port the kernel
    /// picked if it was 0. Syscalls ([contract](crate::syscalls#tcplisteneraddr)): `getsockname` — 1.
    ///
    /// ```
    /// use chapel_socket::listen;
    /// let server = listen(&"[::1]:0".parse()?, true, 16)?;
    /// assert_eq!(server.addr()?.host(), "::1");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn addr(&self) -> Result<IpAddr> {
        crate::socket::get_sock_name(self)
    }

    /// Chapel's `tcpListener.close`: closes the descriptor (one `close`). Every later call
    /// on this listener, `close` included, is a "closed" error that makes no syscall.
    ///
    /// Syscalls ([contract](crate::syscalls#close-and-drop)): `close` — 1.
    ///
    /// ```
    /// use chapel_socket::listen;
    /// let mut server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// server.close()?;
    /// assert_eq!(server.socket_fd(), -1);
    /// assert!(server.accept(0.0).unwrap_err().is_closed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn close(&mut self) -> Result<()> {
        self.sock.close()
    }

    /// Chapel's `tcpListener.socketFd`: the descriptor, or -1 once closed.
    ///
    /// ```
    /// use chapel_socket::listen;
    /// assert!(listen(&"127.0.0.1:0".parse()?, true, 16)?.socket_fd() >= 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn socket_fd(&self) -> RawFd {
        self.sock.raw()
    }

    /// Chapel's `tcpListener.setNagle`: `enable` turns Nagle's algorithm on (`TCP_NODELAY`
    /// = 0); Linux passes the setting on to accepted connections.
    /// Syscalls ([contract](crate::syscalls#set_nagle)): `setsockopt` — 1.
    ///
    /// ```
    /// use chapel_socket::{get_sock_opt, listen, IPPROTO_TCP, TCP_NODELAY};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// server.set_nagle(false)?;
    /// assert_eq!(get_sock_opt(&server, IPPROTO_TCP, TCP_NODELAY)?, 1);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_nagle(&self, enable: bool) -> Result<()> {
        sockopt::set_nagle(&self.sock, enable)
    }

    /// Chapel's `tcpListener.setDelayAck`: `enable` lets the kernel delay ACKs
    /// (`TCP_QUICKACK` = 0). Where the platform has no `TCP_QUICKACK`, an `ENOPROTOOPT`
    /// error. Syscalls ([contract](crate::syscalls#set_delay_ack)): `setsockopt` — 1.
    ///
    /// ```
    /// use chapel_socket::listen;
    /// listen(&"127.0.0.1:0".parse()?, true, 16)?.set_delay_ack(false)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_delay_ack(&self, enable: bool) -> Result<()> {
        sockopt::set_delay_ack(&self.sock, enable)
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener").field("fd", &self.sock.raw()).finish()
    }
}

impl AsRawFd for TcpListener {
    /// The descriptor, or -1 once closed.
    fn as_raw_fd(&self) -> RawFd {
        self.sock.raw()
    }
}

impl TryFrom<OwnedFd> for TcpListener {
    type Error = Error;

    /// Adopts a listening socket, switching it to non-blocking mode (one `ioctl(FIONBIO)`),
    /// which `accept` with a timeout relies on.
    fn try_from(fd: OwnedFd) -> Result<TcpListener> {
        sys::fd::set_nonblocking(fd.as_fd(), true).map_err(Error::os("ioctl(FIONBIO)", &Target::None))?;
        Ok(TcpListener { sock: Sock::new(fd) })
    }
}

impl TryFrom<TcpListener> for OwnedFd {
    type Error = Error;

    /// Hands the descriptor over in blocking mode, as any other listener's (one
    /// `ioctl(FIONBIO)`); a closed listener has none to give.
    fn try_from(mut listener: TcpListener) -> Result<OwnedFd> {
        let fd = listener.sock.take("into fd")?;
        sys::fd::set_nonblocking(fd.as_fd(), false).map_err(Error::os("ioctl(FIONBIO)", &Target::None))?;
        Ok(fd)
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = Error;

    /// See `TryFrom<OwnedFd>`.
    fn try_from(listener: std::net::TcpListener) -> Result<TcpListener> {
        TcpListener::try_from(OwnedFd::from(listener))
    }
}

impl TryFrom<TcpListener> for std::net::TcpListener {
    type Error = Error;

    /// See `TryFrom<TcpListener> for OwnedFd`.
    fn try_from(listener: TcpListener) -> Result<std::net::TcpListener> {
        OwnedFd::try_from(listener).map(std::net::TcpListener::from)
    }
}
