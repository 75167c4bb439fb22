//! [`TcpSocket`]: a TCP socket before it listens or connects, where options that must come
//! before `bind` or `connect` are set.

use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Instant;

use crate::addr::IPFamily;
use crate::addr::IpAddr;
use crate::error::{Cause, Error, Op, Result, Target};
use crate::handle::{Sock, Want};
use crate::sys;
use crate::sys::socket::Progress;
use crate::sys::wait::{Interest, Pacer};
use crate::sys::{Domain, SockType};
use crate::tcp::{TcpConn, TcpListener};
use crate::timeout::Timeout;

/// A TCP socket that neither listens nor is connected yet: create it, set the options the
/// kernel reads at `bind` or `connect` time (`SO_REUSEPORT`, `IPV6_V6ONLY`, `SO_REUSEADDR`,
/// buffer sizes…) with [`set_sock_opt`](crate::set_sock_opt), [`bind`](TcpSocket::bind) it if
/// the local address matters, then [`listen`](TcpSocket::listen) or
/// [`connect`](TcpSocket::connect). Chapel's one-call [`listen`](crate::listen),
/// [`connect`](crate::connect) and [`connect_host`](crate::connect_host) are these steps,
/// with the same syscalls.
///
/// The descriptor is close-on-exec and non-blocking, as a listener's must be (so a listener
/// made from it is the one `listen` makes); `connect` hands the connection over blocking.
/// Dropping the socket closes it. Like std's, nothing here is Chapel's: see the README's
/// "Beyond Chapel" (std has no unbound socket; socket2's `Socket::new` is this).
///
/// ```
/// use chapel_socket::{get_sock_name, set_sock_opt, TcpSocket, SOL_SOCKET, SO_REUSEPORT, INDEFINITE_TIMEOUT};
/// let mut socket = TcpSocket::v4()?;
/// set_sock_opt(&socket, SOL_SOCKET, SO_REUSEPORT, 1)?;
/// socket.bind(&"127.0.0.1:0".parse()?)?;
/// let server = socket.listen(16)?;
/// let client = TcpSocket::v4()?.connect(&server.addr()?, 4)?;
/// assert_eq!(server.accept(INDEFINITE_TIMEOUT)?.addr()?, get_sock_name(&client)?);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpSocket {
    pub(crate) sock: Sock,
    /// The file is non-blocking: as `new` and `listen` make it; `connect` without a timeout
    /// makes it blocking from the start.
    nonblocking: bool,
    /// The address `bind` took, for error messages.
    bound: Option<IpAddr>,
}

crate::socket::socket_types!(TcpSocket);

impl TcpSocket {
    /// A new TCP socket of `family` (IPv4 or IPv6), unbound.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpsocketnew)):
    /// `socket(family, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)` — 1.
    ///
    #[doc = man_links!(socket(2))]
    ///
    /// # Errors
    /// `IPFamily::IPUnspec` (`InvalidInput`: a socket needs one family); the kernel's error from
    /// `socket` (such as `EMFILE`).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, TcpSocket};
    /// assert!(TcpSocket::new(IPFamily::IPv6).is_ok());
    /// assert!(TcpSocket::new(IPFamily::IPUnspec).is_err());
    /// ```
    pub fn new(family: IPFamily) -> Result<TcpSocket> {
        let target = Target::Family(family);
        let domain = match family {
            IPFamily::IPv4 => Domain::Ipv4,
            IPFamily::IPv6 => Domain::Ipv6,
            IPFamily::IPUnspec => {
                return Err(Error::new(Op::Socket, target, Cause::Invalid("a TCP socket needs IPv4 or IPv6".into())));
            }
        };
        TcpSocket::create(domain, true, &target)
    }

    /// `TcpSocket::new(IPFamily::IPv4)`.
    ///
    /// Syscalls: as [`new`](TcpSocket::new).
    ///
    /// # Errors
    /// As [`new`](TcpSocket::new).
    ///
    /// ```
    /// assert!(chapel_socket::TcpSocket::v4().is_ok());
    /// ```
    pub fn v4() -> Result<TcpSocket> {
        TcpSocket::new(IPFamily::IPv4)
    }

