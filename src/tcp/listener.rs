//! [`listen`] and [`TcpListener`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;

use crate::addr::IpAddr;
use crate::error::{Error, Op, Result, Target};
use crate::handle::{Sock, Want};
use crate::socket::Incoming;
use crate::sys;
use crate::sys::Domain;
use crate::tcp::{TcpConn, TcpSocket};
use crate::timeout::Timeout;
use crate::wait::Acceptor;

/// Chapel's `listen`: a TCP socket bound to `address` and listening, with `SO_REUSEADDR` set
/// to `reuse_addr` (1 or 0; nothing else, no `SO_REUSEPORT`) and a queue of `backlog`
/// pending connections ([`BACKLOG_DEFAULT`](crate::BACKLOG_DEFAULT) is Chapel's default).
/// Port 0 lets the kernel pick one; [`TcpListener::addr`] tells which.
///
/// Syscalls ([contract](crate::syscalls#listen)): `socket(family, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)`,
/// `setsockopt(SOL_SOCKET, SO_REUSEADDR)`, `bind`, `listen` — 4. On failure the socket is
/// closed (one more `close`) and the error names the step and the address.
///
#[doc = man_links!(socket(2), setsockopt(2), bind(2), listen(2))]
///
/// # Errors
/// The kernel's error from the step that failed (`socket`, `setsockopt`, `bind` — `AddrInUse` for a
/// taken address — or `listen`), naming that step and the address; the socket is closed first.
///
/// ```
/// use chapel_socket::{listen, IpAddr, IPFamily, BACKLOG_DEFAULT};
/// let server = listen(&IpAddr::create("127.0.0.1", 0, IPFamily::IPv4)?, true, BACKLOG_DEFAULT)?;
/// assert_ne!(server.addr()?.port(), 0);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn listen(address: &IpAddr, reuse_addr: bool, backlog: u16) -> Result<TcpListener> {
    let at = Target::Addr(*address);
    let mut socket = TcpSocket::create(Domain::of(&(*address).into()), true, &at)?;
    crate::socket::bind_reusing(socket.sock.fd(Op::Listen)?, address, reuse_addr)?;
    socket.bound_to(*address);
    socket.listen(backlog)
}

/// Chapel's `tcpListener`: a bound, listening TCP socket. Its descriptor is close-on-exec and
/// starts non-blocking (so an accept with a timeout is one syscall when a connection is
/// queued); a lone acceptor that has to wait switches it to blocking, so an accept loop is one
/// syscall per connection. Connections it accepts are blocking. Dropping it closes the descriptor.
///
/// ```
/// use chapel_socket::{connect, listen, IpAddr, INDEFINITE_TIMEOUT};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let client = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// let accepted = server.accept(1.0)?;
/// assert_eq!(accepted.addr()?, chapel_socket::get_sock_name(&client)?);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpListener {
    pub(crate) sock: Sock,
    acceptor: Arc<Acceptor>,
}

crate::socket::socket_types!(TcpListener);

impl TcpListener {
    /// A listener on `sock`, which listens and is non-blocking: how `listen` and
    /// [`TcpSocket::listen`](crate::TcpSocket::listen) make one.
    pub(crate) fn from_sock(sock: Sock) -> TcpListener {
        TcpListener { sock, acceptor: Arc::new(Acceptor::made()) }
    }

