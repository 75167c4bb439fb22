//! [`UnixListener`], a listening Unix-domain stream socket.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;

use crate::addr::UnixAddr;
use crate::error::{Error, Op, Result, Target};
use crate::handle::{Sock, Want};
use crate::socket::Incoming;
use crate::sys;
use crate::sys::addr::UnixName;
use crate::sys::{Domain, SockType};
use crate::timeout::Timeout;
use crate::unix::{UnixStream, name_of, target};
use crate::wait::Acceptor;

/// A listening Unix-domain stream socket, the counterpart of
/// [`TcpListener`](crate::TcpListener) and `std::os::unix::net::UnixListener`. Its
/// descriptor is close-on-exec and non-blocking (so an accept with a timeout is one syscall
/// when a connection is queued); the connections it accepts are blocking. Dropping it closes
/// the descriptor and leaves the socket file, if any (see the [module](crate::UnixAddr) notes
/// on stale files: `bind` fails with `AddrInUse` while one is there).
///
/// ```
/// use chapel_socket::{UnixAddr, UnixListener, UnixStream};
/// use std::io::{Read, Write};
/// let dir = std::env::temp_dir().join(format!("chapel-doc-listener-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = UnixAddr::from_path(dir.join("s"))?;
/// let server = UnixListener::bind(&path, 16)?;
/// let mut client = UnixStream::connect(&path, 1.0)?;
/// let mut conn = server.accept(1.0)?;
/// client.write_all(b"ping")?;
/// let mut got = [0; 4];
/// conn.read_exact(&mut got)?;
/// assert_eq!(&got, b"ping");
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct UnixListener {
    pub(crate) sock: Sock,
    /// The name it was bound to, for error messages; `None` when adopted.
    addr: Option<UnixAddr>,
    acceptor: Arc<Acceptor>,
}

crate::socket::socket_types!(UnixListener);

