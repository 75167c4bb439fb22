//! [`UnixDatagram`], a Unix-domain datagram socket.

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use crate::addr::UnixAddr;
use crate::error::{Cause, Error, Op, Result, Target};
use crate::handle::{Sock, Want};
use crate::sys;
use crate::sys::addr::UnixName;
use crate::sys::{Domain, MsgFlags, SockType};
use crate::timeout::Timeout;
use crate::unix::{Credentials, ReceivedFds, name_of, peer_credentials, recv_fds, send_credentials, send_fds, target};
use crate::wait::{Waits, with_timeout};

/// A Unix-domain datagram socket: the counterpart of [`UdpSocket`](crate::UdpSocket) and
/// `std::os::unix::net::UnixDatagram`. Datagrams are reliable and ordered on one machine;
/// a datagram longer than the receive buffer is an `InvalidData` error naming both lengths,
/// never a silent cut. Close-on-exec and blocking; sends never raise SIGPIPE; dropping it
/// closes it (a bound path's socket file stays: see [`UnixAddr`]).
///
/// ```
/// use chapel_socket::{UnixAddr, UnixDatagram};
/// let name = UnixAddr::from_abstract(format!("chapel-doc-dgram-{}", std::process::id()))?;
/// let server = UnixDatagram::bind(&name)?;
/// let client = UnixDatagram::unbound()?;
/// client.send_to(b"hello", &name, 1.0)?;
/// let mut buf = [0; 16];
/// let (n, from) = server.recv_from(&mut buf, 1.0)?;
/// assert_eq!((&buf[..n], from.is_unnamed()), (&b"hello"[..], true));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    pub(crate) sock: Sock,
}

crate::socket::socket_types!(UnixDatagram);

impl UnixDatagram {
    fn create(at: &Target) -> Result<UnixDatagram> {
        let fd = sys::socket::socket(Domain::Unix, SockType::Datagram, false).map_err(Error::os(Op::Socket, at))?;
        Ok(UnixDatagram { sock: Sock::new(fd) })
    }