    /// Chapel's `tcpListener.accept`: the next connection, waiting at most `timeout`
    /// ([`INDEFINITE_TIMEOUT`](crate::INDEFINITE_TIMEOUT) waits for ever). An expired timeout is
    /// an error of kind `TimedOut`, never earlier than asked; a wake-up that finds the queue
    /// empty again keeps waiting.
    ///
    /// Syscalls ([contract](crate::syscalls#tcplisteneraccept)): `accept4(SOCK_CLOEXEC)` — 1
    /// when a connection is queued, and 1 in steady state (an accept loop with one timeout,
    /// or indefinite): the first accept that has to wait switches the listener to blocking
    /// (`ioctl(FIONBIO)`) and arms `SO_RCVTIMEO` a margin short of its timeout
    /// (`setsockopt`), then blocks in `accept4`; later ones just block. A wait the kernel ends
    /// short of the deadline is finished by `ppoll` and `accept4`. While another thread
    /// accepts on the same listener: `ioctl(FIONBIO, 1)` once, `accept4 → EAGAIN`, `ppoll`,
    /// `accept4`. On an error, a `getsockname` names the listener's address in the message.
    ///
    /// A listener adopted from a descriptor (`TryFrom<OwnedFd>`) keeps its non-blocking mode,
    /// which the open file shares with any other process holding it, and always takes the
    /// `accept4 → EAGAIN`, `ppoll`, `accept4` path: adopt it that way in each process that
    /// shares one listening socket (pre-fork servers).
    ///
    #[doc = man_links!(accept4(2), ppoll(2), ioctl(2), setsockopt(2))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before the `accept4`; `TimedOut` when no connection
    /// came within `timeout`; a closed listener; the kernel's error
    /// from `accept4` (such as `EMFILE` at the descriptor limit) or `poll`. The message names the
    /// listener's address.
    ///
    /// ```
    /// use chapel_socket::{listen, IpAddr};
    /// use std::io::ErrorKind;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// assert_eq!(server.accept(0.01).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn accept(&self, timeout: impl Into<Timeout>) -> Result<TcpConn> {
        let fd = self.sock.fd(Op::Accept)?;
        let named = |cause| Error::new(Op::Accept, self.addr().map_or(Target::None, Target::Addr), cause);
        let timeout = timeout.into();
        match self.acceptor.accept(fd, &self.sock.timer, timeout, || sys::socket::accept::<std::net::SocketAddr>(fd)) {
            Ok((conn, peer)) => Ok(TcpConn::new(Sock::new(conn), peer.map(IpAddr::from))),
            Err(cause) => Err(named(cause)),
        }
    }

    /// Beyond Chapel, as std's `TcpListener::set_nonblocking`: `true` makes the listener
    /// non-blocking and keeps it so, for an event loop that waits for readiness itself
    /// (through [`try_as_fd`](Self::try_as_fd)). An indefinite accept
    /// ([`INDEFINITE_TIMEOUT`](crate::INDEFINITE_TIMEOUT), [`incoming`](Self::incoming)) is then
    /// one `accept4`, and a `WouldBlock` error when nothing is queued; an accept with a
    /// timeout still waits for it, polling. `false` makes it blocking again and gives the mode
    /// back to the accepts, which switch it as they need.
    ///
    /// Syscalls ([contract](crate::syscalls#tcplisteneraccept)): `ioctl(FIONBIO)` — 1 (none
    /// for `false` while another thread's accept is polling: the listener stays non-blocking
    /// for it).
    ///
    #[doc = man_links!(ioctl(2))]
    ///
    /// # Errors
    /// A closed listener; the kernel's error from `ioctl`.
    ///
    /// ```
    /// use chapel_socket::{listen, INDEFINITE_TIMEOUT};
    /// use std::io::ErrorKind;
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// server.set_nonblocking(true)?;
    /// assert_eq!(server.accept(INDEFINITE_TIMEOUT).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// assert_eq!(server.accept(0.01).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        let fd = self.sock.fd(Op::SetNonblocking)?;
        self.acceptor.set_nonblocking(fd, nonblocking).map_err(Error::os(Op::SetNonblocking, &Target::None))
    }

    /// Beyond Chapel, as std's `TcpListener::incoming`: an endless iterator of
    /// [`accept`](Self::accept)`(INDEFINITE_TIMEOUT)`, each item a connection or the error of
    /// that accept (a server loop decides whether an error such as `EMFILE` ends it).
    ///
    /// Syscalls ([contract](crate::syscalls#tcplisteneraccept)): those of each `accept`.
    ///
    /// # Errors
    /// Each item is `accept`'s result; on a closed listener every item is the "closed" error.
    ///
    /// ```
    /// use chapel_socket::{connect, listen};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let _client = connect(&server.addr()?, 4)?;
    /// for conn in server.incoming().take(1) {
    ///     assert_eq!(conn?.addr()?.host(), "127.0.0.1");
    /// }
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn incoming(&self) -> Incoming<'_, TcpListener> {
        Incoming::new(self)
    }

    /// Chapel's `tcpListener.addr`: the address it is bound to, with the port the kernel
    /// picked if it was 0. Syscalls ([contract](crate::syscalls#tcplisteneraddr)): `getsockname` — 1.
    ///
    #[doc = man_links!(getsockname(2))]
    ///
    /// # Errors
    /// A closed listener; the kernel's error from `getsockname`.
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

    /// Chapel's `tcpListener.close`: closes the descriptor (one `close`); every later call is
    /// a "closed" error that makes no syscall (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#close-and-drop)): `close` — 1.
    ///
    #[doc = man_links!(close(2))]
    ///
    /// # Errors
    /// The listener was already closed; the kernel's error from `close` (the descriptor is released
    /// all the same).
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

    /// The live descriptor, borrowed, for any API that takes `impl AsFd` (an event loop
    /// waiting for connections, say), in safe code; the borrow keeps the listener open (see
    /// [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): none.
    ///
    /// # Errors
    /// A closed listener (the "closed" error), never a panic.
    ///
    /// ```
    /// use chapel_socket::{connect, listen, wait_readable};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let _client = connect(&server.addr()?, 4)?;
    /// wait_readable(server.try_as_fd()?, 4)?; // a connection is queued
    /// server.accept(0)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_as_fd(&self) -> Result<BorrowedFd<'_>> {
        self.sock.fd(Op::AsFd)
    }

    /// A second handle to this listener, as std's `try_clone`, sharing its record of the
    /// socket (see [descriptors](crate#descriptors)): the clones accept side by side, as
    /// threads sharing one listener do.
    ///
    /// Syscalls ([contract](crate::syscalls#one-socket-many-holders)): `fcntl(F_DUPFD_CLOEXEC)` — 1.
    ///
    #[doc = man_links!(fcntl(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error (`EMFILE` when the descriptor table is full).
    ///
    /// ```
    /// let socket = chapel_socket::listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let clone = socket.try_clone()?;
    /// assert_ne!(clone.socket_fd(), socket.socket_fd());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<TcpListener> {
        Ok(TcpListener { sock: self.sock.try_clone()?, acceptor: Arc::clone(&self.acceptor) })
    }
}