    /// `TcpSocket::new(IPFamily::IPv6)`.
    ///
    /// Syscalls: as [`new`](TcpSocket::new).
    ///
    /// # Errors
    /// As [`new`](TcpSocket::new).
    ///
    /// ```
    /// assert!(chapel_socket::TcpSocket::v6().is_ok());
    /// ```
    pub fn v6() -> Result<TcpSocket> {
        TcpSocket::new(IPFamily::IPv6)
    }

    /// The socket of `domain`, non-blocking or not, with `target` in a `socket` error.
    #[inline]
    pub(crate) fn create(domain: Domain, nonblocking: bool, target: &Target) -> Result<TcpSocket> {
        let fd = sys::socket::socket(domain, SockType::Stream, nonblocking).map_err(Error::os(Op::Socket, target))?;
        Ok(TcpSocket { sock: Sock::new(fd), nonblocking, bound: None })
    }

    /// Binds the socket to `address` (port 0: the kernel picks one), and nothing else: unlike
    /// Chapel's [`bind`](crate::bind), no `SO_REUSEADDR` is set; set the options you want
    /// first. Before [`connect`](TcpSocket::connect), this chooses the connection's source
    /// address and port.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpsocketbind)): `bind` — 1.
    ///
    #[doc = man_links!(bind(2))]
    ///
    /// # Errors
    /// The kernel's error from `bind` (`AddrInUse`, `AddrNotAvailable` for an address not of
    /// this host, `EINVAL` when already bound, `EAFNOSUPPORT` for the other family), naming
    /// the address.
    ///
    /// ```
    /// use chapel_socket::TcpSocket;
    /// let mut socket = TcpSocket::v4()?;
    /// socket.bind(&"127.0.0.1:0".parse()?)?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn bind(&mut self, address: &IpAddr) -> Result<()> {
        let at = Target::Addr(*address);
        let fd = self.sock.fd(Op::Bind)?;
        sys::socket::bind(fd, &SocketAddr::from(*address)).map_err(Error::os(Op::Bind, &at))?;
        self.bound = Some(*address);
        Ok(())
    }

    /// Records that Chapel's `listen` bound the socket to `address` itself.
    pub(crate) fn bound_to(&mut self, address: IpAddr) {
        self.bound = Some(address);
    }

    /// The socket's own address (`getsockname`): `0.0.0.0:0` (or `[::]:0`) until it is bound.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpsocketlocal_addr)): `getsockname` — 1.
    ///
    #[doc = man_links!(getsockname(2))]
    ///
    /// # Errors
    /// The kernel's error from `getsockname`.
    ///
    /// ```
    /// use chapel_socket::TcpSocket;
    /// assert_eq!(TcpSocket::v6()?.local_addr()?.to_string(), "[::]:0");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn local_addr(&self) -> Result<IpAddr> {
        crate::socket::get_sock_name(self)
    }

    /// The live descriptor, borrowed, for any API that takes `impl AsFd`, in safe code (see
    /// [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): none.
    ///
    /// # Errors
    /// None for a `TcpSocket`, which cannot be closed (`listen` and `connect` take it); the
    /// `Result` is every type's.
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    /// let socket = chapel_socket::TcpSocket::v4()?;
    /// let copy = socket.try_as_fd()?.try_clone_to_owned()?;
    /// assert_ne!(copy.as_raw_fd(), socket.try_as_fd()?.as_raw_fd());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_as_fd(&self) -> Result<BorrowedFd<'_>> {
        self.sock.fd(Op::AsFd)
    }

    /// A second handle to this socket, as socket2's `Socket::try_clone`, sharing its record of
    /// the socket (see [descriptors](crate#descriptors)).
    /// Both name one socket: once one listens or connects, the other's `listen` or `connect`
    /// is the kernel's error (`EISCONN`), made at once. Handing one over ends what the other
    /// may trust of the file's mode: its connect with a timeout then makes sure of it first
    /// (one `ioctl` more).
    ///
    /// Syscalls ([contract](crate::syscalls#one-socket-many-holders)): `fcntl(F_DUPFD_CLOEXEC)` — 1.
    ///
    #[doc = man_links!(fcntl(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error (`EMFILE` when the descriptor table is full).
    ///
    /// ```
    /// use chapel_socket::TcpSocket;
    /// let socket = TcpSocket::v4()?;
    /// let clone = socket.try_clone()?;
    /// assert_eq!(clone.local_addr()?, socket.local_addr()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<TcpSocket> {
        Ok(TcpSocket { sock: self.sock.try_clone()?, nonblocking: self.nonblocking, bound: self.bound })
    }

    /// Listens with a queue of `backlog` pending connections: the [`TcpListener`] Chapel's
    /// [`listen`](crate::listen) returns (non-blocking inside, close-on-exec). Unbound, the
    /// kernel binds it to a free port on every address first.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpsocketlisten)): `listen` — 1. On failure the
    /// socket is closed (one more `close`).
    ///
    #[doc = man_links!(listen(2))]
    ///
    /// # Errors
    /// The kernel's error from `listen` (`AddrInUse` when an unbound socket's automatic port
    /// cannot be had), naming the bound address; the socket is closed first.
    ///
    /// ```
    /// use chapel_socket::TcpSocket;
    /// let mut socket = TcpSocket::v4()?;
    /// socket.bind(&"127.0.0.1:0".parse()?)?;
    /// let server = socket.listen(16)?;
    /// assert_eq!(server.accept(0.0).unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn listen(self, backlog: u16) -> Result<TcpListener> {
        let at = self.bound.map_or(Target::None, Target::Addr);
        let fd = self.sock.fd(Op::Listen)?;
        if !self.nonblocking {
            // Not reached from the public API (every socket it makes is non-blocking), kept
            // so a listener is always non-blocking at the start, as `Acceptor` expects.
            sys::fd::set_nonblocking(fd, true).map_err(Error::os(Op::SetNonblocking, &at))?;
        }
        sys::socket::listen(fd, backlog.into()).map_err(Error::os(Op::Listen, &at))?;
        Ok(TcpListener::from_sock(self.sock))
    }

    /// Connects to `address`, waiting at most `timeout` for the handshake: Chapel's
    /// [`connect`](crate::connect) on this socket, with its options and source address. The
    /// connection is blocking, as `connect`'s; a failure closes the socket.
    ///
    /// Syscalls ([contract](crate::syscalls#tcpsocketconnect)): `connect → EINPROGRESS`,
    /// `ppoll([POLLOUT])` (for ever when `timeout` is indefinite), `ioctl(FIONBIO, 0)` — 3;
    /// `getsockopt(SO_ERROR)` when the poll reports an error, one `getpeername` more to an
    /// unspecified address, as [`connect`](crate::connect).
    ///
    #[doc = man_links!(connect(2), ppoll(2), getsockopt(2), ioctl(2), getpeername(2))]
    ///
    /// # Errors
    /// `InvalidInput` for a NaN timeout, before any syscall; `TimedOut`; the kernel's error
    /// from `connect` (`ConnectionRefused`; `AddrInUse`/`AddrNotAvailable` when the bound
    /// source address cannot reach it), naming the address. The socket is closed on every
    /// error.
    ///
    /// ```
    /// use chapel_socket::{listen, TcpSocket};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let mut socket = TcpSocket::v4()?;
    /// socket.bind(&"127.0.0.1:0".parse()?)?;
    /// let source = socket.local_addr()?;
    /// let _client = socket.connect(&server.addr()?, 4.0)?;
    /// assert_eq!(server.accept(4.0)?.addr()?, source);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn connect(self, address: &IpAddr, timeout: impl Into<Timeout>) -> Result<TcpConn> {
        let timeout =
            timeout.into().check().map_err(|nan| Error::new(Op::Connect, Target::Addr(*address), nan.into()))?;
        self.connect_checked(address, timeout)
    }

    /// `connect` with a checked timeout: the handshake, and the file back to blocking.
    #[inline]
    pub(crate) fn connect_checked(self, address: &IpAddr, timeout: Timeout) -> Result<TcpConn> {
        let at = Target::Addr(*address);
        let to = address.as_socket_addr();
        let fd = self.sock.fd(Op::Connect)?;
        // What `nonblocking` remembers holds only while no one else holds the socket (an
        // adopted or cloned one may have changed mode): else a bounded connect makes sure.
        let known_nonblocking = self.nonblocking && self.sock.timer.trusted();
        if !known_nonblocking && !timeout.is_indefinite() {
            sys::fd::set_nonblocking(fd, true).map_err(Error::os(Op::SetNonblocking, &at))?;
        }
        let switched = self.nonblocking || !timeout.is_indefinite();
        let deadline = timeout.deadline();
        let timed_out = || Error::at(Op::Connect, &at, Cause::TimedOut(timeout));
        // Made at the first retry, so a connect that needs none reads the clock no more.
        let mut pacer: Option<Pacer> = None;
        let mut progress = sys::socket::connect(fd, to).map_err(Error::os(Op::Connect, &at))?;
        while progress == Progress::Pending {
            let ready = sys::wait::wait(fd, Interest::Write, deadline).map_err(Error::os(Op::Poll, &at))?;
            let ready = ready.ok_or_else(timed_out)?;
            if !ready.is_error_or_hangup() {
                break;
            }
            if let Some(refused) = sys::opt::take_error(fd).map_err(Error::os(Op::ConnectError, &at))? {
                return Err(Error::os(Op::Connect, &at)(refused));
            }
            // Hung up with no error: the interrupted connect may never have reached the
            // kernel, so asking again says where it stands (connected, still going, or
            // started now). The poll of a socket that is not connecting answers at once, so
            // the deadline is checked here (the poll reports readiness even past it) and
            // retries that keep failing at once are paced instead of spinning.
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(timed_out());
            }
            pacer.get_or_insert_with(Pacer::new).before_retry(deadline);
            progress = sys::socket::connect(fd, to).map_err(Error::os(Op::Connect, &at))?;
        }
        if switched {
            sys::fd::set_nonblocking(fd, false).map_err(Error::os(Op::SetNonblocking, &at))?;
        }
        let peer = if to.ip().is_unspecified() {
            // The kernel connected to this host: ask which address it took.
            sys::socket::peer_name::<SocketAddr>(fd)
                .map_err(Error::os(Op::GetPeerName, &at))?
                .map_or(*address, IpAddr::from)
        } else {
            *address
        };
        Ok(TcpConn::new(self.sock, Some(peer)))
    }
}