impl UnixListener {
    /// A stream socket bound to `addr` and listening, with a queue of `backlog` pending
    /// connections. A path must not exist yet: a stale socket file is `AddrInUse` (the crate
    /// removes no file, as `std`). An abstract name is free once its socket closes.
    ///
    /// Syscalls ([contract](crate::syscalls#unixlistenerbind)):
    /// `socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)`, `bind`, `listen` — 3. On
    /// failure the socket is closed (one more `close`) and the error names the step and the
    /// address.
    ///
    #[doc = man_links!(socket(2), bind(2), listen(2), unix(7))]
    ///
    /// # Errors
    /// The kernel's error from the step that failed, naming it and `addr`: `AddrInUse` for a
    /// taken name or an existing file, `NotFound`/`PermissionDenied` for a path whose directory is
    /// missing or closed to this process. The socket is closed first.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixListener};
    /// use std::io::ErrorKind;
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-bind-{}", std::process::id()))?;
    /// let server = UnixListener::bind(&name, 16)?;
    /// assert_eq!(server.local_addr()?, name);
    /// assert_eq!(UnixListener::bind(&name, 16).unwrap_err().kind(), ErrorKind::AddrInUse);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn bind(addr: &UnixAddr, backlog: u16) -> Result<UnixListener> {
        let at = Target::Unix(addr.clone());
        let sock =
            Sock::new(sys::socket::socket(Domain::Unix, SockType::Stream, true).map_err(Error::os(Op::Socket, &at))?);
        let fd = sock.fd(Op::Listen)?;
        sys::socket::bind(fd, addr.name()).map_err(Error::os(Op::Bind, &at))?;
        sys::socket::listen(fd, backlog.into()).map_err(Error::os(Op::Listen, &at))?;
        Ok(UnixListener { sock, addr: Some(addr.clone()), acceptor: Arc::new(Acceptor::made()) })
    }

    /// The next connection, waiting at most `timeout`
    /// ([`INDEFINITE_TIMEOUT`](crate::INDEFINITE_TIMEOUT) waits for ever); exactly what
    /// [`TcpListener::accept`](crate::TcpListener::accept) does, the same code.
    ///
    /// Syscalls ([contract](crate::syscalls#unixlisteneraccept)): as
    /// [`TcpListener::accept`](crate::TcpListener::accept): `accept4(SOCK_CLOEXEC)` — 1 when a
    /// connection is queued, and 1 in steady state (the listener switched to blocking once,
    /// `SO_RCVTIMEO` armed for the timeout); any remainder by `ppoll`.
    ///
    #[doc = man_links!(accept4(2), ppoll(2))]
    ///
    /// # Errors
    /// `TimedOut` when no connection came within `timeout`; a closed listener; the kernel's error
    /// from `accept4` (such as `EMFILE`) or `poll`. The message names the listener's address.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixListener};
    /// use std::io::ErrorKind;
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-accept-{}", std::process::id()))?;
    /// let server = UnixListener::bind(&name, 16)?;
    /// assert_eq!(server.accept(0.01).unwrap_err().kind(), ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn accept(&self, timeout: impl Into<Timeout>) -> Result<UnixStream> {
        let fd = self.sock.fd(Op::Accept)?;
        let named = |cause| Error::new(Op::Accept, target(self.addr.as_ref()), cause);
        let timeout = timeout.into();
        match self.acceptor.accept(fd, &self.sock.timer, timeout, || sys::socket::accept::<UnixName>(fd)) {
            Ok((conn, peer)) => Ok(UnixStream::new(Sock::new(conn), peer.map(UnixAddr::from_kernel))),
            Err(cause) => Err(named(cause)),
        }
    }

    /// As std's `UnixListener::set_nonblocking`: `true` makes the listener non-blocking and
    /// keeps it so, for an event loop that waits for readiness itself (through
    /// [`try_as_fd`](Self::try_as_fd)). An indefinite accept (and [`incoming`](Self::incoming))
    /// is then one `accept4`, and a `WouldBlock` error when nothing is queued; an accept with
    /// a timeout still waits for it, polling. `false` makes it blocking again and gives the
    /// mode back to the accepts, which switch it as they need.
    ///
    /// Syscalls ([contract](crate::syscalls#unixlisteneraccept)): `ioctl(FIONBIO)` — 1 (none
    /// for `false` while another thread's accept is polling).
    ///
    #[doc = man_links!(ioctl(2))]
    ///
    /// # Errors
    /// A closed listener; the kernel's error from `ioctl`.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixListener, INDEFINITE_TIMEOUT};
    /// use std::io::ErrorKind;
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-nonblocking-{}", std::process::id()))?;
    /// let server = UnixListener::bind(&name, 16)?;
    /// server.set_nonblocking(true)?;
    /// assert_eq!(server.accept(INDEFINITE_TIMEOUT).unwrap_err().kind(), ErrorKind::WouldBlock);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        let fd = self.sock.fd(Op::SetNonblocking)?;
        self.acceptor.set_nonblocking(fd, nonblocking).map_err(Error::os(Op::SetNonblocking, &Target::None))
    }

    /// As std's `UnixListener::incoming`: an endless iterator of
    /// [`accept`](Self::accept)`(INDEFINITE_TIMEOUT)`, each item a connection or the error of
    /// that accept.
    ///
    /// Syscalls ([contract](crate::syscalls#unixlisteneraccept)): those of each `accept`.
    ///
    /// # Errors
    /// Each item is `accept`'s result; on a closed listener every item is the "closed" error.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixListener, UnixStream};
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-incoming-{}", std::process::id()))?;
    /// let server = UnixListener::bind(&name, 16)?;
    /// let _client = UnixStream::connect(&name, 4)?;
    /// assert_eq!(server.incoming().take(1).filter_map(Result::ok).count(), 1);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn incoming(&self) -> Incoming<'_, UnixListener> {
        Incoming::new(self)
    }

    /// The name it is bound to (`getsockname`, 1 syscall).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-addresses)): `getsockname` — 1.
    ///
    #[doc = man_links!(getsockname(2))]
    ///
    /// # Errors
    /// A closed listener; the kernel's error from `getsockname`.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixListener};
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-name-{}", std::process::id()))?;
    /// assert_eq!(UnixListener::bind(&name, 1)?.local_addr()?, name);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn local_addr(&self) -> Result<UnixAddr> {
        name_of(&self.sock, Op::GetSockName)
    }

    /// Closes the descriptor (one `close`); the socket file, if any, stays. Every later call is
    /// a "closed" error that makes no syscall (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-close-and-drop)): `close` — 1.
    ///
    #[doc = man_links!(close(2))]
    ///
    /// # Errors
    /// The listener was already closed; the kernel's error from `close` (the descriptor is
    /// released all the same).
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixListener};
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-close-{}", std::process::id()))?;
    /// let mut server = UnixListener::bind(&name, 1)?;
    /// server.close()?;
    /// assert!(server.accept(0.0).unwrap_err().is_closed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn close(&mut self) -> Result<()> {
        self.sock.close()
    }

    /// The descriptor, or -1 once closed.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixListener};
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-fd-{}", std::process::id()))?;
    /// assert!(UnixListener::bind(&name, 1)?.socket_fd() >= 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn socket_fd(&self) -> RawFd {
        self.sock.raw()
    }

    /// The live descriptor, borrowed, for any API that takes `impl AsFd`, in safe code; the
    /// borrow keeps the listener open (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): none.
    ///
    /// # Errors
    /// A closed listener (the "closed" error), never a panic.
    ///
    /// ```
    /// use chapel_socket::{wait_readable, UnixAddr, UnixListener};
    /// use std::io::ErrorKind;
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-as-fd-{}", std::process::id()))?;
    /// let server = UnixListener::bind(&name, 4)?;
    /// let nothing = wait_readable(server.try_as_fd()?, 0.01).unwrap_err();
    /// assert_eq!(nothing.kind(), ErrorKind::TimedOut); // no connection queued
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
    /// let name = chapel_socket::UnixAddr::from_abstract(format!("doc-clone-{}", std::process::id()))?;
    /// let socket = chapel_socket::UnixListener::bind(&name, 4)?;
    /// let clone = socket.try_clone()?;
    /// assert_ne!(clone.socket_fd(), socket.socket_fd());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<UnixListener> {
        Ok(UnixListener { sock: self.sock.try_clone()?, addr: self.addr.clone(), acceptor: Arc::clone(&self.acceptor) })
    }
}