    /// A datagram socket bound to `addr` (a path must not exist yet; see [`UnixAddr`]).
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagrambind)):
    /// `socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0)`, `bind` — 2; on failure one more `close`.
    ///
    #[doc = man_links!(socket(2), bind(2), unix(7))]
    ///
    /// # Errors
    /// The kernel's error from `socket` or `bind` (`AddrInUse` for a taken name or an existing
    /// file), naming `addr`; the socket is closed first.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixDatagram};
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-dbind-{}", std::process::id()))?;
    /// assert_eq!(UnixDatagram::bind(&name)?.local_addr()?, name);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn bind(addr: &UnixAddr) -> Result<UnixDatagram> {
        let at = Target::Unix(addr.clone());
        let socket = UnixDatagram::create(&at)?;
        sys::socket::bind(socket.sock.fd(Op::Bind)?, addr.name()).map_err(Error::os(Op::Bind, &at))?;
        Ok(socket)
    }

    /// An unbound (unnamed) datagram socket: it can send, and receive replies only if it
    /// [`connect`](UnixDatagram::connect)s or the peer sends to it by other means (a pair).
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagrambind)):
    /// `socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0)` — 1.
    ///
    #[doc = man_links!(socket(2), unix(7))]
    ///
    /// # Errors
    /// The kernel's error from `socket` (such as `EMFILE`).
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// assert!(UnixDatagram::unbound()?.local_addr()?.is_unnamed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn unbound() -> Result<UnixDatagram> {
        UnixDatagram::create(&Target::None)
    }

    /// Two unnamed datagram sockets connected to each other.
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagrambind)):
    /// `socketpair(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0)` — 1.
    ///
    #[doc = man_links!(socketpair(2))]
    ///
    /// # Errors
    /// The kernel's error from `socketpair`.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"one", 1.0)?;
    /// assert_eq!(b.recv(&mut [0; 8], 1.0)?, 3);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn pair() -> Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = sys::socket::socketpair(SockType::Datagram).map_err(Error::os(Op::SocketPair, &Target::None))?;
        Ok((UnixDatagram { sock: Sock::new(a) }, UnixDatagram { sock: Sock::new(b) }))
    }

    /// A second handle to this socket, as std's `try_clone`, sharing its record of the
    /// socket (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#one-socket-many-holders)): `fcntl(F_DUPFD_CLOEXEC)` — 1.
    ///
    #[doc = man_links!(fcntl(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error (`EMFILE` when the descriptor table is full).
    ///
    /// ```
    /// let (socket, _peer) = chapel_socket::UnixDatagram::pair()?;
    /// let clone = socket.try_clone()?;
    /// assert_ne!(clone.socket_fd(), socket.socket_fd());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_clone(&self) -> Result<UnixDatagram> {
        Ok(UnixDatagram { sock: self.sock.try_clone()? })
    }

    /// Sets the default destination, and receives only from it (`connect`, 1 syscall).
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagrambind)): `connect` — 1.
    ///
    #[doc = man_links!(connect(2), unix(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error, naming `addr` (`ConnectionRefused` when nobody has
    /// that name, `NotFound` for a missing path).
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixDatagram};
    /// let name = UnixAddr::from_abstract(format!("chapel-doc-dconn-{}", std::process::id()))?;
    /// let server = UnixDatagram::bind(&name)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.connect(&name)?;
    /// client.send(b"hi", 1.0)?;
    /// assert_eq!(server.recv(&mut [0; 8], 1.0)?, 2);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn connect(&self, addr: &UnixAddr) -> Result<()> {
        let at = Target::Unix(addr.clone());
        let fd = self.sock.fd(Op::Connect)?;
        loop {
            match sys::socket::connect(fd, addr.name()) {
                Ok(sys::socket::Progress::Done) => return Ok(()),
                // EINTR: nothing is under way; connect again.
                Ok(sys::socket::Progress::Pending) => {}
                Err(e) => return Err(Error::os(Op::Connect, &at)(e)),
            }
        }
    }

    /// Sends `data` as one datagram to `addr`, waiting at most `timeout` for room in the
    /// receiver's queue; returns the bytes sent.
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagramsend)):
    /// `sendto(MSG_DONTWAIT|MSG_NOSIGNAL)` — 1 when there is room (indefinite: one blocking
    /// `sendto(MSG_NOSIGNAL)`); otherwise `sendto → EAGAIN`, `ppoll([POLLOUT])`, `sendto`. The
    /// kernel can only say when a *connected* socket's peer has room: to an unconnected
    /// socket's destination, a full queue makes the wait try again until `timeout`.
    ///
    #[doc = man_links!(sendto(2), ppoll(2), unix(7))]
    ///
    /// # Errors
    /// `TimedOut`; a closed socket; the kernel's error naming `addr` (`ConnectionRefused` when
    /// nobody has the name, `EMSGSIZE` for a datagram above the send buffer).
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixDatagram};
    /// let nobody = UnixAddr::from_abstract(format!("chapel-doc-dnobody-{}", std::process::id()))?;
    /// let err = UnixDatagram::unbound()?.send_to(b"x", &nobody, 1.0).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_to(&self, data: &[u8], addr: &UnixAddr, timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::Send)?;
        with_timeout(fd, Waits::Send, timeout.into(), |flags| sys::socket::send_to(fd, data, addr.name(), flags))
            .map_err(|cause| Error::new(Op::Send, Target::Unix(addr.clone()), cause))
    }

    /// Sends `data` as one datagram to the connected peer, waiting at most `timeout` for room.
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagramsend)): as
    /// [`send_to`](UnixDatagram::send_to), with no address.
    ///
    #[doc = man_links!(send(2), ppoll(2), unix(7))]
    ///
    /// # Errors
    /// As [`send_to`](UnixDatagram::send_to); `ENOTCONN` when not connected.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert_eq!(a.send(b"abc", 1.0)?, 3);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send(&self, data: &[u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.send(Op::Send, MsgFlags::NONE, data, timeout.into(), || Target::None)
    }

    /// One datagram into `buf`, waiting at most `timeout`; returns its length. A longer one
    /// is an `InvalidData` error (its first `buf.len()` bytes are in `buf`).
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagramrecv)): as
    /// [`UdpSocket::recv_into`](crate::UdpSocket::recv_into), the same wait: one blocking
    /// `recvfrom(MSG_TRUNC)` in steady state, timed by the `SO_RCVTIMEO` the crate arms; a
    /// datagram waiting with a new timeout: `recvfrom(MSG_DONTWAIT|MSG_TRUNC)`, 1; else
    /// `setsockopt(SO_RCVTIMEO)` and the blocking `recvfrom`; any remainder by `ppoll`.
    ///
    #[doc = man_links!(recv(2), ppoll(2), unix(7))]
    ///
    /// # Errors
    /// `TimedOut`; `InvalidData` for a datagram longer than `buf`; a closed socket; the
    /// kernel's error.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"0123456789", 1.0)?;
    /// let err = b.recv(&mut [0; 4], 1.0).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.sock.recv_datagram(buf, timeout.into(), || Target::None)
    }

    /// One datagram into `buf` and its sender's name (unnamed for an unbound sender),
    /// waiting at most `timeout`. A longer datagram is an `InvalidData` error naming the
    /// sender when it has a name.
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagramrecv)): as
    /// [`recv`](UnixDatagram::recv), with the sender's address asked for.
    ///
    #[doc = man_links!(recvfrom(2), ppoll(2), unix(7))]
    ///
    /// # Errors
    /// As [`recv`](UnixDatagram::recv), with op `recvfrom`.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixDatagram};
    /// let pid = std::process::id();
    /// let a = UnixDatagram::bind(&UnixAddr::from_abstract(format!("chapel-doc-a-{pid}"))?)?;
    /// let b = UnixDatagram::bind(&UnixAddr::from_abstract(format!("chapel-doc-b-{pid}"))?)?;
    /// a.send_to(b"from a", &b.local_addr()?, 1.0)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(b.recv_from(&mut buf, 1.0)?, (6, a.local_addr()?));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_from(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<(usize, UnixAddr)> {
        let fd = self.sock.fd(Op::RecvFrom)?;
        let capacity = buf.len();
        let (len, from) = with_timeout(fd, Waits::Recv(&self.sock.timer), timeout.into(), |dontwait| {
            sys::socket::recv_from::<UnixName>(fd, buf, dontwait.with(MsgFlags::TRUNC))
        })
        .map_err(|cause| Error::new(Op::RecvFrom, Target::None, cause))?;
        let from = UnixAddr::from_kernel(from.unwrap_or(UnixName::Unnamed));
        if len > capacity {
            return Err(Error::new(Op::RecvFrom, target(Some(&from)), Cause::Truncated { len: Some(len), capacity }));
        }
        Ok((len, from))
    }

    /// The next datagram into `buf` like [`recv`](UnixDatagram::recv), waiting at most
    /// `timeout`, but left queued (`MSG_PEEK`): the next receive returns it again. Returns
    /// the bytes copied into `buf`. A longer datagram is an `InvalidData` error (its first
    /// `buf.len()` bytes are in `buf`, and it stays queued). std's `peek` (unstable on
    /// `UnixDatagram`), with a timeout.
    ///
    /// The length is the count of bytes the kernel copied, never `MSG_TRUNC`'s datagram
    /// length, which a peek offset (`SO_PEEK_OFF`, which a peek copies from) would make more
    /// than it copied: the receive is a `recvmsg` whose second `iovec` is one probe byte past
    /// `buf`, which comes exactly when the datagram is longer (so the error says "more than",
    /// not by how much).
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagram-peek)): the receives' wait, with
    /// `recvmsg(MSG_PEEK)` in place of `recvfrom(MSG_TRUNC)`: `recvmsg(MSG_PEEK|MSG_DONTWAIT)`
    /// — 1 when a datagram is there; else `setsockopt(SO_RCVTIMEO)` and a blocking
    /// `recvmsg(MSG_PEEK)`; any remainder by `ppoll`.
    ///
    #[doc = man_links!(recvmsg(2), ppoll(2), unix(7))]
    ///
    /// # Errors
    /// As [`recv`](UnixDatagram::recv), with op `recv(MSG_PEEK)`.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"hello", 1)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(b.peek(&mut buf, 1)?, 5);
    /// assert_eq!(b.recv(&mut buf, 1)?, 5); // still there
    /// let err = b.peek(&mut buf, 0.01).unwrap_err(); // and now gone
    /// assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peek(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<usize> {
        self.peek_from(buf, timeout).map(|(len, _)| len)
    }

    /// [`peek`](UnixDatagram::peek) with the sender's name (unnamed for an unbound sender),
    /// as [`recv_from`](UnixDatagram::recv_from) gives it. std's `peek_from` (unstable on
    /// `UnixDatagram`), with a timeout.
    ///
    /// Syscalls ([contract](crate::syscalls#unixdatagram-peek)): as
    /// [`peek`](UnixDatagram::peek) (whose `recvmsg` asks for the sender in either case).
    ///
    #[doc = man_links!(recvmsg(2), ppoll(2), unix(7))]
    ///
    /// # Errors
    /// As [`peek`](UnixDatagram::peek); a truncated datagram's error names the sender when
    /// it has a name.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixDatagram};
    /// let pid = std::process::id();
    /// let a = UnixDatagram::bind(&UnixAddr::from_abstract(format!("chapel-doc-pa-{pid}"))?)?;
    /// let b = UnixDatagram::bind(&UnixAddr::from_abstract(format!("chapel-doc-pb-{pid}"))?)?;
    /// a.send_to(b"from a", &b.local_addr()?, 1)?;
    /// let mut buf = [0; 16];
    /// assert_eq!(b.peek_from(&mut buf, 1)?, (6, a.local_addr()?));
    /// assert_eq!(b.recv_from(&mut buf, 1)?, (6, a.local_addr()?));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peek_from(&self, buf: &mut [u8], timeout: impl Into<Timeout>) -> Result<(usize, UnixAddr)> {
        let fd = self.sock.fd(Op::Peek)?;
        let capacity = buf.len();
        let (len, cut, from) = with_timeout(fd, Waits::Recv(&self.sock.timer), timeout.into(), |wait| {
            sys::socket::recv_from_probing::<UnixName>(fd, buf, wait.with(MsgFlags::PEEK))
        })
        .map_err(|cause| Error::new(Op::Peek, Target::None, cause))?;
        let from = UnixAddr::from_kernel(from.unwrap_or(UnixName::Unnamed));
        if cut {
            return Err(Error::new(Op::Peek, target(Some(&from)), Cause::Truncated { len: None, capacity }));
        }
        Ok((len, from))
    }

    /// Sends `data` as one datagram with credentials of your choosing (`SCM_CREDENTIALS`),
    /// to `to` or, with `None`, to the connected peer; waits at most `timeout` for room. The
    /// kernel checks the claim, as for
    /// [`UnixStream::send_with_credentials`](crate::UnixStream::send_with_credentials),
    /// which says how; a receiver with [`SO_PASSCRED`](crate::SO_PASSCRED) reads them in
    /// [`ReceivedFds::credentials`]. std's `SocketAncillary::add_creds` (unstable). Linux.
    ///
    /// Syscalls ([contract](crate::syscalls#unix-credentials-passing)): as
    /// [`UnixStream::send_with_credentials`](crate::UnixStream::send_with_credentials), with
    /// the address when there is one.
    ///
    #[doc = man_links!(sendmsg(2), unix(7), cmsg(3))]
    ///
    /// # Errors
    /// As [`UnixStream::send_with_credentials`](crate::UnixStream::send_with_credentials),
    /// naming `to`.
    ///
    /// ```
    /// use chapel_socket::{set_sock_opt, UnixDatagram, SOL_SOCKET, SO_PASSCRED};
    /// let (a, b) = UnixDatagram::pair()?;
    /// set_sock_opt(&b, SOL_SOCKET, SO_PASSCRED, 1)?;
    /// let me = a.peer_credentials()?;
    /// a.send_with_credentials(b"me", &me, None, 1)?;
    /// assert_eq!(b.recv_with_fds(&mut [0; 8], 0, 1)?.credentials, Some(me));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_with_credentials(
        &self,
        data: &[u8],
        creds: &Credentials,
        to: Option<&UnixAddr>,
        timeout: impl Into<Timeout>,
    ) -> Result<usize> {
        let fd = self.sock.fd(Op::SendMsg)?;
        send_credentials(fd, data, creds, to, timeout.into())
            .map_err(|cause| Error::new(Op::SendMsg, target(to), cause))
    }

    /// Sends `data` as one datagram with the descriptors `fds` (`SCM_RIGHTS`), to `to` or,
    /// with `None`, to the connected peer; waits at most `timeout` for room.
    ///
    /// Syscalls ([contract](crate::syscalls#unix-descriptor-passing)): as
    /// [`UnixStream::send_with_fds`](crate::UnixStream::send_with_fds), with the address when
    /// there is one.
    ///
    #[doc = man_links!(sendmsg(2), unix(7), cmsg(3))]
    ///
    /// # Errors
    /// As [`UnixStream::send_with_fds`](crate::UnixStream::send_with_fds), naming `to`.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// use std::os::fd::AsFd;
    /// let (a, b) = UnixDatagram::pair()?;
    /// let file = std::fs::File::open("/dev/null")?;
    /// a.send_with_fds(b"f", &[file.as_fd()], None, 1.0)?;
    /// let got = b.recv_with_fds(&mut [0; 4], 1, 1.0)?;
    /// assert_eq!(got.fds.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_with_fds(
        &self,
        data: &[u8],
        fds: &[BorrowedFd<'_>],
        to: Option<&UnixAddr>,
        timeout: impl Into<Timeout>,
    ) -> Result<usize> {
        let fd = self.sock.fd(Op::SendMsg)?;
        send_fds(fd, data, fds, to, timeout.into()).map_err(|cause| Error::new(Op::SendMsg, target(to), cause))
    }

    /// One datagram and the descriptors sent with it, with room for `max_fds` of them. A
    /// datagram longer than `buf` is an `InvalidData` error, and the descriptors that came
    /// with it are closed (each once), never leaked; more descriptors than `max_fds` are
    /// closed by the kernel and flagged in [`fds_truncated`](ReceivedFds::fds_truncated).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-descriptor-passing)): as
    /// [`UnixStream::recv_with_fds`](crate::UnixStream::recv_with_fds), with `MSG_TRUNC`.
    ///
    #[doc = man_links!(recvmsg(2), unix(7), cmsg(3))]
    ///
    /// # Errors
    /// As [`recv`](UnixDatagram::recv), with op `recvmsg`.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let (a, b) = UnixDatagram::pair()?;
    /// a.send(b"plain", 1.0)?;
    /// assert_eq!(b.recv_with_fds(&mut [0; 8], 2, 1.0)?.len, 5);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_with_fds(&self, buf: &mut [u8], max_fds: usize, timeout: impl Into<Timeout>) -> Result<ReceivedFds> {
        let fd = self.sock.fd(Op::RecvMsg)?;
        recv_fds(fd, &self.sock.timer, buf, max_fds, timeout.into(), true)
            .map(|(got, _)| got)
            .map_err(|cause| Error::new(Op::RecvMsg, Target::None, cause))
    }

    /// The credentials of the connected peer, or of the other end of a pair
    /// (`SO_PEERCRED`).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-peer-credentials)):
    /// `getsockopt(SOL_SOCKET, SO_PEERCRED)` — 1.
    ///
    #[doc = man_links!(getsockopt(2), unix(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error; `ENOPROTOOPT` where the platform has no
    /// `SO_PEERCRED`.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert_eq!(a.peer_credentials()?.pid, std::process::id() as i32);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peer_credentials(&self) -> Result<Credentials> {
        peer_credentials(self.sock.fd(Op::GetPeerCred)?, Target::None)
    }

    /// This socket's own name (`getsockname`): unnamed unless it was bound.
    ///
    /// Syscalls ([contract](crate::syscalls#unix-addresses)): `getsockname` — 1.
    ///
    #[doc = man_links!(getsockname(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert!(a.local_addr()?.is_unnamed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn local_addr(&self) -> Result<UnixAddr> {
        name_of(&self.sock, Op::GetSockName)
    }

    /// The connected peer's name (`getpeername`): the one [`connect`](UnixDatagram::connect)
    /// took; unnamed for the other end of a pair.
    ///
    /// Syscalls ([contract](crate::syscalls#unix-addresses)): `getpeername` — 1.
    ///
    #[doc = man_links!(getpeername(2))]
    ///
    /// # Errors
    /// A closed socket; `ENOTCONN` when it is not connected.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let (a, _b) = UnixDatagram::pair()?;
    /// assert!(a.peer_addr()?.is_unnamed());
    /// let lone = UnixDatagram::unbound()?;
    /// assert_eq!(lone.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn peer_addr(&self) -> Result<UnixAddr> {
        name_of(&self.sock, Op::GetPeerName)
    }

    /// Shuts down receiving, sending or both (`shutdown(2)`).
    ///
    /// Syscalls ([contract](crate::syscalls#unixstreamshutdown)): `shutdown` — 1.
    ///
    #[doc = man_links!(shutdown(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// use std::net::Shutdown;
    /// let (a, _b) = UnixDatagram::pair()?;
    /// a.shutdown(Shutdown::Write)?;
    /// assert_eq!(a.send(b"x", 1.0).unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn shutdown(&self, how: std::net::Shutdown) -> Result<()> {
        self.sock.shutdown(how, || Target::None)
    }

    /// The descriptor, or -1 once closed.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// assert!(UnixDatagram::unbound()?.socket_fd() >= 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn socket_fd(&self) -> RawFd {
        self.sock.raw()
    }

    /// The live descriptor, borrowed, for any API that takes `impl AsFd`, in safe code; the
    /// borrow keeps the socket open (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): none.
    ///
    /// # Errors
    /// A closed socket (the "closed" error), never a panic.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// use std::os::fd::AsRawFd;
    /// let mut socket = UnixDatagram::unbound()?;
    /// assert_eq!(socket.try_as_fd()?.as_raw_fd(), socket.socket_fd());
    /// socket.close()?;
    /// assert!(socket.try_as_fd().unwrap_err().is_closed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn try_as_fd(&self) -> Result<BorrowedFd<'_>> {
        self.sock.fd(Op::AsFd)
    }

    /// Switches the socket to non-blocking mode (`true`) or back, for an event loop:
    /// indefinite calls then answer `WouldBlock` at once when nothing is ready, timed ones
    /// still wait their timeout (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#descriptor-interop)): `ioctl(FIONBIO)` — 1.
    ///
    #[doc = man_links!(ioctl(2))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `ioctl`.
    ///
    /// ```
    /// use chapel_socket::{UnixDatagram, INDEFINITE_TIMEOUT};
    /// use std::io::ErrorKind;
    /// let (socket, _peer) = UnixDatagram::pair()?;
    /// socket.set_nonblocking(true)?;
    /// let err = socket.recv(&mut [0; 8], INDEFINITE_TIMEOUT).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// socket.set_nonblocking(false)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_nonblocking(&self, nonblocking: bool) -> Result<()> {
        self.sock.set_nonblocking(nonblocking)
    }

    /// Closes the descriptor (one `close`); later calls are "closed" errors that make no
    /// syscall (see [descriptors](crate#descriptors)).
    ///
    /// Syscalls ([contract](crate::syscalls#unix-close-and-drop)): `close` — 1.
    ///
    #[doc = man_links!(close(2))]
    ///
    /// # Errors
    /// The socket was already closed; the kernel's error from `close`.
    ///
    /// ```
    /// use chapel_socket::UnixDatagram;
    /// let mut socket = UnixDatagram::unbound()?;
    /// socket.close()?;
    /// assert!(socket.close().unwrap_err().is_closed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn close(&mut self) -> Result<()> {
        self.sock.close()
    }
}