impl TryFrom<OwnedFd> for TcpListener {
    type Error = Error;

    /// Adopts a listening TCP socket, once the kernel says it is a TCP socket (three
    /// `getsockopt`s; anything else is an `InvalidInput` error naming what it is, the
    /// descriptor closed). Its mode stays as it is: the file's mode is shared with every
    /// other holder, so accepts on an adopted listener take the try → poll → retry path, a
    /// timed one making it non-blocking first (see
    /// [one socket, many holders](crate#one-socket-many-holders)).
    fn try_from(fd: OwnedFd) -> Result<TcpListener> {
        Ok(TcpListener { sock: Sock::adopt(fd, Want::Tcp)?, acceptor: Arc::default() })
    }
}

impl TryFrom<TcpListener> for OwnedFd {
    type Error = Error;

    /// Hands the descriptor over as the user left it: in blocking mode, as any other
    /// listener's (one `ioctl(FIONBIO)`, none when it blocks already), with the user's own
    /// `SO_RCVTIMEO` back if the crate had armed its own (one `setsockopt`); a closed listener
    /// has none to give.
    fn try_from(mut listener: TcpListener) -> Result<OwnedFd> {
        let trusted = listener.sock.timer.trusted();
        let fd = listener.sock.take()?;
        listener.acceptor.hand_over(fd.as_fd(), trusted).map_err(Error::os(Op::SetNonblocking, &Target::None))?;
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

impl Iterator for Incoming<'_, TcpListener> {
    type Item = Result<TcpConn>;

    fn next(&mut self) -> Option<Result<TcpConn>> {
        Some(self.listener().accept(crate::timeout::Timeout::INDEFINITE))
    }
}