impl TryFrom<OwnedFd> for UnixListener {
    type Error = Error;

    /// Adopts a listening Unix socket, once the kernel says it is a Unix stream socket
    /// (anything else is an `InvalidInput` error naming what it is, the descriptor closed),
    /// leaving its mode as it is, as an adopted [`TcpListener`](crate::TcpListener) does.
    fn try_from(fd: OwnedFd) -> Result<UnixListener> {
        Ok(UnixListener { sock: Sock::adopt(fd, Want::Unix(SockType::Stream))?, addr: None, acceptor: Arc::default() })
    }
}

impl TryFrom<UnixListener> for OwnedFd {
    type Error = Error;

    /// Hands the descriptor over as the user left it, as a
    /// [`TcpListener`](crate::TcpListener)'s is; a closed listener has none to give.
    fn try_from(mut listener: UnixListener) -> Result<OwnedFd> {
        let trusted = listener.sock.timer.trusted();
        let fd = listener.sock.take()?;
        listener.acceptor.hand_over(fd.as_fd(), trusted).map_err(Error::os(Op::SetNonblocking, &Target::None))?;
        Ok(fd)
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = Error;

    /// See `TryFrom<OwnedFd>`.
    fn try_from(listener: std::os::unix::net::UnixListener) -> Result<UnixListener> {
        UnixListener::try_from(OwnedFd::from(listener))
    }
}

impl TryFrom<UnixListener> for std::os::unix::net::UnixListener {
    type Error = Error;

    /// See `TryFrom<UnixListener> for OwnedFd`.
    fn try_from(listener: UnixListener) -> Result<std::os::unix::net::UnixListener> {
        OwnedFd::try_from(listener).map(std::os::unix::net::UnixListener::from)
    }
}

impl Iterator for Incoming<'_, UnixListener> {
    type Item = Result<UnixStream>;

    fn next(&mut self) -> Option<Result<UnixStream>> {
        Some(self.listener().accept(crate::timeout::Timeout::INDEFINITE))
    }
}