impl TryFrom<OwnedFd> for UnixDatagram {
    type Error = Error;

    /// Adopts a Unix datagram socket as it is, once the kernel says it is one (`SOCK_DGRAM`
    /// in `AF_UNIX`; anything else is an `InvalidInput` error naming what it is, the
    /// descriptor closed).
    fn try_from(fd: OwnedFd) -> Result<UnixDatagram> {
        Ok(UnixDatagram { sock: Sock::adopt(fd, Want::Unix(SockType::Datagram))? })
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = Error;

    /// See `TryFrom<OwnedFd>`: std's own `From<OwnedFd>` takes any descriptor.
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> Result<UnixDatagram> {
        UnixDatagram::try_from(OwnedFd::from(socket))
    }
}

impl TryFrom<UnixDatagram> for OwnedFd {
    type Error = Error;

    /// The descriptor, unless the socket was closed.
    fn try_from(mut socket: UnixDatagram) -> Result<OwnedFd> {
        socket.sock.take()
    }
}

impl TryFrom<UnixDatagram> for std::os::unix::net::UnixDatagram {
    type Error = Error;

    fn try_from(socket: UnixDatagram) -> Result<std::os::unix::net::UnixDatagram> {
        OwnedFd::try_from(socket).map(std::os::unix::net::UnixDatagram::from)
    }
}