impl TryFrom<OwnedFd> for TcpSocket {
    type Error = Error;

    /// Adopts a TCP socket that neither listens nor is connected (from socket2, say), once
    /// the kernel says it is a TCP socket (three `getsockopt`s; anything else is an
    /// `InvalidInput` error naming what it is, the descriptor closed), switching it to non-blocking mode as [`TcpSocket::new`] makes it (one
    /// `ioctl(FIONBIO)`).
    fn try_from(fd: OwnedFd) -> Result<TcpSocket> {
        let sock = Sock::adopt(fd, Want::Tcp)?;
        sys::fd::set_nonblocking(sock.fd(Op::SetNonblocking)?, true)
            .map_err(Error::os(Op::SetNonblocking, &Target::None))?;
        Ok(TcpSocket { sock, nonblocking: true, bound: None })
    }
}

impl TryFrom<TcpSocket> for OwnedFd {
    type Error = Error;

    /// Hands the descriptor over in blocking mode, as sockets usually are (one
    /// `ioctl(FIONBIO)`).
    fn try_from(mut socket: TcpSocket) -> Result<OwnedFd> {
        let fd = socket.sock.take()?;
        if socket.nonblocking {
            sys::fd::set_nonblocking(fd.as_fd(), false).map_err(Error::os(Op::SetNonblocking, &Target::None))?;
        }
        Ok(fd)
    }
}
